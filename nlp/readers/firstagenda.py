"""Reader for FirstAgenda publication-API JSON, the format many Danish municipalities publish.

A meeting is `Udvalg` + `Moede` + `Dagsordenpunkter`; each punkt's text is HTML in
`Felter[].Html`, with `<h3>` sections (Beslutning, Fremstilling, Sagens forløb) and `<h4>`
sub-sections inside Fremstilling (Resume, Indstilling, Sagsbeskrivelse, ...). Both levels become
sections, so that a Greve punkt has the same Resume/Indstilling/Beslutning as an Odense punkt.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from nlp import closed
from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Attachment, JournalNumber, Meeting, Participant, Punkt, Section, Table
from nlp.readers.firstagenda_schema import DagsordenSchema, MoedeSchema, PunktSchema, validate
from nlp.sections import (
    FIRSTAGENDA_SECTIONS,
    absent_names,
    canonical_section,
    cap_sections,
    parse_journal,
    split_case_type,
)
from nlp.settings import settings
from nlp.text import clean_inline, join_broken_paragraphs, sanitise, strip_tags

_CONTAINER_HEADINGS = {"fremstilling"}  # an <h3> that only wraps the <h4> sections
_URL_ROOT = re.compile(r"^(https?://[^/]+)/")
log = logging.getLogger(__name__)
# Opening and closing tags, found in one linear pass and paired in code: the one-regex form
# `<h3>(.*?)</h3>` rescanned to the end for every unclosed `<h3`, quadratic on hostile HTML.
_TAGS = {
    "h": re.compile(r"<(?P<close>/?)h(?P<level>[34])\b[^<>]{0,2000}>", re.IGNORECASE),
    "table": re.compile(r"<(?P<close>/?)table\b[^<>]{0,2000}>", re.IGNORECASE),
    "tr": re.compile(r"<(?P<close>/?)tr\b[^<>]{0,2000}>", re.IGNORECASE),
    "cell": re.compile(r"<(?P<close>/?)t[dh]\b[^<>]{0,2000}>", re.IGNORECASE),
}
_ITEM_NUMBER = re.compile(r"\d{1,9}")
_SITE = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]{1,200}$")
_SOURCE_ID = re.compile(r"^[A-Za-z0-9-]{1,80}$")
_NO_ID = re.compile(r"^[0-]+$")  # FirstAgenda writes 00000000-0000-… where an item has no id


def looks_like(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("Dagsordenpunkter"), list) and "Moede" in data


def read_firstagenda(
    data: Any, *, source: str = "", municipality: str | None = None, deadline: Deadline | None = None
) -> Meeting:
    name = source or "JSON"
    if not looks_like(data):
        raise NotAReferatError(f"{name}: JSON, men ikke en FirstAgenda-dagsorden (mangler 'Dagsordenpunkter'/'Moede')")
    depth = json_depth(data)
    if depth > settings.max_json_depth:
        raise NotAReferatError(f"{name}: JSON'en er indlejret {depth} niveauer dybt (højst {settings.max_json_depth})")
    try:
        agenda = validate(_sanitised(data))
    except NotAReferatError as exc:
        raise NotAReferatError(f"{name}: {exc}") from None
    moede = agenda.Moede or MoedeSchema()
    date_raw = moede.Dato or moede.MeetingBeginUtc or ""
    match = re.match(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}))?", date_raw)
    if not match or not _valid_date(match.group(1)):
        raise NotAReferatError(f"{name}: mødet har ingen gyldig dato ('Moede.Dato': {date_raw[:40]!r})")
    participants = [
        Participant(name=clean_inline(p.Name or ""), absent=bool(p.Absent) or bool(p.ParticipationCancelled))
        for p in moede.Moededeltagere or []
        if clean_inline(p.Name or "")
    ]
    base_url = _base_url(agenda)
    site = _site(agenda, base_url)
    source_id = str(agenda.Id if agenda.Id is not None else "").strip() or None
    meeting = Meeting(
        municipality=municipality or _municipality(agenda),
        committee=clean_inline((agenda.Udvalg.Navn if agenda.Udvalg else None) or "") or "Ukendt udvalg",
        date=match.group(1),
        time=match.group(2),
        place=clean_inline(moede.Sted or "") or None,
        participants=participants,
        absent=[p.name for p in participants if p.absent],
        source_format="firstagenda-json",
        kind=_kind(agenda),
        source_id=source_id,
        source_url=page_url(site, source_id),
    )
    seen: set[int] = set()
    closed_part = False  # after an item named `Lukket dagsorden`, every item is closed
    for index, item in enumerate(agenda.Dagsordenpunkter, start=1):
        check(deadline, f"læser punkt {index}")
        closed_part = _closed_part(item.Navn, item.Caption, closed_part)
        punkt = _read_item(item, index, base_url, closed_part)
        punkt.source_url = page_url(site, source_id, str(item.Id if item.Id is not None else "").strip())
        if punkt.number in seen:  # numbers must be unique inside a meeting
            number = punkt.number
            while punkt.number in seen:
                punkt.number += 1000
            meeting.warnings.append(f"punkt {number} findes to gange; det andet får nummer {punkt.number}")
        seen.add(punkt.number)
        meeting.warnings.extend(cap_sections(punkt))
        meeting.punkter.append(punkt)
    if not meeting.punkter:
        raise NotAReferatError(f"{name}: dagsordenen har ingen punkter")
    for warning in meeting.warnings:
        log.warning("%s: %s", name, warning)
    return meeting


def closed_items(data: Any) -> list[bool]:
    """Whether each item of a raw FirstAgenda meeting is closed, decided as `read_firstagenda` does.

    Harvest strips closed bodies by it before anything is written, so that the raw copy and the
    archive agree. An item that does not parse counts as closed: when in doubt, closed.
    """
    items = data.get("Dagsordenpunkter") if isinstance(data, dict) else None
    out: list[bool] = []
    closed_part = False
    for raw in items if isinstance(items, list) else []:
        try:
            item = PunktSchema.model_validate(_sanitised(raw))
        except Exception:  # any shape the reader would refuse (or choke on)
            names = [raw.get(key) if isinstance(raw, dict) else None for key in ("Navn", "Caption")]
            navn, caption = (sanitise(n) if isinstance(n, str) else None for n in names)
            closed_part = _closed_part(navn, caption, closed_part)
            out.append(True)
            continue
        closed_part = _closed_part(item.Navn, item.Caption, closed_part)
        out.append(_item_closed(item, closed_part))
    return out


def _closed_part(navn: str | None, caption: str | None, closed_part: bool) -> bool:
    """After an item named `Lukket dagsorden` every item is closed, until one named `Åben dagsorden`."""
    names = [clean_inline(navn or ""), clean_inline(caption or "")]
    if any(closed.opens_closed_part(n) for n in names):
        return True
    if any(closed.opens_open_part(n) for n in names):
        return False
    return closed_part


def _item_closed(item: PunktSchema, closed_part: bool) -> bool:
    """The reader's one decision per item (`nlp.closed.decide`): the closed part, the title or
    caption, a marking among the body's headings and short lines, a field named so."""
    navn, caption = clean_inline(item.Navn or ""), clean_inline(item.Caption or "")
    html = "\n".join(f.Html or "" for f in item.Felter or [])
    return closed_part or closed.decide(navn, caption, _short_lines(html), _fields(item)).closed


