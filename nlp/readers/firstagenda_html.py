"""FirstAgenda's public web pages (Aarhus and others): a meeting page (dagsorden or referat) and a
listing page of meetings.

A meeting page names the committee (`span.udvalg`), the date (`span.dato`, `h1`) and place
(`span.sted`); each punkt is a `tr.punktrow` with its number (`span.label`), title
(`h2.overskrift`), case number (`span.sagsnummer`), the text (`div.punkt`, sections under `<h3>`)
and attachments (`a.bilag-link`). A listing page is no meeting: it is named with what it lists,
and `listing_entries` gives what each of its entries says (link, date, committee, kind), for harvest.
A page Referat saved itself names where it came from (`<link rel="canonical">`): the meeting's
`source_url`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from nlp.dates import find_date, find_time
from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Attachment, Meeting
from nlp.readers.blocks import html_blocks
from nlp.readers.minutes import municipality_of, read_punkt
from nlp.readers.reader import Reader, SkippedFile, Sniffed
from nlp.sections import cap_sections, parse_case_number
from nlp.text import clean_inline, sanitise

_ROW = '<tr class="punktrow"'
_SPAN = {name: re.compile(rf'<span class="{name}">([^<]{{0,500}})</span>') for name in ("udvalg", "dato", "sted")}
_H1 = re.compile(r"<h1[^>]{0,200}>([^<]{0,300})</h1>")
_NUMBER = re.compile(r'class="label label-default">\s*(\d{1,4})\s*<')
_TITLE = re.compile(r'<h2 class="overskrift[^"]{0,100}"[^>]{0,300}>([^<]{0,1000})</h2>')
_CASE = re.compile(r'<span class="sagsnummer">([^<]{0,200})</span>')
_ATTACHMENT = re.compile(r'<a [^>]{0,400}class="bilag-link"[^>]{0,600}>([^<]{1,500})</a>')
_CANONICAL = re.compile(r'<link rel="canonical" href="(https?://[^"<>\s]{1,1000})"')
_LISTED = re.compile(r'class="list-group-item searchresult" aria-label="Vis \d+ af \d+ ([^"]{0,200})"')


def _sniff(sniffed: Sniffed) -> float:
    return 0.9 if _ROW in sniffed.head or ('id="dagsordenDetaljer"' in sniffed.head) else 0.0


def _sniff_listing(sniffed: Sniffed) -> float:
    return 0.9 if "list-group-item searchresult" in sniffed.head and _ROW not in sniffed.head else 0.0


def _span(name: str, page: str) -> str:
    match = _SPAN[name].search(page)
    return clean_inline(html.unescape(match.group(1))) if match else ""


def _read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    page = sanitise(sniffed.text)
    heading = _H1.search(page)
    h1 = clean_inline(html.unescape(heading.group(1))) if heading else ""
    dato = _span("dato", page)
    date = find_date(dato) or find_date(h1)
    if not date:
        raise NotAReferatError(f"FirstAgenda-mødeside uden mødedato (overskrift: {h1[:80]!r})")
    kind_word = h1.split(" ", 1)[0].lower()
    rows = _rows(page)
    committee = _span("udvalg", page)
    meeting = Meeting(
        municipality=municipality_of(
            committee + "\n" + html.unescape(re.sub(r"<[^>]{0,2000}>", " ", page[:2_000_000]))
        ),
        committee=committee,
        date=date,
        time=find_time(dato) or find_time(h1),
        place=_span("sted", page) or None,
        source_url=html.unescape(canonical.group(1)) if (canonical := _CANONICAL.search(page[:20_000])) else None,
        kind="dagsorden" if kind_word == "dagsorden" else "tillaeg" if kind_word.startswith("tillæg") else "referat",
        source_format="firstagenda-html",
    )
    if not meeting.municipality and (
        match := re.match(r"^([A-ZÆØÅ][a-zæøå]+) (?:Byråd|Kommunalbestyrelse)", committee)
    ):
        meeting.municipality = match.group(1)  # `Aarhus Byråd`
    for position, row in enumerate(rows, start=1):
        check(deadline, "læser FirstAgenda-punkter")
        number, title_text = row_heading(row)
        start = row.find('<div class="punkt">')
        end = row.find('class="lydfiler-og-bilag"', max(start, 0))
        blocks = html_blocks(row[start : end if end > start else len(row)]) if start >= 0 else []
        blocks = [b for b in blocks if not b.text.lower().startswith(("hent som pdf", "kopier link"))]
        punkt = read_punkt(number or position, title_text or f"Punkt {position}", blocks, date, strict=True)
        if not punkt.closed:
            case = _CASE.search(row)
            if case and (journal := parse_case_number(html.unescape(case.group(1)))):
                punkt.journal = journal
            known = {a.title for a in punkt.attachments}
            for name in _ATTACHMENT.findall(row):
                name = clean_inline(html.unescape(name))
                if name and name not in known:
                    punkt.attachments.append(Attachment(title=name))
                    known.add(name)
            meeting.warnings.extend(cap_sections(punkt))
        meeting.punkter.append(punkt)
    if not meeting.punkter:
        raise NotAReferatError("FirstAgenda-mødeside uden punkter ('punktrow')")
    return meeting


def _rows(page: str) -> list[str]:
    """Each punkt row's HTML, found by a linear scan for the row marker."""
    starts = row_starts(page)
    return [page[s : (starts[k + 1] if k + 1 < len(starts) else len(page))] for k, s in enumerate(starts)]


