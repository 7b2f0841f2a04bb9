"""The Greve FirstAgenda JSON files: punkter, titles, sections, participants and absences."""

from __future__ import annotations

import json

import pytest

from nlp.readers import read_path
from nlp.readers.firstagenda import read_firstagenda
from tests.conftest import SAMPLE

GREVE = SAMPLE / "greve"


@pytest.fixture(scope="module")
def meetings():
    return {p.name: read_path(p) for p in sorted(GREVE.glob("*.json"))}


def test_every_file_reads_with_its_punkter(meetings):
    counts = {name.split("-", 1)[1]: len(m.punkter) for name, m in meetings.items()}
    assert counts == {
        "beskaeftigelses-og-erhvervsudvalget-2022-03-14.json": 9,
        "beskaeftigelses-og-erhvervsudvalget-2025-01-06.json": 8,
        "social-og-handicapudvalget-2023-10-09.json": 12,
        "social-og-handicapudvalget-2025-01-06.json": 8,
    }


def test_titles_and_numbers_follow_the_source(meetings):
    for name, meeting in meetings.items():
        raw = json.loads((GREVE / name).read_text(encoding="utf-8"))
        assert [p.number for p in meeting.punkter] == [int(i["Punktnummer"]) for i in raw["Dagsordenpunkter"]]
        assert [p.title for p in meeting.punkter] == [" ".join(i["Navn"].split()) for i in raw["Dagsordenpunkter"]]


def test_meeting_header(meetings):
    meeting = meetings["greve-social-og-handicapudvalget-2023-10-09.json"]
    assert meeting.municipality == "Greve"
    assert meeting.committee == "Social- og Handicapudvalget"
    assert (meeting.date, meeting.time, meeting.place) == ("2023-10-09", "17:00", "Mødelokale 1")
    assert [p.name for p in meeting.participants][:2] == ["Claus Jensen", "Anne Marie Lyduch"]
    assert meeting.base_id == "greve/social-og-handicapudvalget/2023-10-09"


def test_sections_from_h3_and_h4_headings(meetings):
    punkt = meetings["greve-social-og-handicapudvalget-2023-10-09.json"].punkter[1]
    names = [s.name for s in punkt.sections]
    assert names[:4] == ["Beslutning", "Sagsprocedure", "Resume", "Indstilling"]
    assert "Sagsfremstilling" in names and "Sagens forløb" in names
    assert punkt.journal.raw == "23-010897" and punkt.journal.kle is None
    assert all("<" not in s.text for s in punkt.sections)
    assert punkt.decision


def test_absences_from_decision_text(meetings):
    punkt = meetings["greve-social-og-handicapudvalget-2025-01-06.json"].punkter[6]
    assert punkt.absent == ["Linda Heegaard", "Anne Marie Lyduch"]


def test_closed_item_keeps_title_only(meetings):
    punkt = meetings["greve-social-og-handicapudvalget-2025-01-06.json"].punkter[3]
    assert punkt.closed and punkt.case_type == "Lukket" and punkt.sections == []


def test_attachments_with_links(meetings):
    punkt = meetings["greve-social-og-handicapudvalget-2023-10-09.json"].punkter[2]
    assert len(punkt.attachments) == 4
    assert all(a.url and a.url.startswith("https://dagsordener.greve.dk/") for a in punkt.attachments)


def test_absent_participant_flag():
    data = json.loads((GREVE / "greve-social-og-handicapudvalget-2023-10-09.json").read_text(encoding="utf-8"))
    data["Moede"]["Moededeltagere"][0]["Absent"] = True
    meeting = read_firstagenda(data)
    assert meeting.absent == ["Claus Jensen"]
