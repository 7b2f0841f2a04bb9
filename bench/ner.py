"""NER quality on a CoNLL file (default: the DDT-NER dev set): entity level, exact span.

    python bench/ner.py --conll ../shared/data/ner-da/da_ddt-ud-ner-dev.conll

Evaluates the trained model on the file's own tokens (comparable to published DDT figures), then
the full pipeline as ingest runs it (spaCy tokenisation, domain rules for minutes, the model).
Prints precision, recall and F1 per label; last `ner_f1=`, the model's micro F1 over PER, LOC, ORG.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.ner_model import TokenTagger, entity_f1, read_conll  # noqa: E402
from nlp.pipeline import build_nlp  # noqa: E402

LABELS = ("PER", "LOC", "ORG")


def pipeline_tags(sentences: list[list[str]]) -> list[list[str]]:
    """Run the enrichment pipeline on each sentence and turn its entities into BIO tags per word."""
    nlp = build_nlp()
    out = []
    texts, offsets = [], []
    for words in sentences:
        pos, starts = 0, []
        for w in words:
            starts.append(pos)
            pos += len(w) + 1
        texts.append(" ".join(words))
        offsets.append(starts)
    for words, starts, doc in zip(sentences, offsets, nlp.pipe(texts), strict=True):
        tags = ["O"] * len(words)
        for ent in doc.ents:
            inside = [i for i, s in enumerate(starts) if ent.start_char <= s < ent.end_char]
            for k, i in enumerate(inside):
                tags[i] = ("B-" if k == 0 else "I-") + ent.label_
        out.append(tags)
    return out


def report(name: str, gold: list[list[str]], pred: list[list[str]]) -> float:
    scores = entity_f1(gold, pred, LABELS)
    for label in (*LABELS, "micro"):
        s = scores[label]
        print(f"{name}_{label.lower()}_precision={s['precision']:.4f}")
        print(f"{name}_{label.lower()}_recall={s['recall']:.4f}")
        print(f"{name}_{label.lower()}_f1={s['f1']:.4f}")
    return scores["micro"]["f1"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conll", default=str(ROOT.parent / "shared" / "data" / "ner-da" / "da_ddt-ud-ner-dev.conll"))
    ap.add_argument("--model", default=None, help="model folder (default models/ner-da)")
    args = ap.parse_args()
    data = read_conll(args.conll)
    words = [w for w, _ in data]
    gold = [[t if t[2:] in LABELS else "O" for t in tags] for _, tags in data]
    started = time.time()
    model_only = TokenTagger(args.model).tag(words)
    model_only = [[t if t[2:] in LABELS else "O" for t in tags] for tags in model_only]
    f1 = report("model", gold, model_only)
    report("pipeline", gold, pipeline_tags(words))
    print(f"sentences={len(words)} seconds={time.time() - started:.1f}")
    print(f"ner_f1={f1:.4f}")


if __name__ == "__main__":
    main()
