"""Hostile files: each is read completely or refused with one clear line, never a traceback,
never a silent cut, and the patterns stay linear on megabytes of the worst characters."""

from __future__ import annotations

import json
import re

import pytest

from nlp.deadline import Deadline
from nlp.errors import FileTimeoutError, NotAReferatError, ReferatError
from nlp.readers import read_bytes, read_path
from nlp.sections import absent_names
from nlp.text import is_separator, sanitise, strip_tags
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"
HEAD = "REFERAT Byrådet 2022-2025 d. 01-02-2024\n\n"


def referat(body: str) -> bytes:
    return (HEAD + "Punkt 1: Godkendelse\n\n00.01.00-A00-1-24\n\nBeslutning\n\n" + body + "\n").encode()


def test_utf16_with_a_bom_is_read_as_text():
    meeting = read_path(HOSTILE / "utf16-bom.txt")
    assert meeting.committee == "Byrådet"
    assert meeting.punkter[0].decision == "Godkendt uden bemærkninger."


def test_firstagenda_with_a_wrong_field_type_names_the_field():
    with pytest.raises(NotAReferatError) as info:
        read_path(HOSTILE / "firstagenda-wrong-type.json")
    message = str(info.value)
    assert "\n" not in message
    assert "feltet Dagsordenpunkter[3].Felter er en tekst, ikke en liste" in message


@pytest.mark.parametrize("depth", [300, 200_000])
def test_deep_json_is_refused_in_one_line(depth):
    data = b'{"Moede": {"Dato": "2024-01-01"}, "Dagsordenpunkter": [' + b"[" * depth + b"]" * depth + b"]}"
    with pytest.raises(NotAReferatError, match="indlejret"):
        read_bytes(data, source="dyb.json")
    with pytest.raises(NotAReferatError, match="indlejret"):
        read_path(HOSTILE / "deep.json")


def test_impossible_dates_are_refused():
    with pytest.raises(NotAReferatError, match="dato"):
        read_path(HOSTILE / "firstagenda-bad-date.json")
    with pytest.raises(NotAReferatError, match="dato"):
        read_bytes(referat("Godkendt.").replace(b"01-02-2024", b"99-99-9999"), source="d.txt")


def test_nul_and_control_characters_leave_titles_and_text():
    data = {
        "Moede": {"Dato": "2024-01-01"},
        "Udvalg": {"Navn": "By\u0000rådet"},
        "Dagsordenpunkter": [{"Navn": "Skole\u0000byggeri\u202e", "Felter": [{"Html": "<p>Godk\u0007endt.</p>"}]}],
    }
    meeting = read_bytes(json.dumps(data).encode(), source="nul.json")
    assert meeting.committee == "Byrådet"
    assert meeting.punkter[0].title == "Skolebyggeri"
    assert meeting.punkter[0].text == "Godkendt."
    text = read_bytes(referat("Godk\x00endt.").replace(b"Godkendelse", b"Godk\x01endelse"), source="nul.txt")
    assert text.punkter[0].title == "Godkendelse" and text.punkter[0].decision == "Godkendt."


def test_data_uri_images_never_reach_the_text():
    punkt = read_path(HOSTILE / "firstagenda-data-uri.json").punkter[0]
    text = punkt.section("Sagsfremstilling").text
    assert "base64" not in text and "iVBOR" not in text and "<img" not in text
    assert text == "Tabel 1 viser tallene.\nEfter billedet kommer teksten."


def test_two_thousand_punkter_are_all_kept():
    body = "".join(f"Punkt {i}: Sag nummer {i}\n\nBeslutning\n\nGodkendt {i}.\n\n" for i in range(1, 2001))
    meeting = read_bytes((HEAD + body).encode(), source="mange.txt")
    assert [p.number for p in meeting.punkter] == list(range(1, 2001))
    assert meeting.punkter[-1].decision == "Godkendt 2000."


