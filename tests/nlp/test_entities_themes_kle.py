"""Entity rules and canonical forms, themes, KLE topics and references to earlier meetings."""

from __future__ import annotations

import pytest

from nlp.entities import canonical, unify_people
from nlp.kle import kle_for, taxonomy
from nlp.links import find_meeting_references
from nlp.pipeline import build_nlp
from nlp.themes import ThemeTagger, load_themes

_RULES = build_nlp(["sentencizer", "referat_rules"])


def _found(text: str) -> set[tuple[str, str]]:
    return {(e.text, e.label_) for e in _RULES(text).ents}


@pytest.mark.parametrize(
    ("text", "span", "label"),
    [
        ("Beskæftigelses- og Socialforvaltningen indstiller, at", "Beskæftigelses- og Socialforvaltningen", "ORG"),
        (
            "en pulje hos Styrelsen for Arbejdsmarked og Rekruttering i år",
            "Styrelsen for Arbejdsmarked og Rekruttering",
            "ORG",
        ),
        ("Initiativretsforslag fra Claus Houden (V): Hjælp", "Claus Houden", "PER"),
        ("som Ankestyrelsen har udtalt", "Ankestyrelsen", "ORG"),
        ("borgere i Vollsmose og Bolbro", "Vollsmose", "LOC"),
        ("tilbuddet på Stadionvej 47 åbner", "Stadionvej 47", "LOC"),
        ("Odense Kommune og Region Syddanmark", "Region Syddanmark", "ORG"),
        ("Rådmand Susanne Crawley Larsen deltog ikke", "Susanne Crawley Larsen", "PER"),
        ("midler fra Oak Foundation til julehjælp", "Oak Foundation", "ORG"),
    ],
)
def test_domain_rules(text, span, label):
    assert (span, label) in _found(text)


def test_canonical_forms_merge_mentions():
    assert canonical("Ankestyrelsens", "ORG") == "Ankestyrelsen"
    assert canonical("Beskæftigelses- og Socialudvalgets", "ORG") == "Beskæftigelses- og Socialudvalget"
    assert canonical("Odense Kommunes", "ORG") == "Odense Kommune"
    assert unify_people(["Claus Houden", "Houden"]) == {"Houden": "Claus Houden"}


def test_kle_from_journal_number():
    kle = kle_for("27.15.12", "")
    assert kle["number"] == "27.15.12" and kle["title"] == "Frivilligt socialt arbejde"
    assert kle["main_group"] == {"number": "27", "title": "Social service"}
    assert kle["source"] == "journal"


def test_kle_predicted_from_text_when_no_journal_number():
    text = (
        "Orientering om stofindtagelsesrum og kapacitetsudvidelse. Stofindtagelsesrummet i Odense "
        "har haft flere besøg af stofbrugere, og stofindtagelsesrum nedbringer overdoser."
    )
    kle = kle_for(None, text, "Ansøgning til pulje til stofindtagelsesrum")
    assert kle["source"] == "predicted" and kle["number"].startswith("29.24")
    assert 0 < kle["score"] <= 1


def test_kle_predicts_nothing_without_evidence():
    assert taxonomy().predict("Godkendt.", title="Underskriftsark") == []


def test_themes_taxonomy_is_the_bundled_one():
    keys = [t.key for t in load_themes()]
    assert len(keys) == 24 and "foertidspension" in keys and "hjemloeshed_bolig" in keys


def test_theme_keywords_and_kle_evidence():
    tagger = ThemeTagger(embedder=None)
    themes = tagger.tag(
        "Status på en fremtid med færre unge på førtidspension",
        "Antallet af unge på førtidspension falder. Ressourceforløb og jobafklaring for unge under 40 år.",
        kle_number="15.20.00",
    )
    keys = [t["key"] for t in themes]
    assert keys[0] in ("foertidspension", "unge_uddannelse") and "foertidspension" in keys
    assert all(0 < t["score"] <= 1 for t in themes)
    assert tagger.tag("Godkendelse af dagsorden", "Godkendelse af dagsorden for mødet.")[0]["key"] == "administration"
    # no theme is forced on a punkt without evidence: only those that clear the threshold
    assert tagger.tag("Rottebekæmpelsesgebyr", "Gebyret fastsættes til 0,40 kr. pr. m2.") == []


def test_a_compounds_head_is_theme_evidence_where_its_modifier_is_a_danish_word():
    from nlp.analysis import compound_heads

    assert compound_heads("Anlægsbevilling og tillægsbevillingen") == ["bevilling", "bevillingen"]
    assert compound_heads("en fundamental ændring") == []  # `funda` is no Danish word: no `mental`
    tagger = ThemeTagger(embedder=None)
    keys = [t["key"] for t in tagger.tag("Gangbro på Nældebjergvej, anlægsbevilling", "Anlægsbevillingen gives.")]
    assert keys == ["oekonomi_budget"]


def test_committee_names_and_negated_boilerplate_are_no_theme_evidence():
    tagger = ThemeTagger(embedder=None)
    text = (
        "Økonomiudvalget anbefaler overfor Byrådet at indstillingen godkendes. Sagen har ingen økonomiske konsekvenser."
    )
    assert "oekonomi_budget" not in [t["key"] for t in tagger.tag("Tilslutning til fjernvarme", text)]


def test_references_to_earlier_meetings():
    text = (
        "På udvalgsmødet den 12. november 2024 drøftede udvalget indsatsen. Den forrige afrapportering, "
        "som udvalget modtog den 17. juni 2025, viste fremgang. Fristen er den 1. marts 2026."
    )
    refs = find_meeting_references(text, "2025-11-25")
    assert [r.date for r in refs] == ["2024-11-12", "2025-06-17"]
