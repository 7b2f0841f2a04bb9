"""The fitted theme model (models/themes): what it was fitted for is checked, and it decides."""

from __future__ import annotations

import logging

import numpy as np

from nlp.e5 import MODEL_NAME
from nlp.theme_model import load_theme_model
from nlp.themes import ThemeTagger, load_themes


def _keys() -> list[str]:
    return [t.key for t in load_themes()]


def test_the_shipped_model_is_fitted_for_the_bundled_taxonomy_and_encoder():
    model = load_theme_model(_keys(), f"{MODEL_NAME}+onnx-int8")
    assert model is not None and model.keys == _keys() and model.encoder == MODEL_NAME
    assert model.coef.shape[0] == len(_keys()) and 0 < model.threshold < 1


def test_an_edited_taxonomy_or_another_encoder_gets_the_rules_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="nlp.theme_model"):
        assert load_theme_model(_keys()[:-1] + ["ny_tema"], MODEL_NAME) is None
        assert load_theme_model(_keys(), "intfloat/multilingual-e5-large") is None
    assert "andre temaer" in caplog.text and "encoderen" in caplog.text


def test_the_model_decides_with_a_vector_and_the_rules_without_one():
    from nlp.embedder import get_embedder

    embedder = get_embedder()
    tagger = ThemeTagger(embedder=embedder)
    assert tagger.model is not None
    cases = {
        "Budgetopfølgning 2 (2024) - bevillingssag": "Budgetopfølgningen viser et merforbrug på 3,2 mio. kr. "
        "Der søges om tillægsbevilling til dækning af merforbruget.",
        "Godkendelse af dagsorden": "Dagsordenen godkendes.",
    }
    expected = {
        "Budgetopfølgning 2 (2024) - bevillingssag": "oekonomi_budget",
        "Godkendelse af dagsorden": "administration",
    }
    vectors = embedder.passages([f"{title}. {text}" for title, text in cases.items()])
    for (title, text), vector in zip(cases.items(), vectors, strict=True):
        scores, (threshold, _, _) = tagger.scores(title, text, vector)
        assert threshold == tagger.model.threshold
        themes = tagger.tag(title, text, vector)
        assert themes and themes[0]["key"] == expected[title], themes
        assert np.isclose(themes[0]["score"], round(float(scores.max()), 3))
    # without a vector the model has nothing to read: the rules and their own threshold decide
    _, (threshold, _, _) = tagger.scores("Godkendelse af dagsorden", "Dagsordenen godkendes.", None)
    assert threshold == tagger.threshold
