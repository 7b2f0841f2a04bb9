"""Every kind of file that is not a referat gets a clear, typed error naming the file and the reason."""

from __future__ import annotations

import json

import pytest

from nlp.errors import NotAReferatError
from nlp.readers import detect_format, read_bytes, read_path
from tests.conftest import odense_file


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "tom"),
        (b"   \n\t  \n", "tom"),
        (bytes(range(256)) * 40, "binær"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 100, "binær"),
        ("Det var en mørk og stormfuld nat.\nIntet mødehoved her.".encode(), "ligner ikke et referat"),
        (b'{"Dagsordenpunkter": [', "ugyldig JSON"),
        (b'{"name": "et andet JSON-dokument"}', "ikke en FirstAgenda"),
        (b"[1, 2, 3]", "ikke en FirstAgenda"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "PDF"),
        (b'{"Dagsordenpunkter": [], "Moede": {"Dato": "2024-01-01"}}', "ingen punkter"),
        (b'{"Dagsordenpunkter": [{"Navn": "x"}], "Moede": {"Dato": "ikke en dato"}}', "dato"),
    ],
)
def test_bad_input_is_refused_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotAReferatError) as info:
        read_bytes(data, source="fil.x")
    message = str(info.value)
    assert message.startswith("fil.x: ")
    assert reason.lower() in message.lower()


def test_truncated_referat_text_still_reads_what_is_there() -> None:
    text = odense_file("2025-11-25").read_text(encoding="utf-8")
    cut = text[: len(text) // 3]
    meeting = read_bytes(cut.encode(), source="halv.txt")
    assert 3 <= len(meeting.punkter) < 19


def test_header_without_punkter_is_refused() -> None:
    with pytest.raises(NotAReferatError, match="ingen punkter"):
        read_bytes(b"REFERAT Byraadet 2022-2025 d. 01-02-2024\n\nMoedested Raadhuset\n", source="tom.md")


def test_missing_file_is_refused(tmp_path) -> None:
    with pytest.raises(NotAReferatError, match="kan ikke læses"):
        read_path(tmp_path / "findes-ikke.txt")


def test_format_is_detected_from_content_not_extension(tmp_path) -> None:
    disguised = tmp_path / "referat.json"
    disguised.write_bytes(odense_file("2021-02-02").read_bytes())
    assert detect_format(disguised.read_bytes()) == "text"
    assert len(read_path(disguised).punkter) == 4
    greve = json.dumps(
        {
            "Dagsordenpunkter": [{"Navn": "Godkendelse", "Punktnummer": "1", "Felter": []}],
            "Moede": {"Dato": "2024-01-01T08:00:00"},
            "Udvalg": {"Navn": "Byrådet"},
        }
    )
    named_txt = tmp_path / "moede.txt"
    named_txt.write_text(greve, encoding="utf-8")
    assert read_path(named_txt).committee == "Byrådet"


def test_odd_unicode_and_latin1_do_not_crash() -> None:
    text = (
        "REFERAT Byrådet 2022-2025 d. 01-02-2024\n\n"
        "Punkt 1: Godkendelse \u200b\u202e af \ufffd dagsorden\n\nBeslutning\n\nGodkendt. 🙂"
    )
    meeting = read_bytes(text.encode("utf-8"), source="u.txt")
    assert meeting.punkter[0].decision == "Godkendt. 🙂"
    latin1 = read_bytes(text.replace("🙂", "").encode("latin-1", errors="replace"), source="l.txt")
    assert latin1.committee == "Byrådet"
