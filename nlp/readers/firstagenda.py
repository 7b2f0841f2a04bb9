"""Reader for FirstAgenda publication-API JSON, the format many Danish municipalities publish.

A meeting is `Udvalg` + `Moede` + `Dagsordenpunkter`; each punkt's text is HTML in
`Felter[].Html`, with `<h3>` sections (Beslutning, Fremstilling, Sagens forløb) and `<h4>`
sub-sections inside Fremstilling (Resume, Indstilling, Sagsbeskrivelse, ...). Both levels become
sections, so that a Greve punkt has the same Resume/Indstilling/Beslutning as an Odense punkt.
"""

from __future__ import annotations

import re
from typing import Any

from nlp.errors import NotAReferatError
from nlp.model import Attachment, JournalNumber, Meeting, Participant, Punkt, Section, Table
from nlp.sections import FIRSTAGENDA_SECTIONS, absent_names, canonical_section, parse_journal, split_case_type
from nlp.text import clean_inline, join_broken_paragraphs, strip_tags

_HEADING = re.compile(r"<h(?P<level>[34])[^>]*>(?P<title>.*?)</h(?P=level)>", re.IGNORECASE | re.DOTALL)
_TABLE = re.compile(r"<table.*?</table>", re.IGNORECASE | re.DOTALL)
_ROW = re.compile(r"<tr.*?</tr>", re.IGNORECASE | re.DOTALL)
_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.IGNORECASE | re.DOTALL)
_CONTAINER_HEADINGS = {"fremstilling"}  # an <h3> that only wraps the <h4> sections
_URL_ROOT = re.compile(r"^(https?://[^/]+)/")


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("Dagsordenpunkter"), list) and "Moede" in data


def read_firstagenda(data: Any, *, source: str = "", municipality: str | None = None) -> Meeting:
    if not looks_like(data):
        raise NotAReferatError(
            f"{source or 'JSON'}: JSON, men ikke en FirstAgenda-dagsorden (mangler 'Dagsordenpunkter'/'Moede')"
        )
    moede = data.get("Moede") or {}
    udvalg = data.get("Udvalg") or {}
    date_raw = str(moede.get("Dato") or moede.get("MeetingBeginUtc") or "")
    match = re.match(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}))?", date_raw)
    if not match:
        raise NotAReferatError(f"{source or 'JSON'}: mødet har ingen gyldig dato ('Moede.Dato')")
    participants = [
        Participant(
            name=str(p.get("Name", "")).strip(), absent=bool(p.get("Absent")) or bool(p.get("ParticipationCancelled"))
        )
        for p in moede.get("Moededeltagere") or []
        if isinstance(p, dict) and str(p.get("Name", "")).strip()
    ]
    base_url = _base_url(data)
    meeting = Meeting(
        municipality=municipality or _municipality(data),
        committee=str(udvalg.get("Navn") or "Ukendt udvalg").strip(),
        date=match.group(1),
        time=match.group(2),
        place=(str(moede.get("Sted")).strip() or None) if moede.get("Sted") else None,
        participants=participants,
        absent=[p.name for p in participants if p.absent],
        source_format="firstagenda-json",
        kind=_kind(data, moede),
        source_id=str(data.get("Id") or "").strip() or None,
    )
    seen: set[int] = set()
    for index, item in enumerate(data["Dagsordenpunkter"], start=1):
        if not isinstance(item, dict):
            continue
        punkt = _read_item(item, index, base_url)
        while punkt.number in seen:  # numbers must be unique inside a meeting
            punkt.number += 1000
        seen.add(punkt.number)
        meeting.punkter.append(punkt)
    if not meeting.punkter:
        raise NotAReferatError(f"{source or 'JSON'}: dagsordenen har ingen punkter")
    return meeting


def _municipality(data: dict) -> str:
    for item in data.get("Dagsordenpunkter") or []:
        for felt in (item or {}).get("Felter") or []:
            link = str((felt or {}).get("Link") or "")
            if match := re.search(r"dagsordener\.([a-zæøå\-]+)\.dk", link):
                return match.group(1).capitalize()
    return ""


