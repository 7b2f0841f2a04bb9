"""Bundled Danish synonyms: loading, lookup, precision filters, bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nlp.synonyms import RESOURCE, SynonymResourceError, expand, load


def test_expands_a_paraphrase_word_to_the_referat_word() -> None:
    assert "oversvømmelse" in expand("højvande")
    assert "bedrageri" in expand("snyd")
    assert "indbygger" in expand("borger")


def test_lookup_ignores_case_and_spaces() -> None:
    assert expand(" Højvande ") == expand("højvande")
    assert expand("HØJVANDE")


def test_unknown_and_stop_words_have_no_synonyms() -> None:
    for word in ("", "xyzzyq", "og", "ikke", "kommune"):
        assert expand(word) == [], word


def test_the_bundled_list_keeps_only_mutual_single_word_pairs() -> None:
    table = load()
    assert 500 < len(table) < 20_000
    word = re.compile(r"^[a-zæøå]{4,}$")
    for head, synonyms in table.items():
        assert word.match(head), head
        assert 1 <= len(synonyms) <= 2, head
        for s in synonyms:
            assert word.match(s), (head, s)
            assert s != head


def test_the_bundled_list_names_its_source_and_licence() -> None:
    header = RESOURCE.read_text(encoding="utf-8").split("\n", 4)[:4]
    text = " ".join(header)
    assert "mythes-da" in text and "MPL-1.1" in text


def test_a_custom_list_is_read(tmp_path: Path) -> None:
    path = tmp_path / "syn.tsv"
    path.write_text("# comment\nbil\tvogn,auto\n\nhus\tbolig\n", encoding="utf-8")
    assert expand("bil", path=path) == ["vogn", "auto"]
    assert expand("Hus", path=path) == ["bolig"]


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("bil\tvogn\nhus bolig\n", encoding="utf-8")
    with pytest.raises(SynonymResourceError, match="linje 2"):
        load(path)


def test_a_missing_list_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SynonymResourceError, match="kan ikke læses"):
        load(tmp_path / "none.tsv")
