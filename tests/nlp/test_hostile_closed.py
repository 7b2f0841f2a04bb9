"""Closed means closed: every way a municipality marks a punkt lukket, in both readers, keeps the
title and nothing else. The fixtures plant unique words (`zqxhemmelig…`) in closed bodies."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from nlp.readers import read_path
from nlp.sections import is_closed
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"


@pytest.mark.parametrize(
    "title",
    [
        "Lukket: Salg af grund",
        "Lukket punkt: Personalesag",
        "Lukket - Erstatningssag",
        "LUKKET - Udbud",
        "lukket: udbud",
        "(Lukket) Ejendomshandel",
        "Ejendomshandel (Lukket)",
        "Temamøde (lukket punkt)",
        "Salg af grund - Lukket",
        "[Lukket] Salg",
        "Lukket",
        "Lukket sag. Erstatning",
    ],
)
def test_every_closed_title_variant_is_closed(title):
    assert is_closed(title)


@pytest.mark.parametrize(
    "title",
    ["Lukket afdeling på plejecentret", "Lukning af skole", "Godkendelse af dagsorden", "Lukkeloven og butikker"],
)
def test_open_titles_that_mention_closing_stay_open(title):
    assert not is_closed(title)


def test_caption_and_headings_are_signals_too():
    assert is_closed("Køb af areal", caption="Lukket: Køb af areal")
    assert is_closed("Orientering", headings=["Beslutning", "Lukket punkt"])
    assert is_closed("Orientering", headings=["LUKKET DAGSORDEN"])
    assert not is_closed("Orientering", caption="Orientering", headings=["Beslutning"])


@pytest.mark.parametrize("name", ["text-closed-variants.txt", "firstagenda-closed-variants.json"])
def test_no_planted_word_survives_reading(name):
    meeting = read_path(HOSTILE / name)
    assert "zqxhemmelig" not in json.dumps(asdict(meeting), ensure_ascii=False)
    closed = [p for p in meeting.punkter if p.closed]
    assert all(p.case_type == "Lukket" and not p.sections and not p.attachments and not p.absent for p in closed)


def test_text_reader_closed_variants_in_detail():
    meeting = read_path(HOSTILE / "text-closed-variants.txt")
    by_number = {p.number: p for p in meeting.punkter}
    assert sorted(by_number) == list(range(1, 11))  # the quoted `Punkt 5:` is no punkt of its own
    assert {n for n, p in by_number.items() if not p.closed} == {1, 7, 10}
    assert by_number[3].title == "Lukket punkt: Personalesag"  # the line before the number is not glued
    assert by_number[6].title == "LUKKET - Udbud af rengøring"  # title on the line after `Punkt 6:`
    assert by_number[10].decision == "Skolerne får nye tage."
    assert by_number[7].decision == "Vejene repareres."


def test_firstagenda_closed_variants_in_detail():
    meeting = read_path(HOSTILE / "firstagenda-closed-variants.json")
    assert [p.number for p in meeting.punkter if not p.closed] == [1]
    assert meeting.punkter[0].decision == "Godkendt."
    # IsOpen is false for every item, open or closed: it is no signal.
    raw = json.loads((HOSTILE / "firstagenda-closed-variants.json").read_text(encoding="utf-8"))
    assert {i["IsOpen"] for i in raw["Dagsordenpunkter"]} == {False}