def json_depth(data: Any) -> int:
    """How deeply lists and objects nest, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > settings.max_json_depth:
                return depth
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _sanitised(value: Any) -> Any:
    """Every string of the document through `sanitise` (no NULs, data URIs or endless runs)."""
    if isinstance(value, str):
        return sanitise(value)
    if isinstance(value, list):
        return [_sanitised(v) for v in value]
    if isinstance(value, dict):
        return {k: _sanitised(v) for k, v in value.items()}
    return value


def _valid_date(iso: str) -> bool:
    import datetime as dt

    try:
        return 1900 <= dt.date.fromisoformat(iso).year <= 2200
    except ValueError:
        return False


def _links(agenda: DagsordenSchema):
    for item in agenda.Dagsordenpunkter:
        for felt in item.Felter or []:
            yield felt.Link or ""


def _municipality(agenda: DagsordenSchema) -> str:
    for link in _links(agenda):
        if match := re.search(r"dagsordener\.([a-zæøå\-]+)\.dk", link):
            return match.group(1).capitalize()
    return ""


def _kind(agenda: DagsordenSchema) -> str:
    """Tillæg, referat or dagsorden: FirstAgenda marks supplements; a finished meeting has a referat."""
    moede = agenda.Moede
    if agenda.TillaegsDagsorden or (moede and moede.IsSupplementaryAgenda):
        return "tillaeg"
    name = str((moede and moede.Navn) or "").lower()
    if "referat" in name or (moede and moede.Afsluttet is True):
        return "referat"
    return "dagsorden"


def _base_url(agenda: DagsordenSchema) -> str | None:
    for link in _links(agenda):
        if match := _URL_ROOT.match(link):
            return match.group(1)
    return None


def _site(agenda: DagsordenSchema, base_url: str | None) -> str | None:
    """The publishing site: where `referat harvest` fetched it, else the root of the item links."""
    harvested = (agenda.ReferatSite or "").strip().rstrip("/")
    if _SITE.match(harvested):
        return harvested
    return base_url if base_url and _SITE.match(base_url) else None


def page_url(site: str | None, agenda_id: str | None, item_id: str | None = None) -> str | None:
    """The meeting's (or its item's) page on a FirstAgenda site: `{site}/vis?id={agenda}&punktid={item}`,
    the address the site's own pages link to. None when the site or the agenda id is unknown."""
    if not site or not agenda_id or not _SOURCE_ID.match(agenda_id) or _NO_ID.match(agenda_id):
        return None
    url = f"{site}/vis?id={agenda_id}"
    if item_id and _SOURCE_ID.match(item_id) and not _NO_ID.match(item_id):
        url += f"&punktid={item_id}"
    return url


