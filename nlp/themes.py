"""Policy themes: multi-label, scored, over an editable taxonomy (`resources/themes.yaml`).

Three kinds of evidence that carry over to documents never seen: Danish keywords of the theme
(in the title they weigh more; a compound's head counts, `anlægsbevilling` for `bevilling`), the
semantic similarity of the punkt to the theme's description, and the punkt's KLE topic. No list
of known punkter is involved.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from nlp.analysis import compound_heads
from nlp.settings import settings
from nlp.theme_model import MAX_TEXT, ThemeModel, load_theme_model

RESOURCES = Path(__file__).resolve().parent / "resources"
# Boilerplate that names a theme to say it does not apply ("Sagen har ingen økonomiske
# konsekvenser"): no evidence for the theme, so removed before keywords are counted.
_NEGATED = re.compile(
    r"(?:ingen|ikke)\s+(?:\w+\s+){0,2}?(?:økonomiske|budgetmæssige|personalemæssige|bevillingsmæssige)"
    r"\s+(?:konsekvenser|bemærkninger)[^.\n]*",
    re.IGNORECASE,
)
# Committee names say who decides, not what about: `Økonomiudvalget anbefaler` is no evidence for
# the theme `oekonomi_budget`, and nearly every Greve punkt passes through it.
_COMMITTEE = re.compile(r"(?<![\wæøå])[\wæøå,-]*udvalg[\wæøå]*|(?<![\wæøå])[A-ZÆØ]{2,3}-møde", re.IGNORECASE)


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    gloss: str
    words: tuple[str, ...]
    kle: tuple[str, ...]

    @property
    def description(self) -> str:
        """The text embedded for the theme: label, Danish keywords and English gloss."""
        return f"{self.label}: {', '.join(self.words[:12])}. {self.gloss}"


@lru_cache(maxsize=2)
def load_themes(path: str | None = None, keywords_path: str | None = None) -> tuple[Theme, ...]:
    data = yaml.safe_load(Path(path or RESOURCES / "themes.yaml").read_text(encoding="utf-8"))
    evidence = yaml.safe_load(Path(keywords_path or RESOURCES / "theme_keywords.yaml").read_text(encoding="utf-8"))
    themes = []
    for item in data["themes"]:
        extra = evidence.get(item["key"], {}) or {}
        themes.append(
            Theme(
                item["key"],
                item["label"],
                item.get("gloss", ""),
                tuple(extra.get("words", [])),
                tuple(extra.get("kle", [])),
            )
        )
    return tuple(themes)


def _with_heads(text: str) -> str:
    """The text and, after it, its compounds' heads: `anlægsbevilling` is evidence for `bevilling`."""
    heads = compound_heads(text)
    return f"{text}\n{' '.join(heads)}" if heads else text


def _keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\wæøå])(?:{alternatives})")


class ThemeTagger:
    """Scores every theme for a punkt; returns at most those that clear the threshold, best first.

    With the fitted model (`models/themes`, `nlp.theme_model`) and the punkt's vector, a theme's
    score is the model's probability and the model's own threshold decides; without them (no
    encoder, an edited taxonomy) the rules' weighted evidence and the thresholds of `nlp.settings`."""

    def __init__(
        self,
        themes: tuple[Theme, ...] | None = None,
        embedder=None,
        threshold: float | None = None,
        max_themes: int | None = None,
        relative: float | None = None,
        model: ThemeModel | None | str = "shipped",
    ):
        self.themes = themes or load_themes()
        self.patterns = [_keyword_pattern(t.words) for t in self.themes]
        self.embedder = embedder
        self.threshold = settings.theme_min_score if threshold is None else threshold
        self.max_themes = settings.theme_max_count if max_themes is None else max_themes
        self.relative = settings.theme_relative_score if relative is None else relative
        self._theme_vectors = embedder.queries([t.description for t in self.themes]) if embedder else None
        if model == "shipped":
            keys = [t.key for t in self.themes]
            model = load_theme_model(keys, getattr(embedder, "name", None)) if embedder else None
        self.model = model

    def keyword_scores(self, title: str, text: str) -> np.ndarray:
        title_l = _with_heads(_COMMITTEE.sub(" ", title).lower())
        text_l = _COMMITTEE.sub(" ", _NEGATED.sub(" ", text)).lower()
        words = max(len(text_l.split()), 1)
        text_l = _with_heads(text_l)
        scores = np.zeros(len(self.themes), dtype=np.float32)
        for i, pattern in enumerate(self.patterns):
            if pattern is None:
                continue
            in_title = len(pattern.findall(title_l))
            in_text = len(pattern.findall(text_l))
            density = in_text / math.sqrt(words / 100 + 1)
            raw = 2.0 * min(in_title, 2) + math.log1p(density) * 1.5
            scores[i] = 1 - math.exp(-raw / 2.5)
        return scores

    def semantic_scores(self, vector: np.ndarray | None) -> np.ndarray:
        if vector is None or self._theme_vectors is None:
            return np.zeros(len(self.themes), dtype=np.float32)
        sims = self._theme_vectors @ vector
        z = (sims - sims.mean()) / (sims.std() + 1e-6)
        return 1 / (1 + np.exp(-(z - 1.0) * 1.5))

    def kle_scores(self, kle_number: str | None) -> np.ndarray:
        scores = np.zeros(len(self.themes), dtype=np.float32)
        if kle_number:
            for i, theme in enumerate(self.themes):
                if any(kle_number.startswith(prefix) for prefix in theme.kle):
                    scores[i] = 1.0
        return scores

    def rule_evidence(self, title: str, text: str, vector: np.ndarray | None, kle_number: str | None) -> np.ndarray:
        """[keyword score, KLE, similarity to the description] per theme, in taxonomy order; the
        text is read up to `MAX_TEXT` characters."""
        return np.stack(
            [self.keyword_scores(title, text[:MAX_TEXT]), self.kle_scores(kle_number), self.semantic_scores(vector)],
            axis=1,
        )

    def scores(self, title: str, text: str, vector: np.ndarray | None = None, kle_number: str | None = None):
        """Each theme's score, and the (threshold, share of the best, most themes) that decide."""
        rules = self.rule_evidence(title, text, vector, kle_number)
        if self.model is not None and vector is not None:
            probabilities = self.model.probabilities(title, text, vector, kle_number, rules)
            return probabilities, (self.model.threshold, self.model.relative, self.model.max_themes)
        k, c, s = rules[:, 0], rules[:, 1], rules[:, 2]
        weight_sem = 0.3 if vector is not None else 0.0
        combined = (0.6 * k + weight_sem * s + 0.15 * c) / (0.6 + weight_sem + 0.15) * 1.25
        return combined, (self.threshold, self.relative, self.max_themes)

    def tag(self, title: str, text: str, vector: np.ndarray | None = None, kle_number: str | None = None) -> list[dict]:
        scores, (threshold, relative, most) = self.scores(title, text, vector, kle_number)
        return [
            {"key": self.themes[i].key, "label": self.themes[i].label, "score": round(float(min(scores[i], 1.0)), 3)}
            for i in choose(scores, threshold, relative, most)
        ]


def choose(scores: np.ndarray, threshold: float, relative: float, most: int) -> list[int]:
    """The themes (indices, best first) that clear the threshold and are close to the best one: a
    punkt is mostly about one or two things, and a far second is usually a shared word."""
    order = np.argsort(-scores, kind="stable")
    floor = max(threshold, float(scores[order[0]]) * relative)
    return [int(i) for i in order[:most] if scores[i] >= floor]
