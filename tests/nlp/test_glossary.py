"""The English -> Danish glossary for English queries: format, phrases, stems, stop words."""

from __future__ import annotations

import pytest

from nlp import glossary
from nlp.glossary import GlossaryError, Translated


@pytest.fixture()
def small(tmp_path):
    path = tmp_path / "glossary.tsv"
    path.write_text(
        "# test glossary\nfee\tgebyr,takst\nwedding\tvielse,bryllup\ncivil wedding\tborgerlig,vielse\n"
        "town hall\trådhus\nmotorway\tmotorvej\nnoise\tstøj,larm\n",
        encoding="utf-8",
    )
    return path


def test_phrases_before_words_and_stems_for_inflections(small):
    found = glossary.translate("fees for civil weddings at the town hall", path=small)
    assert found == [
        Translated("fees", ("gebyr", "takst")),
        Translated("civil weddings", ("borgerlig", "vielse")),
        Translated("town hall", ("rådhus",)),
    ]


def test_unknown_words_stay_and_stop_words_go(small):
    found = glossary.translate("What is Housing First doing about the motorway noise?", path=small)
    assert [t.english for t in found] == ["housing", "first", "motorway", "noise"]
    assert found[0].danish == () and found[2].danish == ("motorvej",)


def test_a_possessive_is_its_word(small):
    assert glossary.translate("Greve's fee", path=small) == [
        Translated("greve", ()),
        Translated("fee", ("gebyr", "takst")),
    ]


def test_a_malformed_line_is_refused_with_its_number(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("fee\tgebyr\nno tab here\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="linje 2"):
        glossary.load(path)


def test_the_bundled_glossary_loads_and_is_broad():
    table = glossary.load()
    assert len(table) >= 800
    assert all(danish and all(d == d.lower() for d in danish) for danish in table.values())


def test_everyday_danish_finds_the_words_of_minutes(tmp_path):
    path = tmp_path / "paraphrases.tsv"
    path.write_text("gadelys\tvejbelysning,belysning\nsnyd med ydelser\tbedrageri,kontrolgruppe\n", encoding="utf-8")
    found = glossary.officialese("gadelyset slukkes om natten; snyd med ydelser", path=path)
    assert found == [
        Translated("gadelyset", ("vejbelysning", "belysning")),  # by its stem
        Translated("snyd med ydelser", ("bedrageri", "kontrolgruppe")),
    ]
    assert glossary.officialese("budget 2025", path=path) == []


def test_the_bundled_paraphrase_list_loads():
    table = glossary.load(glossary.PARAPHRASES, "danish")
    assert len(table) >= 500
    assert all(key and words for key, words in table.items())
