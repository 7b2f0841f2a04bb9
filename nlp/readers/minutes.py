"""One recogniser of Danish minutes over a stream of blocks, whatever container they came from.

What every system writes, in its own words: a meeting header (kind, committee, a date in one of
the Danish forms, a time, a place), numbered punkter (`Punkt 3:`, `3.`, `715.`), each with a case
number of its system and sections under known names (the vocabulary is data:
`nlp/resources/minutes/`). A numbered line is a punkt heading when its layout says so (heading
style, bold, larger font) or what follows it does (a case number, a section heading); a run of
numbered lines that the body repeats is the table of contents. Closed punkter are decided by the
one closed decision (`nlp.closed`) and keep their title only.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from nlp.closed import MAX_MARKING_CHARS, is_closed, opens_closed_part, opens_open_part
from nlp.dates import MONTH_NAME_ALT, find_date, find_time
from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Attachment, JournalNumber, Meeting, Punkt, Section
from nlp.readers.blocks import Block
from nlp.sections import (
    absent_names,
    cap_sections,
    is_case_line,
    minutes_section,
    parse_case_number,
    split_case_type,
)
from nlp.text import join_broken_paragraphs

_MAX_HEADING = 400
#: `Punkt 3: Titel`, `Pkt. 3 Titel`, `Sag nr. 3 - Titel`
_PUNKT_WORD = re.compile(
    r"^(?:punkt|pkt\.?|dagsordenspunkt|sag\s+nr\.?)\s*(?P<number>\d{1,6})\s*[:.)\-–]?\s*(?P<title>\S.*)?$",
    re.IGNORECASE,
)
#: `3. Titel`, `715.Titel`, `3) Titel`, `3.` alone (the title in the next block)
_NUMBERED = re.compile(r"^(?P<number>\d{1,5})\s*[.)]\s*(?P<title>[^\W\d_].*|[\"'«„(\[].*)?$")
_MONTH_START = re.compile(rf"^(?:{MONTH_NAME_ALT})\b", re.IGNORECASE)
_TOC_WORD = re.compile(r"^(?:indholdsfortegnelse|indhold|dagsordenen?|oversigt over punkter)\s*:?$", re.IGNORECASE)
_PAGE_AT_END = re.compile(r"(?:\.{2,}|…+|\s)\s*\d{1,3}$")
_KIND = re.compile(
    r"^(?:(?:åbent|åben|lukket|offentligt?)\s+)?(?P<kind>referat|beslutningsprotokol|protokol|dagsorden|tillægsdagsorden|"
    r"tillæg til dagsorden|tillæg)\b",
    re.IGNORECASE,
)
_COMMITTEE_WORD = re.compile(
    r"(?:udvalg|byråd|kommunalbestyrelse|magistrat|regionsråd|\bråd(?:et)?\b|bestyrelse|nævn|forum\b|komit[eé])",
    re.IGNORECASE,
)
_COMMITTEE_LABEL = re.compile(r"^(?:udvalg|forum|organ|mødeforum)\s*:\s*(?P<name>.+)$", re.IGNORECASE)
_PLACE_LABEL = re.compile(r"^(?:mødested|sted|lokale|mødelokale)\s*:?\s*(?P<place>.+)$", re.IGNORECASE)
_PLACE_LINE = re.compile(r"^(?:i|på)\s+(?P<place>[A-ZÆØÅ0-9].{2,150})$")
_KIND_PREFIX = re.compile(
    r"^(?:(?:åbent|åben|lukket)\s+)?(?:referat|dagsorden|tillægsdagsorden|beslutningsprotokol)\b\s*"
    r"(?:(?:fra|for|af|til|over)\s+)?(?:(?:det\s+)?(?:ordinære|ekstraordinære)\s+)?(?:mødet?\s+(?:i|for)\s+)?[-–:]?\s*",
    re.IGNORECASE,
)
_DATE_TAIL = re.compile(
    r"\s*[-–,]?\s*(?:(?:man|tirs|ons|tors|fre|lør|søn)dag\s+)?(?:d\.|den)?\s*\d{1,2}[-./ ].*$", re.IGNORECASE
)
_MUNICIPALITY = re.compile(r"\b([A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅ][a-zæøå]+)?) [Kk]ommunes?\b")
_NOT_A_MUNICIPALITY = {"Den", "Hver", "Hele", "Anden", "Samme", "Egen", "Vores", "Denne", "Din", "Jeres"}
_STATUS = re.compile(r"^(?:åben|åbent|lukket|lukket punkt|fortrolig)$", re.IGNORECASE)


@dataclass
class Hints:
    """What a structured export already knows of the meeting; the text fills in the rest."""

    municipality: str | None = None
    committee: str | None = None
    date: str | None = None
    time: str | None = None
    place: str | None = None
    kind: str | None = None


@dataclass
class _Heading:
    index: int  # block index of the heading
    number: int
    title: str
    end: int  # last block index the heading (and a wrapped title) takes
    strong: bool
    toc: bool = False
    structural: bool = False  # what follows says so (a case number, a section), not only its style


@dataclass
class _Part:
    heading: _Heading
    blocks: list[Block] = field(default_factory=list)
    part_heading: str = ""  # the `Lukket dagsorden`/`Åbne sager` heading above it, if any


def looks_like(blocks: list[Block]) -> bool:
    """Cheap: a date near the top and at least one numbered heading in the first blocks."""
    head = [b for b in blocks[:600] if b.text]
    if not any(find_date(b.text) for b in head[:120] if len(b.text) < 300):
        return False
    return any(match_heading(b.text) for b in head)


def match_heading(text: str) -> tuple[int, str] | None:
    if not text or len(text) > _MAX_HEADING:
        return None
    match = _PUNKT_WORD.match(text) or _NUMBERED.match(text)
    if not match:
        return None
    title = (match.group("title") or "").strip()
    if title and (_MONTH_START.match(title) or re.match(r"^(?:kvartal|halvår|klasse|sal)\b", title, re.IGNORECASE)):
        return None  # `2. maj 2017`, `1. kvartal`: a date or an ordinal, not a punkt
    return int(match.group("number")), title


def read_blocks(
    blocks: list[Block], *, source: str = "", hints: Hints | None = None, deadline: Deadline | None = None
) -> Meeting:
    hints = hints or Hints()
    name = source or "dokument"
    blocks = [b for b in blocks if b.text and b.kind != "blank" or b.kind == "table"]
    check(deadline, "finder punkter")
    headings = _headings(blocks)
    body = [h for h in headings if not h.toc]
    first = body[0].index if body else len(blocks)
    meeting = read_header(blocks[:first], blocks, hints)
    if not body:
        raise NotAReferatError(
            f"{name}: {_what_was_found(meeting)}, men ingen nummererede punkter ('1. Titel', 'Punkt 1:')"
        )
    if not meeting.date:
        single = " (et enkelt punkt: et bilag eller en del af et møde?)" if len(body) == 1 else ""
        raise NotAReferatError(
            f"{name}: {len(body)} punkt(er) fundet, men intet mødehoved med en dato{single}; "
            "forventede fx 'Referat / Udvalg / tirsdag den 4. december 2012'"
        )
    warnings: list[str] = []
    for part in _parts(blocks, body):
        check(deadline, f"læser punkt {part.heading.number}")
        punkt = read_punkt(part.heading.number, part.heading.title, part.blocks, meeting.date, part.part_heading)
        warnings.extend(cap_sections(punkt))
        meeting.punkter.append(punkt)
    meeting.toc = [h.title for h in headings if h.toc]
    if meeting.toc and len(meeting.toc) != len(meeting.punkter):
        warnings.append(f"indholdsfortegnelsen har {len(meeting.toc)} punkter, teksten {len(meeting.punkter)}")
    meeting.warnings = warnings
    return meeting


def _what_was_found(meeting: Meeting) -> str:
    found = [
        f"udvalg '{meeting.committee}'" if meeting.committee else "",
        f"dato {meeting.date}" if meeting.date else "",
    ]
    found = [f for f in found if f]
    return "fandt " + " og ".join(found) if found else "intet mødehoved (udvalg, dato) fundet"


def _headings(blocks: list[Block]) -> list[_Heading]:
    """Numbered blocks that are punkt headings, the table of contents marked `toc`."""
    candidates: list[_Heading] = []
    in_toc = False
    for i, block in enumerate(blocks):
        if _TOC_WORD.match(block.text) or "indholdsfortegnelse" in block.style or block.style.startswith("toc"):
            in_toc = in_toc or bool(_TOC_WORD.match(block.text))
        found = match_heading(block.text) if block.kind != "table" else None
        if not found:
            continue
        number, title = found
        end = i
        if not title:  # `3.` alone: the title is the next block
            if (
                i + 1 < len(blocks)
                and not match_heading(blocks[i + 1].text)
                and len(blocks[i + 1].text) <= _MAX_HEADING
            ):
                title, end = blocks[i + 1].text, i + 1
            else:
                continue
        after = [b for b in blocks[end + 1 : end + 6]]
        toc_style = "indholdsfortegnelse" in block.style or block.style.startswith("toc")
        for k, b in enumerate(after):  # what follows, up to the next numbered line
            if match_heading(b.text):
                after = after[:k]
                break
        meta = [b for b in after if is_case_line(b.text) or _STATUS.match(b.text) or _SKIP_LINE.match(b.text)]
        first_other = next((b for b in after if b not in meta), None)
        structural = bool(
            any(is_case_line(b.text) or _STATUS.match(b.text) for b in after[:3])
            or (first_other is not None and after.index(first_other) <= 2 and _section_heading(first_other))
        )
        styled = block.kind == "h" or (block.bold and len(title) < 250) or block.size >= 1.15
        toc = toc_style or bool(_PAGE_AT_END.search(title) and (in_toc or toc_style))
        title = _strip_page(title) if toc else title
        candidates.append(_Heading(i, number, title, end, structural or styled, toc, structural))
    _mark_toc_runs(candidates)
    # The smallest number of a heading that what follows it confirms (a case number, a section), at
    # or after each candidate: a bold numbered line in the text before it is no punkt heading.
    confirmed_after = [float("inf")] * (len(candidates) + 1)
    for k in range(len(candidates) - 1, -1, -1):
        c = candidates[k]
        confirmed = c.structural and not c.toc
        confirmed_after[k] = min(confirmed_after[k + 1], c.number if confirmed else float("inf"))
    accepted: list[_Heading] = []
    last = 0
    for k, c in enumerate(candidates):
        if c.toc:
            accepted.append(c)
            continue
        if not c.strong or c.number <= last:
            continue
        if not c.structural and confirmed_after[k + 1] <= c.number:
            continue
        accepted.append(c)
        last = c.number
    _join_wrapped_titles(blocks, accepted)
    return accepted


def _strip_page(title: str) -> str:
    return re.sub(r"(?:\s*\.{2,}\s*|\s+)\d{1,3}$", "", title).strip() or title


def _mark_toc_runs(candidates: list[_Heading]) -> None:
    """A run of numbered lines that the document then numbers again from the start is the table of
    contents (or a list of the agenda above the punkter): the later run is the body."""
    numbers = [c.number for c in candidates]
    if not numbers:
        return
    for k in range(1, len(candidates)):
        if numbers[k] == numbers[0] and numbers[k - 1] >= numbers[0] and any(n > numbers[0] for n in numbers[:k]):
            keys = {_comparable(c.title)[:30] for c in candidates[k:]}
            earlier = candidates[:k]
            if sum(_comparable(c.title)[:30] in keys for c in earlier) >= max(1, len(earlier) // 2):
                for c in earlier:
                    c.toc = True
                    c.title = _strip_page(c.title)
            return


def _join_wrapped_titles(blocks: list[Block], headings: list[_Heading]) -> None:
    """A title wrapped onto following lines (a text or a PDF's line per block) continues until its
    case number or first section when one follows within two lines."""
    for h in headings:
        if h.toc:
            continue
        heading_block = blocks[h.index]
        following = blocks[h.end + 1 : h.end + 4]
        joined: list[str] = []
        for b in following:
            if is_case_line(b.text) or _section_heading(b) or match_heading(b.text) or _STATUS.match(b.text):
                break
            if b.kind == "table" or len(b.text) > 200:
                joined = []
                break
            same_style = b.kind == heading_block.kind and b.bold == heading_block.bold and b.size == heading_block.size
            if not same_style:
                joined = []
                break
            joined.append(b.text)
            if len(joined) > 2:
                joined = []
                break
        else:
            joined = []
        if joined and h.end + len(joined) + 1 < len(blocks):
            nxt = blocks[h.end + len(joined) + 1]
            if is_case_line(nxt.text) or _section_heading(nxt):
                h.title = " ".join([h.title, *joined])
                h.end += len(joined)


def _comparable(title: str) -> str:
    return re.sub(r"[^a-zæøå0-9]+", "", title.lower())


def _section_heading(block: Block, strict: bool = False) -> str | None:
    """The canonical section a block heads, if it is a section heading. `strict`: only a block
    its container marks as a heading (a page whose sections are `<h3>`, where a bold "Beslutning"
    inside the text is the text's own)."""
    text = block.text
    if not text or len(text) > 160 or block.kind in ("table", "li") or strict and block.kind != "h":
        return None
    name = minutes_section(text)
    if not name:
        return None
    if block.heading_like or text.endswith(":") or minutes_section(text, exact_only=True) or find_date(text):
        return name
    return None


def _parts(blocks: list[Block], headings: list[_Heading]) -> list[_Part]:
    parts: list[_Part] = []
    part_heading = ""
    starts = {h.index: h for h in headings}
    current: _Part | None = None
    skip_until = -1
    toc_end = max((h.end for h in headings if h.toc), default=-1)
    if toc_end >= 0:
        # Part headings between the table of contents and the first punkt are the contents' own
        # (eDoc lists `Åbent referat` and an empty `Lukket referat` there), not the body's.
        toc_end = max(toc_end, min((h.index for h in headings if not h.toc), default=toc_end) - 1)
    for i, block in enumerate(blocks):
        if i <= skip_until:
            continue
        text = block.text
        if i > toc_end and i not in starts and opens_closed_part(text):
            part_heading = text
            continue
        if i > toc_end and i not in starts and opens_open_part(text):
            part_heading = ""
            continue
        if i in starts:
            current = _Part(starts[i], part_heading=part_heading)
            parts.append(current)
            skip_until = starts[i].end
            continue
        if current is not None:
            current.blocks.append(block)
    return parts


def read_punkt(
    number: int, title: str, blocks: list[Block], meeting_date: str | None, part_heading: str = "", strict: bool = False
) -> Punkt:
    """A punkt from the blocks under its heading: case number, sections, attachments, absences."""
    status = [b.text for b in blocks[:6] if _STATUS.match(b.text)]
    case_type, title = split_case_type(title)
    # The part heading above it and the short lines of its body, where a marking such as
    # `Lukket punkt` stands: the closed decision reads them all.
    short = [b.text for b in blocks if b.kind != "table" and len(b.text) <= MAX_MARKING_CHARS]
    headings = tuple(h for h in (part_heading, *short) if h)
    if is_closed(title, status[0] if status else None, headings):
        return Punkt(number=number, title=title, case_type="Lukket", closed=True)
    punkt = Punkt(number=number, title=title, case_type=case_type)
    punkt.journal = _case_number(blocks)
    punkt.sections = _sections(blocks, meeting_date, strict)
    for section in punkt.sections:
        if section.name == "Bilag":
            punkt.attachments.extend(Attachment(title=t) for t in section.text.split("\n") if t.strip())
    decision = punkt.decision
    if decision:
        punkt.absent, punkt.absence_notes = absent_names(decision)
    return punkt


def _case_number(blocks: list[Block]) -> JournalNumber | None:
    found = None
    for b in blocks[:8]:
        if is_case_line(b.text):
            number = parse_case_number(b.text)
            if number and not b.text.lower().startswith("dok"):
                return number
            found = found or number
    return found


_SKIP_LINE = re.compile(r"^(?:sags?nr|dok\.?\s?nr|sagen afgøres i|sagsbehandler|j\.\s?nr)\b", re.IGNORECASE)


def _sections(blocks: list[Block], meeting_date: str | None, strict: bool = False) -> list[Section]:
    sections: list[Section] = []
    name, heading, lines, tables = "Tekst", "", [], []

    def close() -> None:
        if any(line.strip() for line in lines) or tables:
            text = "\n".join(join_broken_paragraphs([line for line in lines if line.strip()]))
            sections.append(Section(name=name, text=text, heading=heading, tables=list(tables)))

    for b in blocks:
        canonical = _section_heading(b, strict)
        if canonical:
            close()
            name, heading, lines, tables = canonical, b.text.rstrip(":").strip(), [], []
            if name == "Beslutning" and meeting_date and (when := find_date(heading)) and when != meeting_date:
                name = "Tidligere beslutning"  # the decision of an earlier meeting, kept as history
            continue
        if (
            name == "Tekst"
            and not lines
            and (is_case_line(b.text) or _SKIP_LINE.match(b.text) or _STATUS.match(b.text))
        ):
            continue
        if b.kind == "table" and b.table is not None:
            tables.append(b.table)
            lines.extend("\t".join(row) for row in b.table.rows)
        else:
            lines.append(("• " if b.kind == "li" else "") + b.text)
    close()
    # `Tidligere beslutning` before the meeting's own: the meeting's decision is `Beslutning`.
    return [s for s in sections if s.name != "Tekst" or s.text]


def read_header(head: list[Block], blocks: list[Block], hints: Hints) -> Meeting:
    kind, committee, date, time, place = hints.kind, hints.committee, hints.date, hints.time, hints.place
    texts = [b.text for b in head[:150] if b.kind != "table" and len(b.text) <= 300]
    for k, text in enumerate(texts):
        if kind is None and (match := _KIND.match(text)):
            word = match.group("kind").lower()
            kind = "tillaeg" if word.startswith("tillæg") else "dagsorden" if word == "dagsorden" else "referat"
        if committee is None and (match := _COMMITTEE_LABEL.match(text)):
            committee = match.group("name").strip()
        if date is None and (found := find_date(text)):
            if not re.match(r"^(?:udskrevet|udsendt|publiceret|oprettet|printet)\b", text, re.IGNORECASE):
                date = found
                time = time or find_time(text) or (find_time(texts[k + 1]) if k + 1 < len(texts) else None)
        if place is None and k and find_date(texts[k - 1]) and (m := _PLACE_LINE.match(text)):
            place = m.group("place").strip()
        if place is None and (match := _PLACE_LABEL.match(text)):
            place = match.group("place").strip() or None
    if committee is None:
        committee = _committee(texts)
    if time is None and date is not None:
        # `Dato: 04.12.2012` on a running header, `tirsdag den 4. december 2012, kl. 13:00` below it.
        time = next((find_time(t) for t in texts if find_date(t) == date and find_time(t)), None)
    text = "\n".join(b.text for b in blocks[:3000])
    council = re.match(r"^([A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅ][a-zæøå]+)?) (?:Byråd|Kommunalbestyrelse)", committee or "")
    return Meeting(
        municipality=hints.municipality
        or municipality_of("\n".join(texts))
        or (council.group(1) if council else "")
        or municipality_of(text),
        committee=committee or "",
        date=date or "",
        time=time,
        place=place,
        kind=kind or "referat",
        source_format="minutes",
    )


def _committee(texts: list[str]) -> str | None:
    """The first header line that names a body: `Sundheds- og Forebyggelsesudvalget`,
    `REFERAT Byrådet d. 01-02-2024` -> `Byrådet`, `Udvalget for plan, udvikling og kultur (PUK)`."""
    for text in texts:
        if len(text) > 150 or text.endswith(".") and not text.endswith(")."):
            continue
        name = _KIND_PREFIX.sub("", text, count=1) if _KIND.match(text) else text
        name = _DATE_TAIL.sub("", name).strip(" -–:,")
        if not name or len(name.split()) > 12 or not _COMMITTEE_WORD.search(name):
            continue
        if re.match(r"^(?:mødested|sted|dato|tid|medlemmer|deltagere|fraværende|afbud)\b", name, re.IGNORECASE):
            continue
        return name
    return None


def municipality_of(text: str) -> str:
    """The `X Kommune` the document names most often; "" when it names none (ingest then asks)."""
    counts = Counter(m for m in _MUNICIPALITY.findall(text) if m not in _NOT_A_MUNICIPALITY)
    return counts.most_common(1)[0][0] if counts else ""
