"""Acadre MM (Syddjurs and others): an index XML (`XML_<id>.xml`) naming the agenda XML and the
Word/PDF document produced from it, and the agenda XML itself: `table`/`fields` rows for the
agenda, committee, meeting, and each punkt with its sections (`bullet`) and attachments.

The agenda XML holds the meeting whole, so it is what is read; the index and the document it names
are parts of that meeting when the agenda XML is beside them (`parts`). An Acadre DOCX or PDF on
its own is read by the general recogniser.
"""

from __future__ import annotations

import re

from nlp.closed import is_closed
from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Attachment, JournalNumber, Meeting, Participant, Punkt, Section
from nlp.readers.blocks import html_blocks
from nlp.readers.minutes import municipality_of, read_punkt
from nlp.readers.reader import PartOfExport, Reader, Sniffed
from nlp.readers.xmltools import local, parse_xml
from nlp.sections import absent_names, cap_sections, minutes_section
from nlp.text import clean_inline, sanitise


def _fields(table) -> dict[str, str]:
    """A `table` element's own `fields/field` values by name (the first of each)."""
    values: dict[str, str] = {}
    for fields in (c for c in table if local(c.tag) == "fields"):
        for f in fields:
            key = f.get("name")
            if key and key not in values:
                values[key] = (f.text or "").strip()
    return values


def _tables(element, name: str) -> list:
    return [t for t in element if local(t.tag) == "table" and t.get("name") == name]


def _sniff(sniffed: Sniffed) -> float:
    head = sniffed.head[:20000]
    return 0.9 if '<table name="agenda">' in head and ("agendaitem" in sniffed.head or "bullet" in head) else 0.0


def _sniff_index(sniffed: Sniffed) -> float:
    return 0.9 if '<table name="producedAgenda">' in sniffed.head[:20000] else 0.0


_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:\s+(?P<t>\d{2}:\d{2}))?")


def _read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    root = parse_xml(sniffed.data)
    agenda_table = next(iter(_tables(root, "agenda")), None)
    if agenda_table is None:
        raise NotAReferatError("Acadre-XML uden dagsorden ('table name=agenda')")
    agenda = _fields(agenda_table)
    committee_table = next(iter(_tables(agenda_table, "committee")), None)
    meeting_table = next(iter(_tables(agenda_table, "meeting")), None)
    committee = _fields(committee_table) if committee_table is not None else {}
    info = _fields(meeting_table) if meeting_table is not None else {}
    match = _DATE.match(info.get("date", ""))
    if not match:
        raise NotAReferatError(f"Acadre-XML uden gyldig mødedato ('date': {info.get('date', '')!r})")
    date = f"{match.group('y')}-{match.group('m')}-{match.group('d')}"
    kind_word = agenda.get("name", "").lower()
    texts = " ".join(f.text or "" for f in root.iter() if local(f.tag) == "field" and f.get("name") == "bulletcontent")
    department = committee.get("departmentName", "")
    meeting = Meeting(
        municipality=municipality_of(sanitise(texts)) or _from_department(department),
        committee=clean_inline(committee.get("name", "")),
        date=date,
        time=match.group("t"),
        place=clean_inline(info.get("location", "")) or None,
        kind="dagsorden" if "dagsorden" in kind_word else "tillaeg" if "tillæg" in kind_word else "referat",
        source_format="acadre-xml",
        source_id=agenda.get("sysid") or None,
    )
    if meeting_table is not None:
        for members in _tables(meeting_table, "meetmember"):
            for member in _tables(members, "member"):
                values = _fields(member)
                if values.get("name"):
                    meeting.participants.append(
                        Participant(
                            clean_inline(values["name"]), absent=values.get("absent") == "1", role=values.get("role")
                        )
                    )
        meeting.absent = [p.name for p in meeting.participants if p.absent]
    for parents in (t for t in root.iter() if local(t.tag) == "table" and t.get("name") == "agendaitemparents"):
        check(deadline, "læser Acadre-punkter")
        order = _fields(parents)
        for item in _tables(parents, "agendaitem"):
            meeting.punkter.append(_punkt(item, order, date, meeting))
    if not meeting.punkter:
        raise NotAReferatError("Acadre-XML uden punkter ('agendaitem')")
    meeting.punkter.sort(key=lambda p: p.number)
    return meeting


