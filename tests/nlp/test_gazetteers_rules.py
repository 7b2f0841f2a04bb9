"""Gazetteers and patterns as data: one entity per stretch of text, genitives merged, common words
and place compounds kept from being shown as names, confidence against the display threshold."""

from __future__ import annotations

import pytest

from nlp.entities import GAZETTEERS, canonical, gazetteer, is_shown, model_confidence
from nlp.model import Entity
from nlp.pipeline import build_nlp
from nlp.settings import settings

_RULES = build_nlp(["sentencizer", "referat_rules"])


def _ents(text: str) -> list[tuple[str, str, float, str]]:
    doc = _RULES(text)
    return [(e.text, e.label_, *doc._.entity_info[(e.start_char, e.end_char)]) for e in doc.ents]


def test_gazetteer_files_hold_every_municipality_and_region():
    lines = [ln for ln in (GAZETTEERS / "municipalities.txt").read_text().splitlines() if ln and ln[0] != "#"]
    regions = [ln for ln in (GAZETTEERS / "regions.txt").read_text().splitlines() if ln and ln[0] != "#"]
    assert len(lines) == 98 and len(regions) == 5
    gaz = gazetteer()
    assert gaz.lookup("Assens Kommune") == ("ORG", "Assens Kommune")
    assert gaz.lookup("Assens") == ("LOC", "Assens")
    assert gaz.lookup("Region Syddanmark") == ("ORG", "Region Syddanmark")
    assert gaz.lookup("Bornholms Regionskommune") == ("ORG", "Bornholms Regionskommune")


def test_a_name_inside_a_longer_name_is_no_second_entity():
    found = [(t, label) for t, label, _, _ in _ents("Frivilligcenter Odense og Odense Kommune og Danmarks Statistik")]
    assert found == [("Frivilligcenter Odense", "ORG"), ("Odense Kommune", "ORG"), ("Danmarks Statistik", "ORG")]


def test_genitive_and_base_form_share_one_canonical():
    assert canonical("Odenses", "LOC") == canonical("Odense", "LOC") == "Odense"
    assert canonical("Danmarks", "LOC") == "Danmark"
    assert canonical("Greve Kommunes", "ORG") == "Greve Kommune"
    assert canonical("Kirkens Korshærs", "ORG") == "Kirkens Korshær"


def test_party_letter_and_title_are_cut_off_the_person():
    found = {
        t: (label, conf, ev) for t, label, conf, ev in _ents("Rådmand Claus Houden (V) og Lone Mortensen (V) kom.")
    }
    assert set(found) == {"Claus Houden", "Lone Mortensen"}
    assert all(label == "PER" and ev == "rule" for label, _, ev in found.values())


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Almene", "PER"),
        ("Borgerne", "LOC"),
        ("Området", "ORG"),
        ("Herberg", "PER"),
        ("Odensemålene", "LOC"),
        ("A Flere", "PER"),  # "Profilprojekt A Flere frivillige": a lone letter and a common word
    ],
)
def test_common_words_and_place_compounds_are_not_shown(text, label):
    conf = model_confidence(text, label, 0.95)
    assert not is_shown(Entity(text, label, text, 0, len(text), confidence=conf))


@pytest.mark.parametrize(
    ("text", "label"),
    [("Lars Løkke Rasmussen", "PER"), ("Assens", "LOC"), ("Ankestyrelsen", "ORG"), ("Anne B. Hansen", "PER")],
)
def test_sure_model_entities_are_shown(text, label):
    conf = model_confidence(text, label, 0.95)
    assert is_shown(Entity(text, label, text, 0, len(text), confidence=conf))


def test_threshold_comes_from_settings():
    entity = Entity("X", "ORG", "X", 0, 1, confidence=settings.entity_min_confidence)
    assert is_shown(entity)
    assert not is_shown(entity, threshold=settings.entity_min_confidence + 0.01)


def test_a_lone_letter_and_a_common_word_are_no_person():
    """The name counts hold initials as first names: "Profilprojekt A Flere frivillige" once gave
    the person `A Flere` (shown, in facets); an initial with its period still starts a name."""
    found = {t for t, label, conf, _ in _ents("Profilprojekt A Flere frivillige fortsætter med Anne B. Hansen.")}
    assert "A Flere" not in found
    assert "Anne B. Hansen" in found