def row_starts(page: str) -> list[int]:
    """Where each punkt row begins: a row runs to the next one (the last to the end of the page)."""
    starts = []
    at = page.find(_ROW)
    while at >= 0:
        starts.append(at)
        at = page.find(_ROW, at + len(_ROW))
    return starts


def row_heading(row: str) -> tuple[int | None, str]:
    """A punkt row's number and title as the page shows them."""
    number = _NUMBER.search(row)
    title = _TITLE.search(row)
    return (int(number.group(1)) if number else None), (clean_inline(html.unescape(title.group(1))) if title else "")


def _read_listing(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    listed = [clean_inline(html.unescape(x)) for x in _LISTED.findall(sniffed.text)]
    example = f" (fx {listed[0]})" if listed else ""
    raise SkippedFile(
        f"en FirstAgenda-oversigt over {len(listed)} møder{example}, ikke selv et referat; læs de enkelte møders sider"
    )


@dataclass(frozen=True)
class ListingEntry:
    """One meeting as a listing page shows it; `href` as written (relative to the page)."""

    href: str
    date: str | None  # ISO
    committee: str
    kind: str  # the entry's own word, lower case: "dagsorden", "referat", "tillæg", ...
    label: str  # the entry's aria-label, for messages


class _Listing(HTMLParser):
    """The `a.searchresult` entries of a listing: their attributes and the texts inside them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[tuple[dict[str, str], list[str], list[str]]] = []  # (attributes, texts, strong texts)
        self._depth = 0  # elements open inside the current entry; 0: outside any
        self._strong = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth:
            self._depth += 1
            if tag == "strong":
                self._strong += 1
        elif tag == "a" and "searchresult" in (dict(attrs).get("class") or "").split():
            self.entries.append(({k: v or "" for k, v in attrs}, [], []))
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if tag == "strong" and self._strong:
            self._strong -= 1
        if tag == "a":  # an entry ends with its link, however its inner markup is nested
            self._depth, self._strong = 0, 0

    def handle_data(self, data: str) -> None:
        if self._depth and (text := clean_inline(data)):
            self.entries[-1][1].append(text)
            if self._strong:
                self.entries[-1][2].append(text)


def listing_entries(text: str) -> list[ListingEntry]:
    """Every meeting a FirstAgenda listing page links to, in the page's order (an entry shown twice
    is one). The date, committee and kind come from the entry's cells, else from its aria-label."""
    parser = _Listing()
    parser.feed(sanitise(text)[:20_000_000])
    parser.close()
    seen: dict[str, ListingEntry] = {}
    for attrs, texts, strong in parser.entries:
        href = attrs.get("href", "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        label = clean_inline(attrs.get("aria-label", ""))
        date = next((d for t in texts if (d := find_date(t))), None) or find_date(label)
        committee = strong[0] if len(strong) >= 2 else ""
        kind = strong[-1].lower() if len(strong) >= 2 else (label.rsplit(" ", 1)[-1].lower() if label else "")
        if not committee and (match := re.search(r"\d{2}-\d{2}-\d{4} (.+) \S+$", label)):
            committee = match.group(1)
        seen.setdefault(href, ListingEntry(href, date, committee, kind, label))
    return list(seen.values())


READERS = (
    Reader("firstagenda-html", "FirstAgenda-mødeside (HTML)", ("html",), _sniff, _read),
    Reader("firstagenda-listing", "FirstAgenda-oversigt over møder (HTML)", ("html",), _sniff_listing, _read_listing),
)
