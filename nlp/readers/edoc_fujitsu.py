"""eDoc from Fujitsu (Middelfart and others): the agenda as XML in the namespace
`http://www.fujitsu.dk/agenda/xml/...`: committee, meeting, and `AgendaElement`s each with a
`HandlingItem` (number, title, case number), its sections (`CasePresentation`, the decision
marked `IsDecision`) and attachments; public access per punkt (`AccessIsPublic`).

The system's HTML rendering of the same XML (same file name, `.html`) is part of the meeting the
XML is (`parts`); an HTML page on its own is read by the general recogniser.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from nlp.closed import is_closed
from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Attachment, JournalNumber, Meeting, Participant, Punkt, Section
from nlp.readers.blocks import html_text
from nlp.readers.minutes import municipality_of
from nlp.readers.reader import Reader, Sniffed
from nlp.readers.xmltools import child, children, parse_xml, text_of
from nlp.sections import absent_names, cap_sections, minutes_section
from nlp.text import clean_inline, sanitise

_NAMESPACE = "fujitsu.dk/agenda/xml"
_DATE_TIME = re.compile(r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})(?:\s+(?P<h>\d{1,2}):(?P<min>\d{2}))?")


def _sniff(sniffed: Sniffed) -> float:
    return 0.9 if _NAMESPACE in sniffed.head[:4000] and "AgendaElement" in sniffed.head else 0.0


def _read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    root = parse_xml(sniffed.data)
    committee = child(root, "Committee")
    meeting_el = child(committee, "Meeting")
    if meeting_el is None:
        raise NotAReferatError("eDoc Fujitsu-XML uden møde ('Committee/Meeting')")
    raw = text_of(meeting_el, "MeetingDateTime")
    match = _DATE_TIME.match(raw)
    if not match:
        raise NotAReferatError(f"eDoc Fujitsu-XML uden gyldig mødedato ('MeetingDateTime': {raw!r})")
    date = f"{int(match.group('y')):04d}-{int(match.group('m')):02d}-{int(match.group('d')):02d}"
    agenda = child(meeting_el, "Agenda")
    kind = text_of(agenda, "Type").lower()
    contents = " ".join(e.text or "" for e in root.iter() if e.tag.endswith("}Content"))
    meeting = Meeting(
        municipality=municipality_of(sanitise(html_text(contents[:500_000]))),
        committee=clean_inline(text_of(committee, "Name")),
        date=date,
        time=f"{int(match.group('h')):02d}:{match.group('min')}" if match.group("h") else None,
        place=clean_inline(text_of(meeting_el, "MeetingLocation")) or None,
        kind="referat" if "referat" in kind else "tillaeg" if "tillæg" in kind else "dagsorden",
        source_format="edoc-fujitsu-xml",
        source_id=text_of(meeting_el, "MeetingIdentifier") or None,
    )
    for person in children(child(meeting_el, "MeetingParticipants"), "MeetingParticipant"):
        name = clean_inline(text_of(person, "Name"))
        if name:
            absent = text_of(person, "Participate").lower() == "false"
            meeting.participants.append(Participant(name, absent=absent, role=text_of(person, "RoleInMeeting") or None))
    meeting.absent = [p.name for p in meeting.participants if p.absent]
    for position, element in enumerate(children(child(agenda, "AgendaElements"), "AgendaElement"), start=1):
        check(deadline, "læser eDoc Fujitsu-punkter")
        meeting.punkter.append(_punkt(element, position, meeting))
    if not meeting.punkter:
        raise NotAReferatError("eDoc Fujitsu-XML uden punkter ('AgendaElement')")
    return meeting


def _punkt(element, position: int, meeting: Meeting) -> Punkt:
    item = child(element, "HandlingItem")
    serial = text_of(item, "SerialNo")
    number = int(serial) if serial.isdigit() else position
    title = clean_inline(text_of(item, "Title")) or clean_inline(text_of(item, "NeutralTitle")) or f"Punkt {number}"
    public = text_of(element, "AccessIsPublic").lower() == "true"
    caption = None if public else (text_of(element, "AccessName") or "Lukket")
    if not public or is_closed(title, caption):
        return Punkt(number=number, title=title, case_type="Lukket", closed=True)
    punkt = Punkt(number=number, title=title)
    case = text_of(item, "CaseNumber")
    punkt.journal = JournalNumber(raw=case) if case else None
    for presentation in children(child(item, "CasePresentations"), "CasePresentation"):
        heading = clean_inline(text_of(presentation, "Title"))
        text = html_text(sanitise(text_of(presentation, "Content")))
        if not heading or not text:
            continue
        decision = text_of(presentation, "IsDecision").lower() == "true"
        name = "Beslutning" if decision else (minutes_section(heading) or heading)
        punkt.sections.append(Section(name=name, text=text, heading=heading))
    if punkt.decision is None and (decision := _released_decision(item)):
        punkt.sections.append(Section(name="Beslutning", text=decision, heading="Beslutning"))
    for attachment in children(child(item, "Attachments"), "Attachment"):
        name = clean_inline(text_of(attachment, "Title"))
        if name and text_of(attachment, "AccessEnumName").lower() in ("", "public"):
            punkt.attachments.append(Attachment(title=name))
    if punkt.decision:
        punkt.absent, punkt.absence_notes = absent_names(punkt.decision)
    meeting.warnings.extend(cap_sections(punkt))
    return punkt


_NOT_RELEASED = re.compile(r"^\s*(?:beslutning\s+)?ikke\s+frigivet\b", re.IGNORECASE)


def _released_decision(item) -> str:
    """The decision the handling of this meeting holds (`HandlingPlan/Handling[Placement=This]/
    Decision`), once released; "Beslutning ikke frigivet" is no decision."""
    for handling in children(child(item, "HandlingPlan"), "Handling"):
        if text_of(handling, "Placement").lower() in ("this", ""):
            text = html_text(sanitise(text_of(handling, "Decision")))
            if text and not _NOT_RELEASED.match(text):
                return text
    return ""


def _parts(sniffed: Sniffed) -> list[tuple[str, list[str]]]:
    stem = PurePath(sniffed.name).stem.lower()
    return [(sniffed.name.lower(), [f"{stem}.html", f"{stem}.htm"])]


READERS = (Reader("edoc-fujitsu-xml", "eDoc Fujitsu-dagsorden (XML)", ("xml",), _sniff, _read, _parts),)