def _read_item(item: PunktSchema, index: int, base_url: str | None, closed_part: bool = False) -> Punkt:
    number_raw = str(item.Punktnummer if item.Punktnummer is not None else (item.Number or index)).strip()
    number = int(number_raw) if _ITEM_NUMBER.fullmatch(number_raw) else index
    navn, caption = clean_inline(item.Navn or ""), clean_inline(item.Caption or "")
    title = navn or caption or f"Punkt {number}"
    case_type, title = split_case_type(title)
    html = "\n".join(f.Html or "" for f in item.Felter or [])
    if _item_closed(item, closed_part):
        case_type = "Lukket"
    case_number = str(item.SagsNummer or item.CaseNumber or "").strip()
    journal = (parse_journal(case_number) or JournalNumber(raw=case_number)) if case_number else None
    punkt = Punkt(number=number, title=title, case_type=case_type, journal=journal, closed=case_type == "Lukket")
    if punkt.closed:
        return punkt  # a closed punkt keeps its title and nothing else
    punkt.sections = _sections(html)
    for bilag in item.Bilag or []:
        if bilag.Navn:
            url = f"{base_url}/Vis/Pdf/bilag/{bilag.Id}" if base_url and bilag.Id else None
            punkt.attachments.append(Attachment(title=clean_inline(bilag.Navn), url=url))
    if punkt.decision:
        punkt.absent, punkt.absence_notes = absent_names(punkt.decision)
    return punkt


def _short_lines(html: str) -> list[str]:
    """The body's headings and short paragraphs outside tables, where a marking such as
    `<h2>LUKKET</h2>` stands (a table cell "Lukket" is an opening hour, not a marking)."""
    html = re.sub(r"\s+", " ", html)  # source line breaks are soft; tags make paragraphs
    parts, last = [], 0
    for start, _, _, end, _ in _elements(html, "table"):
        parts.append(html[last:start])
        last = end
    parts.append(html[last:])
    lines = (clean_inline(raw) for raw in strip_tags("\n".join(parts)).split("\n"))
    return [line for line in lines if line and len(line) <= closed.MAX_MARKING_CHARS]


