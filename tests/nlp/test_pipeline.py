"""The spaCy pipeline: configured components, a real trained NER, and no crash on hostile text."""

from __future__ import annotations

import pytest

from nlp.model import Meeting, Punkt, Section
from nlp.pipeline import Enricher, build_nlp


@pytest.fixture(scope="module")
def enricher():
    return Enricher(nlp=build_nlp(), embedder=None)


def _meeting(*texts: str) -> Meeting:
    punkter = [
        Punkt(number=i + 1, title=f"Punkt {i + 1}", sections=[Section("Resume", t)]) for i, t in enumerate(texts)
    ]
    return Meeting(municipality="Odense", committee="Byrådet", date="2025-01-01", punkter=punkter)


def test_pipeline_is_made_of_named_components():
    nlp = build_nlp()
    assert nlp.pipe_names == ["sentencizer", "referat_rules", "referat_ner", "referat_amounts", "referat_laws"]
    assert build_nlp(["sentencizer", "referat_amounts"]).pipe_names == ["sentencizer", "referat_amounts"]
    # Assembled from its configuration file: the NER's setting is there, and a name it lacks is refused.
    ner = nlp.config["components"]["referat_ner"]
    assert ner["model_path"] is None and ner["spans_filter"] == {"@misc": "referat.longest_then_surest.v1"}
    with pytest.raises(ValueError, match="unknown pipeline components"):
        build_nlp(["sentencizer", "referat_nothing"])


def test_statistical_ner_finds_people_and_places_rules_miss(enricher):
    text = "I går mødtes Lars Løkke Rasmussen med borgmesteren i Kolding om sagen."
    tags = enricher.enrich_meeting(_meeting(text))[1]
    found = {(e.text, e.label) for e in tags.entities}
    assert ("Lars Løkke Rasmussen", "PER") in found
    assert any(label == "LOC" and "Kolding" in t for t, label in found)


def test_offsets_point_into_the_section_text(enricher):
    text = "Beskæftigelses- og Socialudvalget bevilgede 2,5 mio. kr. efter servicelovens § 18 til Kirkens Korshær."
    tags = enricher.enrich_meeting(_meeting(text))[1]
    for item in [*tags.entities, *tags.amounts, *tags.laws]:
        assert text[item.start : item.end] == item.text
        assert item.section == "Resume"
    assert tags.amounts[0].value == 2_500_000
    assert tags.laws[0].law == "serviceloven"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "The quick brown fox jumps over the lazy dog. Completely English text about London.",
        "\u202e\u200b\ufeff𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ \x00 \ud7ff ﷽ " * 20,
        "kr. kr. kr. § § § 1,2,3,4 mio. mio. %%%% " * 50,
    ],
)
def test_hostile_text_does_not_crash(enricher, text):
    result = enricher.enrich_meeting(_meeting(text))
    assert 1 in result


def test_a_one_megabyte_punkt_is_enriched(enricher):
    paragraph = (
        "Odense Kommune bevilgede 1,5 mio. kr. til 223 unge i Vollsmose efter § 34 i lov om aktiv socialpolitik. "
    )
    text = paragraph * (1_000_000 // len(paragraph))
    tags = enricher.enrich_meeting(_meeting(text))[1]
    assert len(tags.laws) > 1000
    # the same amount in the same words is listed once, at its first mention
    assert {(a.value, a.kind) for a in tags.amounts} == {(1_500_000, "money"), (223, "count")}
    assert min(a.start for a in tags.amounts) < len(paragraph)


def test_entities_carry_confidence_and_evidence(enricher):
    text = "Claus Houden (V) og Odense Kommune bevilgede 2 mio. kr. til Kirkens Korshær i Vollsmose."
    tags = enricher.enrich_meeting(_meeting(text))[1]
    found = {e.text: e for e in tags.entities}
    assert found["Claus Houden"].label == "PER" and "rule" in found["Claus Houden"].evidence
    assert found["Odense Kommune"].label == "ORG" and "gazetteer" in found["Odense Kommune"].evidence
    assert "Odense" not in found  # inside the longer name
    assert all(0 < e.confidence <= 1 for e in tags.entities)
    (money,) = tags.amounts
    assert money.context.endswith("til Kirkens Korshær i") and money.confidence > 0.9


def test_the_ner_head_refuses_an_encoder_it_was_not_fitted_on(tmp_path):
    """models/ner-da names its encoder and layers; a head fitted on other layers is refused with how
    to refit, never fed features it never saw."""
    import json
    import shutil

    from nlp.errors import ModelUnavailableError
    from nlp.ner_model import TokenTagger, artifact_dir

    assert TokenTagger(artifact_dir()).labels  # the shipped head fits the encoder
    other = tmp_path / "ner"
    shutil.copytree(artifact_dir(), other)
    config = json.loads((other / "config.json").read_text(encoding="utf-8"))
    (other / "config.json").write_text(json.dumps({**config, "layers": [2, 4]}), encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="nlp.ner_train"):
        TokenTagger(other)
