"""Reader for referater as text or markdown converted from PDF (Odense's layout and its kin).

The layout: a `REFERAT <udvalg> <periode> d. DD-MM-YYYY` header, `Mødedato`/`Mødested`, a table
of contents, then `Punkt N: <titel>` headings, each followed by a journal number and sections
under canonical names. Heading levels, bold and case vary from year to year, so a heading is
recognised by its words, never by its markdown level.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from nlp import closed
from nlp.dates import MONTHS
from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Attachment, Meeting, Punkt, Section
from nlp.sections import (
    CASE_TYPE,
    JOURNAL,
    absent_names,
    canonical_section,
    cap_sections,
    is_case_line,
    parse_case_number,
    parse_journal,
    split_case_type,
)
from nlp.text import (
    clean_inline,
    is_separator,
    is_table_line,
    join_broken_paragraphs,
    normalise_newlines,
    table_from_lines,
)

#: `Punkt 12: Titel`; the title may stand on the next line (`Punkt 6:` alone). Any number of
#: digits: a referat with 2,000 punkter keeps them all.
PUNKT_HEADING = re.compile(r"^Punkt\s+(?P<number>\d{1,6})\s*[:.]\s*(?P<title>\S.*)?$")
#: Lines longer than this are body text, never a heading or a header (and the header and table
#: of contents patterns are never run on a megabyte line).
_MAX_HEADING_LINE = 500
log = logging.getLogger(__name__)
_HEADER = re.compile(
    r"^(?:REFERAT|DAGSORDEN)\s+(?P<committee>.+?)\s+(?:(?P<period>\d{4}\s*-\s*\d{4})\s+)?"
    r"d\.\s*(?P<d>\d{1,2})[-./](?P<m>\d{1,2})[-./](?P<y>\d{4})",
    re.IGNORECASE,
)
_TIME = re.compile(r"kl\.?\s*(?P<h>\d{1,2})[:.](?P<min>\d{2})")
_DANISH_DATE = re.compile(r"(?P<d>\d{1,2})\.\s*(?P<month>[a-zæøå]+)\s+(?P<y>\d{4})", re.IGNORECASE)
_MUNICIPALITY = re.compile(r"\b([A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅ][a-zæøå]+)?) Kommunes?\b")
_NOT_A_MUNICIPALITY = {"Den", "Hver", "Hele", "Anden", "Samme", "Egen", "Vores", "Denne"}


def looks_like(text: str) -> bool:
    """Whether a decoded text is this layout: a referat header or `Punkt N:` headings."""
    head = text[:5000]
    lines = [clean_inline(line) for line in head.split("\n")[:400]]
    return any(_HEADER.match(line) or _heading(line) for line in lines)


def _heading(line: str) -> re.Match[str] | None:
    return PUNKT_HEADING.match(line) if len(line) <= _MAX_HEADING_LINE else None


@dataclass
class _Block:
    """A run of raw lines belonging to one punkt."""

    number: int
    title: str
    lines: list[str] = field(default_factory=list)
    #: Closed by a heading: a `Lukket dagsorden` above it or a `Lukket punkt` inside it.
    closed: bool = False


def read_text(text: str, *, source: str = "", deadline: Deadline | None = None) -> Meeting:
    text = normalise_newlines(text)
    raw_lines = text.split("\n")
    clean = [clean_inline(line) if len(line) <= 20_000 else line for line in raw_lines]
    check(deadline, "læser mødehovedet")
    meeting = _read_header(clean, text, source)
    toc = _table_of_contents(raw_lines)
    warnings: list[str] = []
    blocks = _split_punkter(raw_lines, clean, toc, warnings, deadline)
    if not blocks:
        raise NotAReferatError(f"{source or 'tekst'}: ingen punkter ('Punkt N: ...') fundet")
    meeting.punkter = []
    for block in blocks:
        check(deadline, f"læser punkt {block.number}")
        punkt = _read_punkt(block)
        warnings.extend(cap_sections(punkt))
        meeting.punkter.append(punkt)
    meeting.absent = _whole_meeting_absences(meeting.punkter)
    meeting.toc = toc
    meeting.warnings = warnings + _cross_check(meeting)
    for warning in meeting.warnings:
        log.warning("%s: %s", source or "tekst", warning)
    return meeting


_TOC_LINE = re.compile(r"^(?P<title>.+?)(?:\.{2,}\s*|\t+|\s{2,})(?P<page>\d{1,3})\s*$")


def _table_of_contents(raw_lines: list[str]) -> list[str]:
    """Entries between `Indholdsfortegnelse` and the first punkt, without dot leaders and pages."""
    entries: list[str] = []
    inside = False
    for raw in raw_lines:
        line = clean_inline(raw)
        if line.lower().startswith("indholdsfortegnelse"):
            inside = True
            continue
        if not inside or not line:
            continue
        if _heading(line):
            break
        if len(raw) <= _MAX_HEADING_LINE and (match := _TOC_LINE.match(raw.strip())):
            entries.append(clean_inline(match.group("title")))
    return entries


def _cross_check(meeting: Meeting) -> list[str]:
    """The table of contents is not content, but it tells when a heading was missed."""
    if not meeting.toc:
        return []
    warnings = []
    if len(meeting.toc) != len(meeting.punkter):
        warnings.append(f"indholdsfortegnelsen har {len(meeting.toc)} punkter, teksten {len(meeting.punkter)}")
    for entry, punkt in zip(meeting.toc, meeting.punkter, strict=False):
        a, b = _comparable(entry), _comparable(punkt.title)
        if not (a.startswith(b[: len(a)]) or b.startswith(a[: len(b)]) or a[:25] == b[:25]):
            warnings.append(f"punkt {punkt.number}: overskriften '{punkt.title[:60]}' svarer ikke til '{entry[:60]}'")
    return warnings


def _comparable(title: str) -> str:
    return re.sub(r"[^a-zæøå0-9]+", "", title.lower())


def _read_header(clean: list[str], text: str, source: str) -> Meeting:
    committee, period, date, time, place, kind = None, None, None, None, None, "referat"
    for line in clean[:200]:
        if len(line) > _MAX_HEADING_LINE:
            continue
        if committee is None and (match := _HEADER.match(line)):
            committee = match.group("committee").strip()
            kind = "dagsorden" if line[:9].upper() == "DAGSORDEN" else "referat"
            period = re.sub(r"\s+", "", match.group("period") or "") or None
            date = f"{int(match.group('y')):04d}-{int(match.group('m')):02d}-{int(match.group('d')):02d}"
        elif line.lower().startswith("mødedato"):
            if match := _TIME.search(line):
                time = f"{int(match.group('h')):02d}:{match.group('min')}"
            if date is None and (match := _DANISH_DATE.search(line)):
                month = MONTHS.get(match.group("month").lower())
                if month:
                    date = f"{int(match.group('y')):04d}-{month:02d}-{int(match.group('d')):02d}"
        elif line.lower().startswith("mødested") and place is None:
            place = line[len("mødested") :].strip(" :") or None
        if _heading(line):
            break
    if date is not None and not _valid_date(date):
        raise NotAReferatError(f"{source or 'tekst'}: mødehovedet har en ugyldig dato ({date})")
    if committee is None or date is None:
        raise NotAReferatError(
            f"{source or 'tekst'}: ingen mødehoved fundet (forventede 'REFERAT <udvalg> d. DD-MM-ÅÅÅÅ')"
        )
    return Meeting(
        municipality=_guess_municipality(text),
        committee=committee,
        date=date,
        time=time,
        place=place,
        period=period,
        source_format="referat-text",
        kind=kind,
    )


def _guess_municipality(text: str) -> str:
    """The municipality a referat is from: the `X Kommune` it names most often."""
    counts = Counter(m for m in _MUNICIPALITY.findall(text) if m not in _NOT_A_MUNICIPALITY)
    return counts.most_common(1)[0][0] if counts else ""


def _valid_date(iso: str) -> bool:
    import datetime as dt

    try:
        return 1900 <= dt.date.fromisoformat(iso).year <= 2200
    except ValueError:
        return False


@dataclass
class _Candidate:
    """A `Punkt N:` line that may be a heading; `strong` when something besides it says so."""

    index: int  # line index of the `Punkt N:` line
    number: int
    title: str
    title_index: int  # the line the title is on (the next line for `Punkt 6:` alone)
    strong: bool


def _candidates(clean: list[str], toc: list[str]) -> list[_Candidate]:
    toc_keys = {_comparable(entry)[:25] for entry in toc}
    found: list[_Candidate] = []
    for i, line in enumerate(clean):
        match = _heading(line)
        if not match:
            continue
        title, title_index = (match.group("title") or "").strip(), i
        following = [j for j in range(i + 1, min(i + 12, len(clean))) if clean[j]][:5]
        if not title and following:
            j = following[0]
            nxt = clean[j]
            if (
                not (_heading(nxt) or JOURNAL.match(nxt) or is_case_line(nxt) or canonical_section(nxt))
                and len(nxt) <= _MAX_HEADING_LINE
            ):
                title, title_index = nxt, j
                following = following[1:]
        after = []
        for j in following[:4]:  # what follows up to the next `Punkt N:` line
            if _heading(clean[j]):
                break
            after.append(clean[j])
        strong = bool(
            title
            and (
                CASE_TYPE.match(title)
                or closed.decide_title(title).certain
                or _comparable(title)[:25] in toc_keys
                or any(JOURNAL.match(a) or is_case_line(a) for a in after[:3])
                or (after and canonical_section(after[0]))
            )
        )
        found.append(_Candidate(i, int(match.group("number")), title, title_index, strong))
    return found


def _split_punkter(
    raw_lines: list[str],
    clean: list[str],
    toc: list[str],
    warnings: list[str],
    deadline: Deadline | None = None,
) -> list[_Block]:
    """Raw lines grouped by punkt. A `Punkt N:` line is a heading only when its number grows and,
    if it is weak (no journal number, case type or table-of-contents entry says so), no stronger
    heading with a number as small follows and it does not stand inside a closed punkt. Every
    line that is not taken as a heading stays in the text of the punkt it stands in, with a warning.
    """
    candidates = _candidates(clean, toc)
    # The smallest number of a strong heading at or after each candidate.
    min_strong_after: list[float] = [float("inf")] * (len(candidates) + 1)
    for k in range(len(candidates) - 1, -1, -1):
        c = candidates[k]
        min_strong_after[k] = min(min_strong_after[k + 1], c.number if c.strong else float("inf"))
    by_line = {c.index: (k, c) for k, c in enumerate(candidates)}
    blocks: list[_Block] = []
    closed_part = False  # inside a `Lukket dagsorden` part of the agenda
    reopened = False  # an `Åben dagsorden` heading since the last punkt began
    skip_until = -1
    for i, (raw, line) in enumerate(zip(raw_lines, clean, strict=True)):
        if i % 5000 == 0:
            check(deadline, f"læser linje {i}")
        if i <= skip_until:
            continue
        if i not in by_line and closed.is_marking(line):
            if closed.opens_closed_part(line):
                closed_part = True
                continue  # a heading of the agenda's parts, not text of the punkt above it
            if blocks:
                blocks[-1].closed = True
        elif i not in by_line and closed.opens_open_part(line):
            closed_part, reopened = False, True
            continue
        found = by_line.get(i)
        if found is not None:
            k, c = found
            where = _where(blocks)
            if blocks and c.number <= blocks[-1].number:
                warnings.append(f"{where}: en linje 'Punkt {c.number}:' er ikke en overskrift (nummeret vokser ikke)")
                found = None
            elif not c.strong and min_strong_after[k + 1] <= c.number:
                warnings.append(f"{where}: en linje 'Punkt {c.number}:' er ikke en overskrift (et senere har det)")
                found = None
            elif not c.strong and not reopened and blocks and (blocks[-1].closed or closed.is_closed(blocks[-1].title)):
                warnings.append(f"{where}: en linje 'Punkt {c.number}:' i et lukket punkt er ikke en ny overskrift")
                found = None
            elif not c.title:
                warnings.append(f"punkt {c.number}: overskriften har ingen titel")
        if found is not None:
            blocks.append(_Block(c.number, c.title or f"Punkt {c.number}", closed=closed_part))
            reopened = False
            skip_until = c.title_index
        elif blocks:
            blocks[-1].lines.append(raw)
    return blocks


def _where(blocks: list[_Block]) -> str:
    return f"punkt {blocks[-1].number}" if blocks else "før første punkt"


def _read_punkt(block: _Block) -> Punkt:
    case_type, title = split_case_type(block.title)
    if block.closed or closed.is_closed(block.title):
        case_type = "Lukket"
    punkt = Punkt(number=block.number, title=title, case_type=case_type, closed=case_type == "Lukket")
    lines = block.lines
    continuation: list[str] = []
    for i, raw in enumerate(lines[:12]):
        if len(raw) > _MAX_HEADING_LINE:
            break
        line = clean_inline(raw)
        if not line:
            continue
        if JOURNAL.match(line) or is_case_line(line):
            punkt.journal = parse_journal(line) or parse_case_number(line)
            lines = lines[i + 1 :]
            # A long heading that the PDF wrapped continues until the case number (a KLE journal
            # number in Odense, `EMN-2025-...` in Aarhus); a closed
            # punkt's title is its heading line only, whatever stands before the number.
            if continuation and not punkt.closed:
                case_type, punkt.title = split_case_type(" ".join([block.title, *continuation]))
                if case_type == "Lukket":
                    punkt.case_type, punkt.closed = "Lukket", True
            break
        if canonical_section(line) or len(continuation) >= 2:
            break
        continuation.append(line)
    if not punkt.closed and continuation and closed.is_closed("\n".join([block.title, *continuation])):
        punkt.case_type, punkt.closed = "Lukket", True  # a marking on the wrapped line(s) of the heading
    if punkt.closed:
        return punkt  # a closed punkt keeps its title and nothing else
    punkt.sections = _read_sections(lines)
    bilag = punkt.section("Bilag")
    if bilag:
        punkt.attachments = [Attachment(title=t) for t in bilag.text.split("\n") if t.strip()]
    decision = punkt.decision
    if decision:
        punkt.absent, punkt.absence_notes = absent_names(decision)
    return punkt


def _read_sections(lines: list[str]) -> list[Section]:
    sections: list[Section] = []
    current: list[str] = []
    heading, name = "", "Tekst"

    def close() -> None:
        if name != "Tekst" or any(line.strip() for line in current):
            sections.append(_make_section(name, heading, current))

    for raw in lines:
        line = clean_inline(raw) if len(raw) < 200 else ""
        canonical = canonical_section(line) if line and len(line) < 60 else None
        if canonical:
            close()
            heading, name, current = line.rstrip(":").strip(), canonical, []
        else:
            current.append(raw)
    close()
    return sections


def _make_section(name: str, heading: str, raw_lines: list[str]) -> Section:
    paragraphs: list[str] = []
    tables = []
    table_lines: list[str] = []

    def flush_table() -> None:
        if table_lines:
            table = table_from_lines(table_lines)
            if table.rows:
                tables.append(table)
                paragraphs.extend("\t".join(row) for row in table.rows)
            table_lines.clear()

    for raw in raw_lines:
        if is_table_line(raw) or (table_lines and is_separator(raw)):
            table_lines.append(raw)
            continue
        flush_table()
        line = clean_inline(raw)
        if line and not is_separator(raw):
            paragraphs.append(line)
    flush_table()
    return Section(name=name, heading=heading, text="\n".join(join_broken_paragraphs(paragraphs)), tables=tables)


def _whole_meeting_absences(punkter: list[Punkt]) -> list[str]:
    """Members absent from the whole meeting: named in a `deltog ikke i mødet` sentence."""
    names: list[str] = []
    for punkt in punkter:
        for note in punkt.absence_notes:
            if re.search(r"deltog ikke i (?:hele )?mødet", note):
                who, _ = absent_names(note)
                names.extend(n for n in who if n not in names)
    return names
