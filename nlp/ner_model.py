"""The statistical Danish NER: a linear tagger over frozen multilingual-e5-small token features.

Each word is represented by its first sub-token's hidden states from three encoder layers
(e5 is frozen, so the pass that embeds a passage gives them at no extra cost: `nlp.encoder`) plus a few spelling and
gazetteer features; a multinomial logistic regression (`nlp.ner_train`) maps that to a BIO tag.
The artifact in `models/ner-da/` is the regression's weights: a few hundred kilobytes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from nlp.e5 import FEATURE_LAYERS, models_dir

log = logging.getLogger(__name__)

ARTIFACT = "ner-da"
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
LAYERS = FEATURE_LAYERS


def artifact_dir() -> Path:
    return models_dir() / ARTIFACT


def spelling_features(words: list[str]) -> np.ndarray:
    """Capitalisation, position and name-list membership: what a newspaper-trained model lacks."""
    from nlp.entities import name_gazetteer

    first, last = name_gazetteer()
    rows = []
    for i, w in enumerate(words):
        rows.append(
            [
                float(w[:1].isupper()),
                float(w.isupper() and len(w) > 1),
                float(any(c.isdigit() for c in w)),
                float(i == 0),
                float(w in first),
                float(w in last),
                float(w.endswith("s") and w[:1].isupper()),
                float("-" in w),
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(words), 8)


def word_matrix(encoder_features: np.ndarray, words: list[str]) -> np.ndarray:
    """A word's row: its encoder features and spelling, and its neighbours' top layer and spelling."""
    spelling = spelling_features(words)
    own = np.hstack([encoder_features, spelling])
    top = encoder_features[:, -encoder_features.shape[1] // len(LAYERS) :]
    context = np.hstack([top, spelling])
    pad = np.zeros((1, context.shape[1]), dtype=np.float32)
    before = np.vstack([pad, context[:-1]])
    after = np.vstack([context[1:], pad])
    return np.hstack([own, before, after]).astype(np.float32)


class FeatureExtractor:
    """Word features from the frozen e5 encoder (the process's one `nlp.encoder`); safe on any text.

    A word's features are the states, at layers `LAYERS`, of its first sub-token when the words are
    read as running text behind e5's `passage: ` prefix: exactly how ingest reads a passage, so the
    pipeline can take them from the pass that embeds its passages (`located` in `features`), and
    training (`nlp.ner_train`, on DDT sentences) sees the same features as ingest.
    """

    def __init__(self, max_words: int = 120, encoder=None) -> None:
        from nlp.encoder import get_encoder

        self.encoder = encoder or get_encoder()
        self.max_words = max_words
        self.dim = self.encoder.dim * len(LAYERS)

    def features(self, sentences: list[list[str]], located: list | None = None) -> list[np.ndarray]:
        """One (n_words, dim) array per sentence; long sentences are read in windows of `max_words`.

        `located`, if given, holds per sentence `(token_states, word_starts, word_ends)`: the words'
        character spans in a text already encoded (token_states from `nlp.encoder`, or None).
        A sentence whose every word is found there costs nothing; the others are encoded here."""
        from nlp.encoder import word_states

        out: list[np.ndarray | None] = [None] * len(sentences)
        if located is not None:
            for si, (tokens, starts, ends) in enumerate(located):
                if tokens is not None and sentences[si]:
                    rows = word_states(tokens, starts, ends)
                    if rows is not None:
                        out[si] = rows
        chunks: list[tuple[int, int, list[str]]] = []
        for si, words in enumerate(sentences):
            if out[si] is not None:
                continue
            out[si] = np.zeros((len(words), self.dim), dtype=np.float32)
            for start in range(0, len(words), self.max_words):
                chunks.append((si, start, words[start : start + self.max_words]))
        if chunks:
            texts, spans = [], []
            for _, _, words in chunks:
                starts, ends, at = [], [], 0
                for w in words:
                    starts.append(at)
                    ends.append(at + len(w))
                    at += len(w) + 1
                texts.append(" ".join(words))
                spans.append((starts, ends))
            _, states = self.encoder.encode_passages(texts, states=True)
            for (si, start, words), (starts, ends), tokens in zip(chunks, spans, states, strict=True):
                rows = word_states(tokens, starts, ends, partial=True)
                out[si][start : start + len(words)] = rows  # type: ignore[index]
        return out  # type: ignore[return-value]


def check_fitted_for(config: dict, path: Path) -> None:
    """The head was fitted on one encoder's states at given layers: another encoder or other layers
    would feed it features it never saw, so that is refused, with how to refit, not tagged wrongly."""
    from nlp.e5 import MODEL_NAME
    from nlp.errors import ModelUnavailableError

    layers = tuple(config.get("layers", ()))
    encoder = str(config.get("encoder", "")).split(" ", 1)[0]
    if layers != tuple(LAYERS) or encoder != MODEL_NAME:
        raise ModelUnavailableError(
            f"NER-modellen i {path} er trænet på {encoder or 'en ukendt encoder'}, lag {list(layers)}; encoderen er "
            f"{MODEL_NAME}, lag {list(LAYERS)}: træn den igen med `python -m nlp.ner_train`"
        )


class TokenTagger:
    """Tags pre-split words with BIO labels, and says how sure it is of each word's tag."""

    def __init__(self, path: str | Path | None = None, extractor: FeatureExtractor | None = None) -> None:
        path = Path(path) if path else artifact_dir()
        config = json.loads((path / "config.json").read_text())
        check_fitted_for(config, path)
        weights = np.load(path / "head.npz")
        self.labels: list[str] = config["labels"]
        self.coef = weights["coef"].astype(np.float32)
        self.intercept = weights["intercept"].astype(np.float32)
        self.mean = weights["mean"].astype(np.float32)
        self.scale = weights["scale"].astype(np.float32)
        self.transitions = weights["transitions"].astype(np.float32) if "transitions" in weights else None
        self._extractor = extractor

    @property
    def extractor(self) -> FeatureExtractor:
        if self._extractor is None:
            self._extractor = FeatureExtractor()
        return self._extractor

    def tag(self, sentences: list[list[str]], located: list | None = None) -> list[list[str]]:
        """BIO tags per word; `located` as in `FeatureExtractor.features` (features already computed)."""
        return [tags for tags, _ in self.tag_scored(sentences, located)]

    def tag_scored(self, sentences: list[list[str]], located: list | None = None) -> list[tuple[list[str], np.ndarray]]:
        """Per sentence: BIO tags and, per word, the model's probability of the tag it chose."""
        return self._decode(sentences, self.extractor.features(sentences, located))

    def tag_features(self, sentences: list[list[str]], feats: list[np.ndarray]) -> list[list[str]]:
        """Tags from encoder features computed elsewhere (training reuses its cached ones)."""
        return [tags for tags, _ in self._decode(sentences, feats)]

    def _decode(self, sentences: list[list[str]], feats: list[np.ndarray]) -> list[tuple[list[str], np.ndarray]]:
        out = []
        for words, f in zip(sentences, feats, strict=True):
            if not words:
                out.append(([], np.zeros(0, dtype=np.float32)))
                continue
            x = (word_matrix(f, words) - self.mean) / self.scale
            logits = x @ self.coef.T + self.intercept
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            if self.transitions is not None:
                best = viterbi(np.log(probs + 1e-9), self.transitions, self.labels)
            else:
                best = list(probs.argmax(axis=1))
            tags = repair_bio([self.labels[i] for i in best])
            out.append((tags, probs[np.arange(len(best)), best].astype(np.float32)))
        return out


def _allowed(prev: str, tag: str) -> bool:
    """BIO: `I-X` only continues `B-X` or `I-X`."""
    return not tag.startswith("I-") or (prev != "O" and prev[2:] == tag[2:])


def transition_scores(labels: list[str] = LABELS) -> np.ndarray:
    """Transition scores for Viterbi: 0 where BIO allows the step, -1e4 where it forbids it (`O` ->
    `I-ORG`); row `len(labels)` is the sentence start. Only the constraint: transition
    probabilities counted on training tags double-count the prior the classifier's posterior
    already carries, and cost DDT dev recall (micro F1 0.80 -> 0.52)."""
    n = len(labels)
    scores = np.zeros((n + 1, n), dtype=np.float32)
    for i in range(n + 1):
        for j in range(n):
            if not _allowed(labels[i] if i < n else "O", labels[j]):
                scores[i, j] = -1e4
    return scores


def viterbi(emissions: np.ndarray, transitions: np.ndarray, labels: list[str] = LABELS) -> list[int]:
    """The best BIO-valid tag sequence under per-word log-probabilities and transition scores."""
    n_words, n = emissions.shape
    score = transitions[n] + emissions[0]
    back = np.zeros((n_words, n), dtype=np.int64)
    for w in range(1, n_words):
        total = score[:, None] + transitions[:n] + emissions[w][None, :]
        back[w] = total.argmax(axis=0)
        score = total.max(axis=0)
    best = [int(score.argmax())]
    for w in range(n_words - 1, 0, -1):
        best.append(int(back[w, best[-1]]))
    return best[::-1]


def repair_bio(tags: list[str]) -> list[str]:
    """An I- tag that does not continue its label starts a new entity."""
    fixed = []
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and (i == 0 or fixed[-1][2:] != tag[2:]):
            tag = "B-" + tag[2:]
        fixed.append(tag)
    return fixed


def bio_to_spans(labels: list[str]) -> list[tuple[int, int, str]]:
    """Word spans (start, end exclusive, label) from BIO tags; a stray I- starts a span."""
    spans: list[tuple[int, int, str]] = []
    start, kind = None, None
    for i, tag in enumerate([*labels, "O"]):
        prefix, _, label = tag.partition("-")
        if start is not None and (prefix != "I" or label != kind):
            spans.append((start, i, kind))  # type: ignore[arg-type]
            start, kind = None, None
        if prefix == "B" or (prefix == "I" and start is None):
            start, kind = i, label
    return spans


def entity_f1(gold: list[list[str]], pred: list[list[str]], labels: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Entity-level, exact-span precision/recall/F1 per label and micro-averaged."""
    result: dict[str, dict[str, float]] = {}
    totals = np.zeros(3)
    for label in labels:
        tp = fp = fn = 0
        for g, p in zip(gold, pred, strict=True):
            gs = {s for s in bio_to_spans(g) if s[2] == label}
            ps = {s for s in bio_to_spans(p) if s[2] == label}
            tp += len(gs & ps)
            fp += len(ps - gs)
            fn += len(gs - ps)
        totals += (tp, fp, fn)
        result[label] = _prf(tp, fp, fn)
    result["micro"] = _prf(*totals)
    return result


def _prf(tp: float, fp: float, fn: float) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": tp + fn}


def read_conll(path: str | Path) -> list[tuple[list[str], list[str]]]:
    """CoNLL with `word<TAB>tag` lines; an empty or tab-only line ends a sentence."""
    sentences: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    tags: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").split("\n"):
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip():
            if words:
                sentences.append((words, tags))
            words, tags = [], []
            continue
        words.append(parts[0])
        tags.append(parts[-1] if parts[-1] in LABELS else "O")
    if words:
        sentences.append((words, tags))
    return sentences
