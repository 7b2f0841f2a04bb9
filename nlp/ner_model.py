"""The statistical Danish NER: a linear tagger over frozen multilingual-e5-small token features.

Each word is represented by its first sub-token's hidden states from three encoder layers
(e5 is frozen, so the offline e5 conversion is all the encoder there is) plus a few spelling and
gazetteer features; a multinomial logistic regression (`nlp.ner_train`) maps that to a BIO tag.
The artifact in `models/ner-da/` is the regression's weights: a few hundred kilobytes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from nlp.e5 import convert, default_model_path, models_dir

log = logging.getLogger(__name__)

ARTIFACT = "ner-da"
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
LAYERS = (3, 5, 7)


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
    """Word features from the frozen e5 encoder; loaded once, safe on any text."""

    def __init__(self, max_words: int = 120) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from nlp.embedder import quiet_libraries

        quiet_libraries()
        base = default_model_path()
        if not (base / "modules.json").exists():
            convert(base)
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        self.encoder = AutoModel.from_pretrained(base)
        # Layers above the deepest one read are never needed: dropping them saves their compute.
        self.encoder.encoder.layer = self.encoder.encoder.layer[: max(LAYERS)]
        self.encoder.eval()
        self.max_words = max_words
        self._torch = torch

    def features(self, sentences: list[list[str]], batch_size: int = 16) -> list[np.ndarray]:
        """One (n_words, dim) array per sentence; long sentences are read in windows."""
        chunks: list[tuple[int, int, list[str]]] = []
        for si, words in enumerate(sentences):
            for start in range(0, len(words), self.max_words):
                chunks.append((si, start, words[start : start + self.max_words]))
        chunks.sort(key=lambda c: len(c[2]))  # similar lengths together: little padding
        dim = self.encoder.config.hidden_size * len(LAYERS)
        out = [np.zeros((len(words), dim), dtype=np.float32) for words in sentences]
        torch = self._torch
        with torch.inference_mode():
            for b in range(0, len(chunks), batch_size):
                batch = chunks[b : b + batch_size]
                enc = self.tokenizer(
                    [c[2] for c in batch],
                    is_split_into_words=True,
                    truncation=True,
                    max_length=512,
                    padding=True,
                    return_tensors="pt",
                )
                hidden = self.encoder(
                    input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], output_hidden_states=True
                ).hidden_states
                stacked = torch.cat([hidden[layer] for layer in LAYERS], dim=-1).numpy()
                for row, (si, start, _) in enumerate(batch):
                    seen: set[int] = set()
                    for ti, wi in enumerate(enc.word_ids(row)):
                        if wi is None or wi in seen:
                            continue
                        seen.add(wi)
                        out[si][start + wi] = stacked[row, ti]
        return out


class TokenTagger:
    """Tags pre-split words with BIO labels, and says how sure it is of each word's tag."""

    def __init__(self, path: str | Path | None = None, extractor: FeatureExtractor | None = None) -> None:
        path = Path(path) if path else artifact_dir()
        config = json.loads((path / "config.json").read_text())
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

    def tag(self, sentences: list[list[str]]) -> list[list[str]]:
        return [tags for tags, _ in self.tag_scored(sentences)]

    def tag_scored(self, sentences: list[list[str]]) -> list[tuple[list[str], np.ndarray]]:
        """Per sentence: BIO tags and, per word, the model's probability of the tag it chose."""
        return self._decode(sentences, self.extractor.features(sentences))

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
