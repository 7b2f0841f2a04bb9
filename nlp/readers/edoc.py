"""KMD eDoc agenda publishing (`eDocAgendaPublishing.xml`): the meeting as XML, each punkt with its
own full text, plus one PDF per punkt and the whole referat as PDF beside it.

The XML holds everything (committee, date, the open and closed agenda, every punkt's number,
title, text and attachments), so the meeting is read from it alone and the PDFs it names are
parts of that meeting, not meetings of their own (`parts`).
"""

from __future__ import annotations

import re

from nlp.closed import is_closed
from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Attachment, Meeting, Punkt
from nlp.readers.blocks import text_blocks
from nlp.readers.minutes import Hints, match_heading, read_header, read_punkt
from nlp.readers.reader import Reader, Sniffed
from nlp.readers.xmltools import child, children, parse_xml, text_of
from nlp.sections import cap_sections
from nlp.text import clean_inline, sanitise

_DATE_TIME = re.compile(r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})(?:\s+(?P<h>\d{1,2}):(?P<min>\d{2}))?")


def _sniff(sniffed: Sniffed) -> float:
    head = sniffed.head[:20000]
    return 0.9 if "<Meeting" in head and "<MeetingAgendaTypes" in head else 0.0


def _date_time(raw: str) -> tuple[str | None, str | None]:
    match = _DATE_TIME.match(raw.strip())
    if not match:
        return None, None
    date = f"{int(match.group('y')):04d}-{int(match.group('m')):02d}-{int(match.group('d')):02d}"
    time = f"{int(match.group('h')):02d}:{match.group('min')}" if match.group("h") else None
    return date, time


def _read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    root = parse_xml(sniffed.data)
    date, time = _date_time(text_of(root, "MeetingDate"))
    if not date:
        raise NotAReferatError(
            f"eDoc-mødeeksport uden gyldig mødedato ('MeetingDate': {text_of(root, 'MeetingDate')!r})"
        )
    state = text_of(root, "MeetingState").lower()
    types = children(child(root, "MeetingAgendaTypes"), "MeetingAgendaType")
    # The meeting's own texts, not its attachments' (which name every municipality they quote).
    whole = " ".join(
        sanitise(text_of(e, "FullText"))
        for t in types
        for e in [t, *children(child(t, "MeetingAgendaItems"), "MeetingAgendaItem")]
    )
    overview = next((text_of(t, "FullText") for t in types if text_of(t, "FullText")), "")
    header = read_header(text_blocks(sanitise(overview))[:80], text_blocks(sanitise(whole[:200_000])), Hints())
    meeting = Meeting(
        municipality=header.municipality,
        committee=clean_inline(text_of(root, "Committee")),
        date=date,
        time=time,
        place=header.place,
        kind="referat" if "referat" in state else "dagsorden",
        source_format="edoc-xml",
    )
    punkter: list[Punkt] = []
    for agenda_type in types:
        type_name = clean_inline(text_of(agenda_type, "AgendaType"))
        for item in children(child(agenda_type, "MeetingAgendaItems"), "MeetingAgendaItem"):
            check(deadline, "læser eDoc-punkter")
            punkter.append(_punkt(item, type_name, date, meeting))
    if not punkter:
        raise NotAReferatError("eDoc-mødeeksport uden punkter (ingen 'MeetingAgendaItem')")
    meeting.punkter = sorted(punkter, key=lambda p: p.number)
    return meeting


def _punkt(item, type_name: str, date: str, meeting: Meeting) -> Punkt:
    number_raw = text_of(item, "AgendaItemNumber")
    number = int(number_raw) if number_raw.isdigit() else 0
    document = child(item, "Document")
    title = clean_inline(text_of(document, "Title") or text_of(document, "NeutralTitle")) or f"Punkt {number}"
    if is_closed(title, None, (type_name,)):
        return Punkt(number=number, title=title, case_type="Lukket", closed=True)
    blocks = text_blocks(sanitise(text_of(item, "FullText")))
    # The full text starts with the punkt's own heading (`2.\tTitel`): the title is the XML's.
    for k, block in enumerate(blocks[:5]):
        if block.text and match_heading(block.text):
            blocks = blocks[k + 1 :]
            break
    punkt = read_punkt(number, title, blocks, date, type_name)
    listed = {a.title for a in punkt.attachments}
    for attachment in children(child(document, "Attachments"), "Attachment"):
        name = clean_inline(text_of(attachment, "Title"))
        if name and not any(name in t for t in listed):
            punkt.attachments.append(Attachment(title=name, url=text_of(attachment, "UrlShowAttachment") or None))
    meeting.warnings.extend(cap_sections(punkt))
    return punkt


def _parts(sniffed: Sniffed) -> list[tuple[str, list[str]]]:
    names = re.findall(r"<PDFDocument>\s*([^<\s]+)\s*</PDFDocument>", sniffed.text)
    return [(sniffed.name.lower(), sorted({n.lower() for n in names}))]


READERS = (Reader("edoc-xml", "eDoc-mødeeksport (XML)", ("xml",), _sniff, _read, _parts),)