def _fields(item: PunktSchema) -> dict[str, Any]:
    """Every field of the item and of its Felter besides the text itself: a field named `Lukket`,
    or one whose value is a marking, closes the punkt."""
    fields = {k: v for k, v in item.model_dump(exclude={"Felter", "Bilag"}).items() if v is not None}
    for felt in item.Felter or []:
        fields.update({f"Felt.{k}": v for k, v in felt.model_dump(exclude={"Html"}).items() if v is not None})
    return fields


def _elements(html: str, kind: str) -> list[tuple[int, int, int, int, str]]:
    """(start, inner_start, inner_end, end, level) of each element: an opening tag paired with
    the next closing tag of the same kind when no other opening tag comes first."""
    found = []
    opened: re.Match[str] | None = None
    for tag in _TAGS[kind].finditer(html):
        level = tag.groupdict().get("level") or ""
        if not tag.group("close"):
            opened = tag
        elif opened is not None and (opened.groupdict().get("level") or "") == level:
            found.append((opened.start(), opened.end(), tag.start(), tag.end(), level))
            opened = None
    return found


def _headings(html: str) -> list[tuple[int, int, tuple[int, int]]]:
    """(title_start, title_end, (element_start, element_end)) of each <h3>/<h4>."""
    return [(a, b, (s, e)) for s, a, b, e, _ in _elements(html, "h")]


def _sections(html: str) -> list[Section]:
    sections: list[Section] = []
    # An <h4> that holds a whole paragraph is mis-used markup, not a heading.
    matches = [h for h in _headings(html) if 0 < len(clean_inline(strip_tags(html[h[0] : h[1]]))) <= 60]
    for i, (a, b, (_, end)) in enumerate(matches):
        heading = clean_inline(strip_tags(html[a:b]))
        body = html[end : matches[i + 1][2][0] if i + 1 < len(matches) else len(html)]
        if heading.lower() in _CONTAINER_HEADINGS and not strip_tags(body).strip():
            continue
        name = canonical_section(heading, FIRSTAGENDA_SECTIONS) or heading or "Tekst"
        text, tables = _html_text(body)
        if heading.lower() in _CONTAINER_HEADINGS and not text:
            continue
        sections.append(Section(name=name, heading=heading, text=text, tables=tables))
    if matches and matches[0][2][0] > 0 and strip_tags(html[: matches[0][2][0]]).strip():
        text, tables = _html_text(html[: matches[0][2][0]])  # text before the first heading is kept
        if text:
            sections.insert(0, Section(name="Tekst", heading="", text=text, tables=tables))
    if not matches and strip_tags(html).strip():
        text, tables = _html_text(html)
        sections.append(Section(name="Tekst", heading="", text=text, tables=tables))
    return sections


def _soft_breaks(match: re.Match[str]) -> str:
    return " " if "\n" in match.group() else match.group()


def _html_text(html: str) -> tuple[str, list[Table]]:
    html = re.sub(r"\s+", _soft_breaks, html)  # source line breaks are soft; tags make paragraphs
    tables: list[Table] = []
    parts, last = [], 0
    for start, _, _, end, _ in _elements(html, "table"):
        rows = [r for r in _table_rows(html[start:end]) if any(r)]
        if rows:
            tables.append(Table(rows=rows))
        parts += [html[last:start], "\n" + "\n".join("\t".join(r) for r in rows) + "\n"]
        last = end
    parts.append(html[last:])
    text = strip_tags("".join(parts))
    paragraphs = [clean_inline(p) if "\t" not in p else p.strip() for p in text.split("\n")]
    return "\n".join(join_broken_paragraphs([p for p in paragraphs if p])), tables


def _table_rows(table_html: str) -> list[list[str]]:
    rows = []
    for start, _, _, end, _ in _elements(table_html, "tr"):
        row = table_html[start:end]
        rows.append([clean_inline(strip_tags(row[a:b])) for _, a, b, _, _ in _elements(row, "cell")])
    return rows
