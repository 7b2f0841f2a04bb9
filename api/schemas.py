"""Response shapes of the HTTP API, for OpenAPI. They mirror the CLI's `--json` output."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Health(_Open):
    status: str = Field(examples=["ok"])
    meetings: int
    punkter: int
    documents: int = 0
    passages: int
    model: str | None
    generation: str | None = None
    index: str | None = None


class Hit(_Open):
    id: str = Field(examples=["odense/beskaeftigelses-og-socialudvalget/2025-11-25/15"])
    municipality: str = Field(examples=["Odense"])
    committee: str = Field(examples=["Beskæftigelses- og Socialudvalget"])
    meeting_id: str
    meeting_date: str = Field(examples=["2025-11-25"])
    number: int
    title: str = Field(examples=["D-sag: Status på en fremtid med færre unge på førtidspension"])
    case_type: str | None
    closed: bool
    decision: str | None
    score: float = Field(
        description="Rangeringens score (models/ranker): højere er bedre; kun sammenlignelig inden for én søgning"
    )
    snippet: str = Field(description="Bedste passage, HTML-escaped, matchede ord i <mark>")
    snippet_section: str = ""
    themes: list[str] = []
    source_url: str | None = Field(None, description="Siden hos kommunen (udgiveren); null når kilden ikke giver den")
    relevant: bool | None = Field(
        None,
        description="Hører til svaret (tælles i total, facetter, feeds og gemte søgninger); false: kun løst "
        "beslægtet; null for lignende punkter (/similar), der ikke er en søgning",
    )


class FacetValue(BaseModel):
    value: str
    count: int


class Answer(_Open):
    kind: str = Field(description="count, money, percent, duration eller date", examples=["count"])
    text: str = Field(examples=["110 borgere"])
    value: float | str = Field(
        description="Tallet (kr. for beløb, procent for andele, `unit` for varigheder) eller datoen ÅÅÅÅ-MM-DD, "
        "ÅÅÅÅ-MM eller ÅÅÅÅ, så præcis som sætningen siger den"
    )
    unit: str = Field(examples=["borgere"])
    sentence: str = Field(description="Sætningen svaret står i")
    punkt_id: str
    title: str | None = None
    municipality: str | None = None
    committee: str | None = None
    meeting_date: str | None = None
    number: int | None = None


class SearchResponse(_Open):
    query: str
    total: int = Field(
        description="Antal punkter, der hører til svaret (de første `total` hits); 0 når intet er relevant"
    )
    low_confidence: bool = Field(description="Sand når arkivet næppe indeholder svaret")
    corrections: dict[str, list[str]] = {}
    language: str = Field("da", description="Forespørgslens sprog: da eller en")
    understood: str = Field(
        "",
        description='Hvad søgningen forstod ud over emnet ("Foretrækker punkter fra 2024"): præferencer, ingen filtre',
    )
    answer: Answer | None = Field(None, description="Direkte svar med kilde, kun når ét svar klart vinder")
    sort: str = Field("relevance", description="relevance (bedste først) eller date (nyeste møde først)")
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]


class SimilarResponse(BaseModel):
    id: str
    hits: list[Hit]


class MeetingRef(BaseModel):
    id: str
    name: str | None = Field(None, description="Mødet som man siger det: udvalg, kommune, dato")
    municipality: str
    committee: str
    date: str
    source_url: str | None = Field(None, description="Siden hos kommunen (udgiveren); null når kilden ikke giver den")


class Section(_Open):
    name: str
    heading: str | None = None
    text: str


class PunktResponse(_Open):
    id: str
    number: int
    title: str
    case_type: str | None
    journal_number: str | None
    closed: bool
    source_url: str | None = Field(None, description="Siden hos kommunen (udgiveren); null når kilden ikke giver den")
    meeting: MeetingRef
    sections: list[Section]
    decision: str | None
    absent: list[str]
    attachments: list[dict]
    entities: list[dict]
    amounts: list[dict]
    laws: list[dict]
    themes: list[dict]
    kle: dict
    links: list[dict]


class Document(BaseModel):
    path: str
    sha256: str
    kind: str = Field(examples=["referat"], description="referat, dagsorden eller tillæg")
    format: str = Field(examples=["firstagenda-json"])
    punkter: int
    searched: bool = Field(description="Sand for det dokument, mødets punkter søges i")
    ingested_at: str


class MeetingSummary(BaseModel):
    """One meeting as `referat meetings --json` writes it."""

    id: str
    name: str | None = None
    municipality: str
    committee: str
    date: str
    time: str | None = Field(None, examples=["16:30"])
    punkter: int
    source_url: str | None = Field(None, description="Siden hos kommunen (udgiveren); null når kilden ikke giver den")
    documents: list[Document]


class MeetingDetail(_Open):
    id: str
    name: str | None = None
    source_url: str | None = Field(None, description="Siden hos kommunen (udgiveren); null når kilden ikke giver den")
    municipality: str
    committee: str
    date: str
    absent: list[str]
    punkter: list[dict]


class EntityCount(BaseModel):
    label: str
    canonical: str
    punkter: int
    mentions: int


class ThemeCount(BaseModel):
    key: str
    label: str
    gloss: str
    punkter: int


class ErrorBody(BaseModel):
    status: int = Field(examples=[422])
    message: str = Field(examples=["ugyldig parameter: limit: skal være højst 100"])
    parameter: str | None = Field(None, description="Ved en ukendt filterværdi: parameteren", examples=["theme"])
    known: list[str] | None = Field(None, description="Ved en ukendt filterværdi: de kendte værdier")
    detail: list[dict] | None = None


class ErrorResponse(BaseModel):
    """Every error: the status again and a message a person can act on."""

    error: ErrorBody
