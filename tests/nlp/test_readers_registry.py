"""Readers are registered, not hard-wired: a new system is one module, found through the registry."""

from __future__ import annotations

import catalogue
import pytest

from nlp.model import Meeting, Punkt
from nlp.readers import Reader, all_readers, read_bytes, readers


@pytest.fixture()
def third_party_reader():
    """A reader the way another package would add one (an entry point `referat_readers` names it)."""

    def sniff(sniffed) -> float:
        return 1.0 if sniffed.head.startswith("KOMMUNE-X-FORMAT") else 0.0

    def read(sniffed, deadline) -> Meeting:
        lines = sniffed.text.splitlines()
        meeting = Meeting(municipality="X", committee=lines[1], date=lines[2], source_format="kommune-x")
        meeting.punkter = [Punkt(number=i, title=t) for i, t in enumerate(lines[3:], start=1)]
        return meeting

    reader = Reader("kommune-x", "Kommune X's eget format", ("text",), sniff, read)
    readers.register("kommune-x", func=reader)
    yield reader
    catalogue._remove(("referat", "readers", "kommune-x"))


def test_a_reader_registered_from_outside_is_used(third_party_reader) -> None:
    meeting = read_bytes("KOMMUNE-X-FORMAT\nByrådet\n2025-01-02\nBudget\nSkoler\n".encode(), source="x.dat")
    assert meeting.source_format == "kommune-x"
    assert [p.title for p in meeting.punkter] == ["Budget", "Skoler"]


def test_the_registry_reads_entry_points_of_one_group() -> None:
    assert readers.entry_point_namespace == "referat_readers"
    names = {r.name for r in all_readers()}
    assert {"firstagenda-json", "referat-text", "pdf", "docx", "edoc-xml", "acadre-xml", "edoc-fujitsu-xml"} <= names
    assert {"firstagenda-html", "firstagenda-listing", "minutes-text", "html"} <= names


def test_the_most_certain_reader_wins() -> None:
    """An eDoc Fujitsu export is XML any XML reader could try; its own reader says it is sure."""
    xml = (
        '<Root xmlns:edoc="http://www.fujitsu.dk/agenda/xml/schemas/2009/03/31/"><edoc:Committee>'
        "<edoc:Name>Plan- og Miljøudvalget</edoc:Name><edoc:Meeting><edoc:MeetingDateTime>03-03-2025 16:00"
        "</edoc:MeetingDateTime><edoc:Agenda><edoc:Type>Referat</edoc:Type><edoc:AgendaElements><edoc:AgendaElement>"
        "<edoc:AccessIsPublic>true</edoc:AccessIsPublic><edoc:HandlingItem><edoc:SerialNo>7</edoc:SerialNo>"
        "<edoc:Title>Lokalplan for Nordbyen</edoc:Title><edoc:CasePresentations><edoc:CasePresentation>"
        "<edoc:Title>Beslutning</edoc:Title><edoc:Content>&lt;p&gt;Godkendt.&lt;/p&gt;</edoc:Content>"
        "<edoc:IsDecision>true</edoc:IsDecision></edoc:CasePresentation></edoc:CasePresentations></edoc:HandlingItem>"
        "</edoc:AgendaElement><edoc:AgendaElement><edoc:AccessIsPublic>false</edoc:AccessIsPublic>"
        "<edoc:AccessName>Fortrolig publicering</edoc:AccessName><edoc:HandlingItem><edoc:SerialNo>8</edoc:SerialNo>"
        "<edoc:Title>Ekspropriation</edoc:Title><edoc:CasePresentations><edoc:CasePresentation>"
        "<edoc:Title>Sagsbeskrivelse</edoc:Title><edoc:Content>Ejerens navn</edoc:Content></edoc:CasePresentation>"
        "</edoc:CasePresentations></edoc:HandlingItem></edoc:AgendaElement></edoc:AgendaElements></edoc:Agenda>"
        "</edoc:Meeting></edoc:Committee></Root>"
    ).encode()
    meeting = read_bytes(xml, source="eksport.xml")
    assert meeting.source_format == "edoc-fujitsu-xml" and meeting.kind == "referat"
    assert (meeting.committee, meeting.date, meeting.time) == ("Plan- og Miljøudvalget", "2025-03-03", "16:00")
    assert meeting.punkter[0].decision == "Godkendt."
    closed = meeting.punkter[1]
    assert closed.closed and closed.sections == [] and "Ejerens" not in str(closed)


def test_an_edoc_fujitsu_referat_s_released_decision_is_read() -> None:
    xml = (
        '<Root xmlns:edoc="http://www.fujitsu.dk/agenda/xml/schemas/2009/03/31/"><edoc:Committee>'
        "<edoc:Name>Økonomiudvalget</edoc:Name><edoc:Meeting><edoc:MeetingDateTime>05-05-2025 08:00"
        "</edoc:MeetingDateTime><edoc:Agenda><edoc:Type>Referat</edoc:Type><edoc:AgendaElements>"
        "<edoc:AgendaElement><edoc:AccessIsPublic>true</edoc:AccessIsPublic><edoc:HandlingItem>"
        "<edoc:SerialNo>1</edoc:SerialNo><edoc:Title>Regnskab 2024</edoc:Title><edoc:HandlingPlan><edoc:Handling>"
        "<edoc:Placement>Previous</edoc:Placement><edoc:Decision>Sendt i høring.</edoc:Decision></edoc:Handling>"
        "<edoc:Handling><edoc:Placement>This</edoc:Placement><edoc:Decision>&lt;p&gt;Anbefales.&lt;/p&gt;"
        "</edoc:Decision></edoc:Handling></edoc:HandlingPlan></edoc:HandlingItem></edoc:AgendaElement>"
        "<edoc:AgendaElement><edoc:AccessIsPublic>true</edoc:AccessIsPublic><edoc:HandlingItem>"
        "<edoc:SerialNo>2</edoc:SerialNo><edoc:Title>Orientering</edoc:Title><edoc:HandlingPlan><edoc:Handling>"
        "<edoc:Placement>This</edoc:Placement><edoc:Decision>Beslutning ikke frigivet</edoc:Decision>"
        "</edoc:Handling></edoc:HandlingPlan></edoc:HandlingItem></edoc:AgendaElement>"
        "</edoc:AgendaElements></edoc:Agenda></edoc:Meeting></edoc:Committee></Root>"
    ).encode()
    meeting = read_bytes(xml, source="referat.xml")
    assert [p.decision for p in meeting.punkter] == ["Anbefales.", None]