def _kind(data: dict, moede: dict) -> str:
    """Tillæg, referat or dagsorden: FirstAgenda marks supplements; a finished meeting has a referat."""
    if data.get("TillaegsDagsorden") or moede.get("IsSupplementaryAgenda"):
        return "tillaeg"
    name = str(moede.get("Navn") or "").lower()
    if "referat" in name or moede.get("Afsluttet") is True:
        return "referat"
    return "dagsorden"


def _base_url(data: dict) -> str | None:
    for item in data.get("Dagsordenpunkter") or []:
        for felt in (item or {}).get("Felter") or []:
            if match := _URL_ROOT.match(str((felt or {}).get("Link") or "")):
                return match.group(1)
    return None


def _read_item(item: dict, index: int, base_url: str | None) -> Punkt:
    number_raw = str(item.get("Punktnummer") or item.get("Number") or index)
    number = int(number_raw) if number_raw.isdigit() else index
    title = clean_inline(str(item.get("Navn") or item.get("Caption") or "")) or f"Punkt {number}"
    case_type, title = split_case_type(title)
    case_number = str(item.get("SagsNummer") or item.get("CaseNumber") or "").strip()
    journal = (parse_journal(case_number) or JournalNumber(raw=case_number)) if case_number else None
    punkt = Punkt(number=number, title=title, case_type=case_type, journal=journal, closed=case_type == "Lukket")
    if punkt.closed:
        return punkt
    html = "\n".join(str((f or {}).get("Html") or "") for f in item.get("Felter") or [] if isinstance(f, dict))
    punkt.sections = _sections(html)
    for bilag in item.get("Bilag") or []:
        if isinstance(bilag, dict) and bilag.get("Navn"):
            url = f"{base_url}/Vis/Pdf/bilag/{bilag['Id']}" if base_url and bilag.get("Id") else None
            punkt.attachments.append(Attachment(title=clean_inline(str(bilag["Navn"])), url=url))
    if punkt.decision:
        punkt.absent, punkt.absence_notes = absent_names(punkt.decision)
    return punkt


def _sections(html: str) -> list[Section]:
    sections: list[Section] = []
    # An <h4> that holds a whole paragraph is mis-used markup, not a heading.
    matches = [m for m in _HEADING.finditer(html) if 0 < len(clean_inline(strip_tags(m.group("title")))) <= 60]
    for i, match in enumerate(matches):
        heading = clean_inline(strip_tags(match.group("title")))
        body = html[match.end() : matches[i + 1].start() if i + 1 < len(matches) else len(html)]
        if heading.lower() in _CONTAINER_HEADINGS and not strip_tags(body).strip():
            continue
        name = canonical_section(heading, FIRSTAGENDA_SECTIONS) or heading or "Tekst"
        text, tables = _html_text(body)
        if heading.lower() in _CONTAINER_HEADINGS and not text:
            continue
        sections.append(Section(name=name, heading=heading, text=text, tables=tables))
    if not matches and strip_tags(html).strip():
        text, tables = _html_text(html)
        sections.append(Section(name="Tekst", heading="", text=text, tables=tables))
    return sections


def _html_text(html: str) -> tuple[str, list[Table]]:
    html = re.sub(r"\s*\n\s*", " ", html)  # source line breaks are soft; tags make paragraphs
    tables: list[Table] = []

    def table_as_lines(match: re.Match[str]) -> str:
        rows = [r for r in _table_rows(match.group(0)) if any(r)]
        if rows:
            tables.append(Table(rows=rows))
        return "\n" + "\n".join("\t".join(r) for r in rows) + "\n"

    text = strip_tags(_TABLE.sub(table_as_lines, html))
    paragraphs = [clean_inline(p) if "\t" not in p else p.strip() for p in text.split("\n")]
    return "\n".join(join_broken_paragraphs([p for p in paragraphs if p])), tables


def _table_rows(table_html: str) -> list[list[str]]:
    return [[clean_inline(strip_tags(c)) for c in _CELL.findall(row)] for row in _ROW.findall(table_html)]