def test_a_heading_whose_number_does_not_grow_stays_text_with_a_warning():
    text = (
        HEAD
        + "Punkt 1: Første\n\nBeslutning\n\nSe også\nPunkt 1: det samme igen\n\nPunkt 2: Anden\n\nBeslutning\n\nOk.\n"
    )
    meeting = read_bytes(text.encode(), source="w.txt")
    assert [p.number for p in meeting.punkter] == [1, 2]
    assert "Punkt 1: det samme igen" in meeting.punkter[0].decision
    assert any("Punkt 1:" in w and "vokser ikke" in w for w in meeting.warnings)


def test_a_heading_without_a_title_takes_the_next_line_or_warns():
    text = HEAD + "Punkt 1:\nGodkendelse af dagsorden\n\nBeslutning\n\nOk.\n\nPunkt 2:\n\n"
    meeting = read_bytes(text.encode(), source="t.txt")
    assert meeting.punkter[0].title == "Godkendelse af dagsorden"
    assert meeting.punkter[1].title == "Punkt 2"
    assert any("ingen titel" in w for w in meeting.warnings)


def test_huge_sections_are_capped_with_a_warning_and_a_note():
    meeting = read_bytes(referat("ord " * 300_000), source="stor.txt")
    decision = meeting.punkter[0].decision
    assert len(decision) < 250_000
    assert decision.endswith("tegn udeladt]")
    assert any("afkortet" in w for w in meeting.warnings)


def test_the_deadline_stops_a_reader_with_one_line():
    with pytest.raises(FileTimeoutError, match=r"gav op efter 0 s"):
        read_bytes(referat("Godkendt."), source="x.txt", deadline=Deadline(0))


# -- long adversarial inputs: correct results (speed is measured in bench/hostile.py) -----------


def test_absence_pattern_on_thousands_of_capitalised_words():
    names, notes = absent_names("Anna " * 8000 + "og Bo Berg deltog ikke i mødet.")
    assert names[-1] == "Bo Berg" and len(names) <= 41
    assert absent_names("Anna " * 8000) == ([], [])


def test_runs_of_punctuation_are_collapsed_and_tags_still_stripped():
    assert sanitise("a" + "<" * 20_000 + "b") == "a<<<b"
    assert strip_tags("<a" * 200_000) == "<a" * 200_000  # no tag closes: all text, found in linear time
    assert strip_tags("x<b>y</b>" * 1000) == "xy" * 1000
    assert is_separator("|" + "-" * 1_000_000 + "|") and not is_separator("-" * 1_000_000 + "x")


@pytest.mark.parametrize(
    "body",
    ["<" * 20_000, "Anna " * 8_000, "-" * 1_000_000 + "x", "a" * 1_000_000, "\u3000" * 100_000 + "x", "<h3>" * 50_000],
)
def test_long_runs_read_to_a_result(body):
    meeting = read_bytes(referat(body), source="lang.txt")
    assert meeting.punkter[0].title == "Godkendelse"
    fa = {"Moede": {"Dato": "2024-01-01"}, "Dagsordenpunkter": [{"Navn": "A", "Felter": [{"Html": body}]}]}
    assert read_bytes(json.dumps(fa).encode(), source="lang.json").punkter[0].title == "A"


def test_a_reader_bug_is_still_one_line(monkeypatch):
    from nlp.readers import referat_text

    def broken(*args, **kwargs):
        raise KeyError("intern fejl")

    monkeypatch.setattr(referat_text, "read_text", broken)
    with pytest.raises(ReferatError) as info:
        read_bytes(referat("x"), source="bug.txt")
    assert re.match(r"bug\.txt: kunne ikke læses \(KeyError", str(info.value))


def test_law_patterns_on_a_word_of_200000_letters():
    from nlp.laws import find_laws

    assert find_laws("a" * 200_000) == []
    refs = find_laws("a" * 200_000 + " servicelovens § 108")
    assert [(r.law, r.paragraph) for r in refs] == [("serviceloven", "108")]
