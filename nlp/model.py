"""The document model every layer speaks: a Meeting holds Punkter, a Punkt holds Sections.

Plain dataclasses, so that readers, the NLP pipeline, the store and the API can pass them
around without knowing each other. `to_dict` gives the JSON shape of DESIGN.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field


@dataclass
class Table:
    """A table as rows of clean cells (markup removed); the first row is usually the header."""

    rows: list[list[str]]

    def as_lines(self) -> list[str]:
        """Readable lines, header cells repeated as labels, for search passages."""
        if not self.rows:
            return []
        header, *body = self.rows
        lines = []
        for row in body or [header]:
            if body and len(header) == len(row) and any(header):
                cells = [f"{h}: {c}" if h and c else c for h, c in zip(header, row, strict=True)]
            else:
                cells = row
            line = " | ".join(c for c in cells if c)
            if line:
                lines.append(line)
        return lines


@dataclass
class Section:
    """One section of a punkt under its canonical name (`Resume`, `Beslutning`, ...)."""

    name: str
    text: str
    heading: str = ""  # the heading as written ("RESUMÉ", "Sagsresumé")
    tables: list[Table] = field(default_factory=list)


@dataclass
class Attachment:
    title: str
    url: str | None = None


@dataclass
class Participant:
    name: str
    absent: bool = False
    role: str | None = None


@dataclass
class JournalNumber:
    """A journal number. Odense's `27.15.12-Ø40-53-19` carries a KLE number; others are plain."""

    raw: str
    kle: str | None = None
    facet: str | None = None
    serial: str | None = None
    year: str | None = None


@dataclass
class Entity:
    text: str
    label: str
    canonical: str
    start: int
    end: int
    section: str = ""
    #: How sure the tagger is (0..1); `nlp.entities.is_shown` compares it with the display threshold.
    confidence: float = 1.0
    #: What found it: `model`, `gazetteer`, `rule`, or a `+`-joined agreement (`model+gazetteer`).
    evidence: str = ""


@dataclass
class Amount:
    text: str
    value: float
    unit: str
    kind: str  # money | percent | percentage_point | count | period (a bare year is a date, not emitted)
    start: int
    end: int
    section: str = ""
    what: str | None = None  # for counts: what is counted ("unge")
    #: How sure the finder is (0..1); `nlp.amounts.is_shown` compares it with the display threshold.
    confidence: float = 1.0
    #: What found it: `rule` (a pattern in prose) or `table` (a cell under a header naming the unit).
    evidence: str = ""
    #: The words around it, so a reader knows what it is ("5,8 mio. kr. til Housing First").
    context: str = ""


@dataclass
class LawRef:
    text: str
    law: str | None
    paragraph: str | None
    stk: str | None
    start: int
    end: int
    section: str = ""


@dataclass
class Punkt:
    number: int
    title: str
    case_type: str | None = None  # A-sag .. E-sag, Lukket, or None
    journal: JournalNumber | None = None
    sections: list[Section] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    absence_notes: list[str] = field(default_factory=list)
    closed: bool = False
    #: The punkt's page on the publisher's site, when the source says enough to build it.
    source_url: str | None = None

    @property
    def decision(self) -> str | None:
        for section in self.sections:
            if section.name == "Beslutning":
                return section.text
        return None

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def text(self) -> str:
        """The punkt's whole text as the NLP layer sees it: sections in order."""
        return "\n\n".join(s.text for s in self.sections if s.text)

    def close(self) -> None:
        """Closed: the title (and case number) stay, nothing else of the punkt is kept."""
        self.closed, self.case_type = True, "Lukket"
        self.sections, self.attachments, self.absent, self.absence_notes = [], [], [], []


@dataclass
class Meeting:
    municipality: str  # "" when the file does not say; ingest then asks for --municipality
    committee: str
    date: str  # ISO date
    time: str | None = None
    place: str | None = None
    period: str | None = None
    participants: list[Participant] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # absent from the whole meeting
    punkter: list[Punkt] = field(default_factory=list)
    source_format: str = ""
    #: What kind of document this is: `referat` (decisions taken), `dagsorden` (the agenda before
    #: the meeting) or `tillaeg` (a supplementary agenda). A referat supersedes its dagsorden.
    kind: str = "referat"
    #: The publishing system's own id of the meeting or agenda (FirstAgenda's agenda id), if any.
    source_id: str | None = None
    #: The meeting's page on the publisher's site (FirstAgenda: `{site}/vis?id={agenda id}`), if known.
    source_url: str | None = None
    toc: list[str] = field(default_factory=list)  # the table of contents as printed, when there is one
    warnings: list[str] = field(default_factory=list)

    @property
    def base_id(self) -> str:
        """The readable id the meeting gets unless another meeting of the committee holds it already
        (the store then makes it unique; see `index.ids`)."""
        return f"{slugify(self.municipality)}/{slugify(self.committee)}/{self.date}"

    def to_dict(self) -> dict:
        return asdict(self)


_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(text: str) -> str:
    """`Beskæftigelses- og Socialudvalget` -> `beskaeftigelses-og-socialudvalget`."""
    text = text.translate(_DANISH)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "ukendt"


def meeting_from_dict(data: dict) -> Meeting:
    """The inverse of `Meeting.to_dict`: how the store reads back a document it kept."""
    data = dict(data)
    punkter = []
    for p in data.pop("punkter", []):
        p = dict(p)
        p["sections"] = [
            Section(**{**s, "tables": [Table(**t) for t in s.get("tables", [])]}) for s in p.get("sections", [])
        ]
        p["attachments"] = [Attachment(**a) for a in p.get("attachments", [])]
        p["journal"] = JournalNumber(**p["journal"]) if p.get("journal") else None
        punkter.append(Punkt(**p))
    data["participants"] = [Participant(**p) for p in data.get("participants", [])]
    known = {f for f in Meeting.__dataclass_fields__}
    return Meeting(**{k: v for k, v in data.items() if k in known}, punkter=punkter)
