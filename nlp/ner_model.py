"""The statistical Danish NER: multilingual-e5-small with its top layers fine-tuned for BIO tags.

Trained on the Danish Dependency Treebank NER (`nlp.ner_train`). The artifact in
`models/ner-da/` holds only what training changed (the top encoder layers and the tag head),
in fp16; the frozen rest comes from the offline e5 conversion (`nlp.e5`), so the shipped file
stays small.
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


def artifact_dir() -> Path:
    return models_dir() / ARTIFACT


class TokenTagger:
    """Tags pre-split words with BIO labels. Loaded once; safe to call with any text."""

    def __init__(self, path: str | Path | None = None, max_words: int = 200) -> None:
        import torch
        from safetensors.torch import load_file

        from nlp.embedder import quiet_libraries

        quiet_libraries()
        from transformers import AutoModel, AutoTokenizer

        path = Path(path) if path else artifact_dir()
        config = json.loads((path / "config.json").read_text())
        base = convert() if not default_model_path().exists() else default_model_path()
        self.labels: list[str] = config["labels"]
        self.tokenizer = AutoTokenizer.from_pretrained(base)
        self.encoder = AutoModel.from_pretrained(base, add_pooling_layer=False)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(self.labels))
        state = {k: v.float() for k, v in load_file(path / "model.safetensors").items()}
        head = {k[len("head."):]: v for k, v in state.items() if k.startswith("head.")}
        enc = {k[len("encoder."):]: v for k, v in state.items() if k.startswith("encoder.")}
        self.encoder.load_state_dict(enc, strict=False)
        self.head.load_state_dict(head)
        self.encoder.eval()
        self.max_words = max_words
        self._torch = torch

    def tag(self, sentences: list[list[str]], batch_size: int = 16) -> list[list[str]]:
        """BIO labels for each word of each sentence; long sentences are tagged in windows."""
        chunks: list[tuple[int, int, list[str]]] = []
        for si, words in enumerate(sentences):
            for start in range(0, max(len(words), 1), self.max_words):
                chunks.append((si, start, words[start : start + self.max_words]))
        chunks.sort(key=lambda c: len(c[2]))  # similar lengths together: little padding
        out = [["O"] * len(words) for words in sentences]
        torch = self._torch
        with torch.inference_mode():
            for b in range(0, len(chunks), batch_size):
                batch = [c for c in chunks[b : b + batch_size] if c[2]]
                if not batch:
                    continue
                enc = self.tokenizer(
                    [c[2] for c in batch], is_split_into_words=True, truncation=True, max_length=512,
                    padding=True, return_tensors="pt",
                )
                hidden = self.encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
                pred = self.head(hidden).argmax(-1).numpy()
                for row, (si, start, words) in enumerate(batch):
                    seen: set[int] = set()
                    for ti, wi in enumerate(enc.word_ids(row)):
                        if wi is None or wi in seen:
                            continue
                        seen.add(wi)
                        out[si][start + wi] = self.labels[int(pred[row, ti])]
        return out


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