def _from_department(name: str) -> str:
    """`Syddjurs Administration` -> `Syddjurs`: Acadre names the municipality's administration."""
    match = re.match(r"^([A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅ][a-zæøå]+)?)\s+(?:Administration|Kommune)\b", name)
    return match.group(1) if match else ""


def _punkt(item, order: dict[str, str], date: str, meeting: Meeting) -> Punkt:
    values = _fields(item)
    raw_number = order.get("sort", "")
    number = int(raw_number) if raw_number.isdigit() else int(order.get("sysid", "0") or 0)
    title = clean_inline(values.get("name", "")) or f"Punkt {number}"
    access = values.get("accessname", "")
    if values.get("access") not in (None, "", "1") or is_closed(title, access if access.lower() != "åben" else None):
        return Punkt(number=number, title=title, case_type="Lukket", closed=True)
    punkt = read_punkt(number, title, [], date)
    caseno = values.get("caseno", "")
    punkt.journal = JournalNumber(raw=caseno) if caseno else None
    for bullet in sorted(_tables(item, "bullet"), key=lambda b: int(_fields(b).get("bulletsortorder", "0") or 0)):
        fields = _fields(bullet)
        heading = clean_inline(fields.get("bulletname", ""))
        content = "\n".join(b.text for b in html_blocks(fields.get("bulletcontent", "")) if b.text)
        if not heading or not content:
            continue
        name = minutes_section(heading) or heading
        if name == "Beslutning" and (when := re.search(r"(\d{2})-(\d{2})-(\d{4})", heading)):
            if f"{when.group(3)}-{when.group(2)}-{when.group(1)}" != date:
                name = "Tidligere beslutning"
        punkt.sections.append(Section(name=name, text=content, heading=heading))
    for enclosure in _tables(item, "enclosure"):
        fields = _fields(enclosure)
        if fields.get("name") and fields.get("access", "1") == "1":
            punkt.attachments.append(Attachment(title=clean_inline(fields["name"])))
    decision = punkt.decision
    if decision:
        punkt.absent, punkt.absence_notes = absent_names(decision)
    meeting.warnings.extend(cap_sections(punkt))
    return punkt


def _index_files(sniffed: Sniffed) -> list[tuple[str, str]]:
    """(agenda XML, document) pairs an index names, published ones first."""
    pairs = []
    for block in re.findall(r"<fields>(.*?)</fields>", sniffed.text, flags=re.DOTALL)[:200]:
        xml = re.search(r'xmlfilename="([^"]+)"', block)
        doc = re.search(r'docfilename="([^"]+)"', block)
        if xml:
            pairs.append((xml.group(1), doc.group(1) if doc else ""))
    return pairs


def _read_index(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    files = ", ".join(x for x, _ in _index_files(sniffed)) or "ingen"
    raise PartOfExport(f"Acadre-indeks for et møde, ikke selv et referat; mødet læses fra dets XML ({files})")


def _parts_index(sniffed: Sniffed) -> list[tuple[str, list[str]]]:
    """The index, and the document made from an agenda XML, hold nothing that XML lacks: when the
    agenda XML is beside them, they are its parts."""
    return [(xml.lower(), sorted({c.lower() for c in (sniffed.name, doc) if c})) for xml, doc in _index_files(sniffed)]


READERS = (
    Reader("acadre-xml", "Acadre MM-dagsorden (XML)", ("xml",), _sniff, _read),
    Reader("acadre-index", "Acadre MM-indeks (XML)", ("xml",), _sniff_index, _read_index, _parts_index),
)
