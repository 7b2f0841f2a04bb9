"""The fitted part of themes (`models/themes`, fitted by `bench/fit_themes.py`), read with numpy alone.

Two small linear models:
- a classifier per theme over what a punkt is (its summary vector, the tf-idf of its Danish index
  terms with the title's apart, its KLE group): it carries a theme to punkter whose words the
  keyword lists do not hold, and learns which keyword hits mean nothing;
- one decision shared by every theme over [classifier logit, keyword score, KLE, similarity to
  the theme's description] (the rules' evidence of `nlp.themes`): how far to trust each kind.

The model names the encoder its vectors came from and the themes it was fitted for; an edited
taxonomy (other keys) or another encoder gets the rules alone, with a warning, rather than a
model scoring what it never saw.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.analysis import terms

log = logging.getLogger(__name__)

DECISION_FEATURES = ("classifier_logit", "keywords", "kle", "similarity")
#: The longest text read for words, as the keyword rules read it.
MAX_TEXT = 50_000


def kle_group(number: str | None) -> str | None:
    """`27.15.12` -> `27.15`: the KLE group, specific enough to mean an area, common enough to learn."""
    parts = (number or "").split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


@dataclass
class WordFeatures:
    """Tf-idf (sublinear, L2-normalised) of a punkt's text terms and title terms over fixed vocabularies."""

    text_vocab: dict[str, int]
    text_idf: np.ndarray
    title_vocab: dict[str, int]
    title_idf: np.ndarray

    @classmethod
    def fit(cls, docs: list[tuple[str, str]], max_text: int = 6000, max_title: int = 2000) -> WordFeatures:
        n = len(docs)
        text_df: Counter[str] = Counter()
        title_df: Counter[str] = Counter()
        for title, text in docs:
            text_df.update(set(terms(text[:MAX_TEXT])))
            title_df.update(set(terms(title)))

        def vocab(df: Counter[str], top: int) -> tuple[dict[str, int], np.ndarray]:
            kept = [t for t, d in df.most_common() if 2 <= d <= n / 2][:top]
            idf = np.array([math.log((n + 1) / (df[t] + 1)) + 1 for t in kept], dtype=np.float32)
            return {t: i for i, t in enumerate(kept)}, idf

        return cls(*vocab(text_df, max_text), *vocab(title_df, max_title))

    def transform(self, title: str, text: str) -> np.ndarray:
        return np.concatenate(
            [
                _tfidf(terms(text[:MAX_TEXT]), self.text_vocab, self.text_idf),
                _tfidf(terms(title), self.title_vocab, self.title_idf),
            ]
        )

    def to_json(self) -> dict:
        return {
            "text": list(self.text_vocab),
            "text_idf": [round(float(x), 4) for x in self.text_idf],
            "title": list(self.title_vocab),
            "title_idf": [round(float(x), 4) for x in self.title_idf],
        }

    @classmethod
    def from_json(cls, data: dict) -> WordFeatures:
        return cls(
            {t: i for i, t in enumerate(data["text"])},
            np.asarray(data["text_idf"], dtype=np.float32),
            {t: i for i, t in enumerate(data["title"])},
            np.asarray(data["title_idf"], dtype=np.float32),
        )


def _tfidf(tokens: list[str], vocab: dict[str, int], idf: np.ndarray) -> np.ndarray:
    out = np.zeros(len(vocab), dtype=np.float32)
    for term, count in Counter(tokens).items():
        i = vocab.get(term)
        if i is not None:
            out[i] = (1 + math.log(count)) * idf[i]
    norm = float(np.linalg.norm(out))
    return out / norm if norm else out


def punkt_features(
    words: WordFeatures, groups: list[str], title: str, text: str, vector: np.ndarray, kle: str | None
) -> np.ndarray:
    """What the classifiers read: [summary vector, text and title tf-idf, KLE group one-hot]."""
    onehot = np.zeros(len(groups), dtype=np.float32)
    group = kle_group(kle)
    if group in groups:
        onehot[groups.index(group)] = 1.0
    return np.concatenate([np.asarray(vector, dtype=np.float32), words.transform(title, text), onehot])


def decision_features(logits: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """[classifier logit (clipped), keyword score, KLE, similarity] per theme; `rules` holds the
    rules' evidence per theme (`ThemeTagger.rule_evidence`)."""
    return np.concatenate([np.clip(logits, -10, 10)[..., None], rules], axis=-1)


class ThemeModel:
    """The fitted classifiers and decision of `models/themes`."""

    def __init__(self, config: dict, coef: np.ndarray, intercept: np.ndarray) -> None:
        decision = config["decision"]
        if tuple(decision["features"]) != DECISION_FEATURES:
            raise ValueError(f"models/themes: the decision reads {decision['features']}, not {DECISION_FEATURES}")
        self.keys: list[str] = config["themes"]
        self.encoder: str = config["encoder"]
        self.words = WordFeatures.from_json(config["words"])
        self.groups: list[str] = config["kle_groups"]
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        self.weights = np.asarray(decision["weights"], dtype=np.float64)
        self.bias = float(decision["bias"])
        self.threshold = float(decision["threshold"])
        self.relative = float(decision["relative"])
        self.max_themes = int(decision["max_themes"])

    @classmethod
    def load(cls, folder: Path) -> ThemeModel:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        weights = np.load(folder / "classifier.npz")
        return cls(config, weights["coef"], weights["intercept"])

    def probabilities(
        self, title: str, text: str, vector: np.ndarray, kle: str | None, rules: np.ndarray
    ) -> np.ndarray:
        """Per theme (in `keys` order): how likely a careful reader files the punkt under it."""
        logits = self.coef @ punkt_features(self.words, self.groups, title, text, vector, kle) + self.intercept
        z = decision_features(logits, rules) @ self.weights + self.bias
        return 1 / (1 + np.exp(-z))


def load_theme_model(keys: list[str], encoder: str | None, folder: Path | None = None) -> ThemeModel | None:
    """The shipped model when it was fitted for these themes and this encoder, else None (warned)."""
    from nlp.e5 import base_model_name, models_dir

    folder = folder or models_dir() / "themes"
    if not (folder / "config.json").exists():
        log.warning("ingen temamodel i %s: temaer vælges af reglerne alene (bench/fit_themes.py --write)", folder)
        return None
    model = ThemeModel.load(folder)
    if model.keys != keys:
        log.warning("temamodellen i %s er tilpasset andre temaer end themes.yaml: temaer vælges af reglerne", folder)
        return None
    if encoder and base_model_name(encoder) != model.encoder:
        log.warning("temamodellen i %s passer til encoderen %s, ikke %s", folder, model.encoder, encoder)
        return None
    return model
