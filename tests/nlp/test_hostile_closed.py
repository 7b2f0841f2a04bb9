"""Closed means closed: every way a municipality marks a punkt lukket, in both readers, keeps the
title and nothing else. The fixtures plant unique words (`zqxhemmelig…`) in closed bodies."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from nlp import closed
from nlp.closed import is_closed
from nlp.readers import read_path
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
    [
        "Lukning af skole",
        "Godkendelse af dagsorden",
        "Lukkeloven og butikker",
        "Lukkedage på rådhuset i julen 2024",  # real Greve titles: closing days are no marking
        "Nationale aktiviteter i Greve Svømmehal og lukkedage",
        "Kommuneplan forslag til offentlig høring",
        "Forslag om at lukke to afdelinger",
        "Åbningstider og lukketider i biblioteket",
        "Fortrolighed i sagsbehandlingen",
        "Biblioteket lukker om sommeren",  # Danish words one letter off a marker are no typos of it
        "Butikken lukkes i juli",
    ],
)
def test_open_titles_that_mention_closing_stay_open(title):
    assert not is_closed(title)


def test_a_marker_inside_the_subject_closes_and_is_logged_as_doubtful(caplog):
    """'Lukket afdeling' may be an open punkt about a ward: hiding it is the cheaper error."""
    decision = closed.decide("Status på den nye lukket afdeling på plejecentret")
    assert decision.closed and decision.doubtful
    assert "tvivl" in caplog.text


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


# -- property tests: variants generated, the decision checked -------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.closed_variants import OWN_TITLES, REPORTED_TITLES  # noqa: E402

MARKINGS = [
    "Lukket",
    "Lukket punkt",
    "Lukkede punkter",
    "Lukket sag",
    "Fortroligt",
    "Fortrolig sag",
    "Ikke offentligt punkt",
    "Ikke-offentlig",
    "Lukk. pkt.",
    "Undtaget offentlighed",
]
SUBJECTS = ["Salg af grund", "Personalesag", "Erstatningssag vedr. Skovvej 3", "Køb af ejendom", "Udbud af rengøring"]
LOOK_ALIKES = {
    "e": ["е", "ё"[0], "ｅ", "𝐞"],
    "k": ["к", "ｋ", "𝐤", "κ"],
    "u": ["υ", "ｕ", "𝐮"],
    "t": ["т", "ｔ", "𝐭"],
    "l": ["ʟ", "ｌ", "𝐥", "ӏ"],
    "o": ["о", "ο", "ｏ"],
    "i": ["і", "ｉ"],
    "f": ["ｆ"],
    "r": ["г", "ｒ"],
    "g": ["ｇ"],
    "p": ["р", "ｐ"],
    "a": ["а", "ａ"],
    "s": ["ѕ", "ｓ"],
    "n": ["ｎ"],
    "c": ["с", "ｃ"],
}
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u202e"]


@st.composite
def disguised(draw, text: str) -> str:
    """`text` with its case changed, look-alike letters, invisible characters and entities."""
    out = []
    for char in text:
        case = draw(st.sampled_from(["keep", "upper", "lower"]))
        char = char.upper() if case == "upper" else char.lower() if case == "lower" else char
        if char.lower() in LOOK_ALIKES and draw(st.integers(0, 4)) == 0:
            char = draw(st.sampled_from(LOOK_ALIKES[char.lower()]))
        elif draw(st.integers(0, 9)) == 0:
            char = f"&#{ord(char)};"
        out.append(char)
        if draw(st.integers(0, 7)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out)


@st.composite
def closed_titles(draw) -> str:
    raw = draw(st.sampled_from(MARKINGS))
    marking = draw(disguised(raw))
    subject = draw(st.sampled_from(SUBJECTS))
    sep = draw(st.sampled_from([": ", "; ", ", ", " - ", " – ", " | ", "/", ". ", " "]))
    shape = draw(st.sampled_from(["head", "case", "numbered", "tail", "brackets", "quotes", "wrapped", "bold"]))
    if shape == "head":
        return f"{marking}{sep}{subject}"
    if shape == "case":
        return f"{draw(st.sampled_from(['A-sag', 'B-sag', 'E-sag']))}{sep}{marking}{sep}{subject}"
    if shape == "numbered":
        return f"Punkt {draw(st.integers(1, 99))}: {marking} {draw(st.integers(1, 99))}{sep}{subject}"
    if shape == "tail":
        return f"{subject}{sep}{marking}"
    if shape == "brackets":
        left, right = draw(st.sampled_from(["()", "[]", "{}", "«»", "<>"]))
        return f"{left}{marking}{right} {subject}" if draw(st.booleans()) else f"{subject} {left}{marking}{right}"
    if shape == "quotes":
        return f'"{marking}" {subject}'
    if shape == "wrapped":
        cut = draw(st.integers(1, max(1, len(raw) - 1)))
        return f"{draw(disguised(raw[:cut]))}-\n{draw(disguised(raw[cut:]))}{sep}{subject}"
    return f"**{marking}**{sep}{subject}"


@settings(max_examples=400, deadline=None)
@given(closed_titles())
def test_generated_closed_titles_are_closed(title):
    assert is_closed(title), title


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SUBJECTS + ["Lukning af skole", "Lukkedage på rådhuset", "Offentlig høring af lokalplan"]))
def test_generated_open_titles_stay_open(subject):
    assert not is_closed(subject)


@pytest.mark.parametrize("title", REPORTED_TITLES + OWN_TITLES)
def test_reported_and_own_variants_are_closed(title):
    assert is_closed(title)


@pytest.mark.parametrize(
    "heading, closes_part",
    [("Lukket dagsorden", True), ("LUKKEDE PUNKTER", True), ("Fortrolige sager", True), ("Lukket punkt", False)],
)
def test_closed_part_headings(heading, closes_part):
    assert closed.is_marking(heading)
    assert closed.opens_closed_part(heading) is closes_part


def test_open_part_headings_end_it():
    assert closed.opens_open_part("Åben dagsorden") and closed.opens_open_part("Åbne punkter")
    assert not closed.opens_open_part("Åbent hus i biblioteket")


def test_markers_are_data_with_a_reason():
    table = closed.markers()
    assert table.phrases and all(table.reasons[p] for p in table.phrases)


def test_fields_named_as_markings_close():
    assert closed.decide("Salg", fields={"Lukket": True})
    assert closed.decide("Salg", fields={"IsClosed": "true"})
    assert closed.decide("Salg", fields={"Type": "Lukket punkt"})
    assert not closed.decide("Salg", fields={"IsOpen": False, "Lukket": False, "SagsNummer": "24-001"})
