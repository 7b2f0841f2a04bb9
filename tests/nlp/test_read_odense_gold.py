"""Every punkt of the five Odense referater against the hand-checked gold (tests/fixtures/structure.json)."""

from __future__ import annotations

import pytest

from nlp.readers import read_path
from tests.conftest import odense_file


@pytest.fixture(scope="module")
def parsed(structure_gold):
    return {f["stem"][:3]: (f, read_path(odense_file(f["meeting_date"]))) for f in structure_gold["files"]}


def _pairs(parsed):
    for prefix, (gold_file, meeting) in parsed.items():
        by_number = {p.number: p for p in meeting.punkter}
        for gold in gold_file["punkter"]:
            yield gold, by_number.get(gold["number"])


def test_meeting_headers(parsed):
    for gold, meeting in parsed.values():
        assert meeting.committee == gold["committee"]
        assert meeting.period == gold["committee_period"]
        assert meeting.date == gold["meeting_date"]
        assert meeting.time == gold["meeting_time"]
        assert meeting.place == gold["location"]
        assert meeting.municipality == "Odense"
        assert meeting.absent == gold["members_absent_whole_meeting"]
        assert [p.number for p in meeting.punkter] == [p["number"] for p in gold["punkter"]]


def test_every_punkt_number_title_case_type_journal(parsed):
    for gold, punkt in _pairs(parsed):
        assert punkt is not None, gold["id"]
        assert punkt.title == gold["title"], gold["id"]
        assert punkt.case_type == gold["case_type"], gold["id"]
        assert punkt.journal is not None and punkt.journal.raw == gold["journal_number"], gold["id"]


def test_every_punkt_sections_in_order(parsed):
    for gold, punkt in _pairs(parsed):
        canonical = [s.name for s in punkt.sections if s.name != "Tekst"]
        assert canonical == gold["sections_canonical"], gold["id"]
        assert [s.heading for s in punkt.sections if s.name != "Tekst"] == gold["sections"], gold["id"]


def test_every_decision(parsed):
    for gold, punkt in _pairs(parsed):
        if gold["decision"] is None:
            assert punkt.decision is None, gold["id"]
        else:
            assert punkt.decision is not None, gold["id"]
            assert punkt.decision[:300] == gold["decision"], gold["id"]
            assert len(punkt.decision) == gold["decision_full_length"], gold["id"]


def test_every_absence(parsed):
    for gold, punkt in _pairs(parsed):
        assert punkt.absent == gold["members_absent"], gold["id"]
        assert punkt.absence_notes == gold["absence_notes"], gold["id"]


def test_journal_number_is_split_into_kle_facet_serial_year(parsed):
    _, meeting = parsed["001"]
    journal = meeting.punkter[1].journal
    assert (journal.kle, journal.facet, journal.serial, journal.year) == ("27.15.12", "Ø40", "53", "19")


def test_closed_punkt_keeps_title_only(parsed):
    _, meeting = parsed["004"]
    closed = next(p for p in meeting.punkter if p.number == 4)
    assert closed.closed and closed.case_type == "Lukket"
    assert closed.sections == [] and closed.decision is None


def test_tables_are_clean_rows(parsed):
    _, meeting = parsed["000"]
    tables = [t for p in meeting.punkter for s in p.sections for t in s.tables]
    assert len(tables) > 5
    for table in tables:
        for row in table.rows:
            for cell in row:
                assert "<" not in cell and "**" not in cell and "\\_" not in cell


def test_attachments_listed(parsed):
    _, meeting = parsed["002"]
    punkt = next(p for p in meeting.punkter if p.number == 2)
    assert [a.title for a in punkt.attachments][0].startswith("Bilag 1: Bestemmelser for magtanvendelse")


def test_table_of_contents_is_a_cross_check(parsed):
    for gold, meeting in parsed.values():
        assert len(meeting.toc) == len(gold["toc"])
        assert [e[:40] for e in meeting.toc] == [t["text"][:40] for t in gold["toc"]]
    _, meeting = parsed["001"]
    assert meeting.warnings == [
        "punkt 8: overskriften 'Servicetjek af beskæftigelsesindsatsen' svarer ikke til "
        "'Servicejtek af beskæftigelsesindsatsen'"
    ]
