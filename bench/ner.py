"""NER quality on a CoNLL file (default: the DDT-NER dev set) or on hand-annotated minutes: entity
level, exact span.

    python bench/ner.py --conll ../shared/data/ner-da/da_ddt-ud-ner-dev.conll
    python bench/ner.py --minutes [--threshold 0.5] [--sweep]

`--minutes` reads `tests/fixtures/minutes-gold/minutes-gold.json`, runs the enrichment pipeline on
each excerpt and prints precision/recall/F1 per label for the shown entities (confidence at or above
`settings.entity_min_confidence`), separately for the development and the held-out half;
`--sweep` prints the development figures over a range of thresholds (how the threshold was chosen).

Evaluates the trained model on the file's own tokens (comparable to published DDT figures), then
the full pipeline as ingest runs it (spaCy tokenisation, domain rules for minutes, the model).
Prints precision, recall and F1 per label; last `ner_f1=`, the model's micro F1 over PER, LOC, ORG.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.ner_model import TokenTagger, entity_f1, read_conll  # noqa: E402
from nlp.pipeline import build_nlp  # noqa: E402

LABELS = ("PER", "LOC", "ORG")


def pipeline_tags(sentences: list[list[str]]) -> list[list[str]]:
    """Run the enrichment pipeline on each sentence and turn its shown entities into BIO tags per word."""
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
    from nlp.settings import settings

    for words, starts, doc in zip(sentences, offsets, nlp.pipe(texts), strict=True):
        tags = ["O"] * len(words)
        info = doc._.entity_info or {}
        for ent in doc.ents:
            if info.get((ent.start_char, ent.end_char), (1.0, ""))[0] < settings.entity_min_confidence:
                continue  # a candidate, not shown
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


MINUTES_GOLD = ROOT / "tests" / "fixtures" / "minutes-gold" / "minutes-gold.json"


def minutes_predictions(items: list[dict]) -> list[list[tuple[int, int, str, float]]]:
    """(start, end, label, confidence) of every entity the pipeline finds in each gold excerpt."""
    nlp = build_nlp()
    out = []
    for item, doc in zip(items, nlp.pipe(item["text"] for item in items), strict=True):
        info = doc._.get("entity_info") if doc.has_extension("entity_info") else None
        spans = []
        for ent in doc.ents:
            conf = (info or {}).get((ent.start_char, ent.end_char), (1.0, ""))[0]
            spans.append((ent.start_char, ent.end_char, ent.label_, conf))
        out.append(spans)
    return out


def minutes_scores(items, preds, threshold: float) -> dict[str, tuple[int, int, int]]:
    counts = {label: [0, 0, 0] for label in (*LABELS, "micro")}
    for item, pred in zip(items, preds, strict=True):
        gold = {(e["start"], e["end"], e["label"]) for e in item["entities"]}
        shown = {(s, e, label) for s, e, label, conf in pred if conf >= threshold and label in LABELS}
        for label in LABELS:
            g = {x for x in gold if x[2] == label}
            p = {x for x in shown if x[2] == label}
            for key in (label, "micro"):
                counts[key][0] += len(g & p)
                counts[key][1] += len(p - g)
                counts[key][2] += len(g - p)
    return {k: tuple(v) for k, v in counts.items()}


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def minutes(threshold: float | None, sweep: bool, show_errors: bool) -> None:
    from nlp.settings import settings

    threshold = settings.entity_min_confidence if threshold is None else threshold
    items = json.loads(MINUTES_GOLD.read_text(encoding="utf-8"))
    preds = minutes_predictions(items)
    for split in ("dev", "heldout"):
        idx = [i for i, item in enumerate(items) if item["split"] == split]
        scores = minutes_scores([items[i] for i in idx], [preds[i] for i in idx], threshold)
        for label in (*LABELS, "micro"):
            p, r, f = _prf(*scores[label])
            name = f"minutes_{split}_{label.lower()}"
            print(
                f"{name}_precision={p:.4f}\n{name}_recall={r:.4f}\n{name}_f1={f:.4f}\n{name}_support={sum(scores[label][::2])}"
            )
        if show_errors:
            for i in idx:
                gold = {(e["start"], e["end"], e["label"]) for e in items[i]["entities"]}
                for s, e, label, conf in preds[i]:
                    if label in LABELS and conf >= threshold and (s, e, label) not in gold:
                        print(f"  FP [{i}] {items[i]['text'][s:e]!r} {label} {conf:.2f}")
                shown = {(s, e, label) for s, e, label, conf in preds[i] if conf >= threshold}
                for s, e, label in sorted(gold - shown):
                    print(f"  FN [{i}] {items[i]['text'][s:e]!r} {label}")
    if sweep:
        idx = [i for i, item in enumerate(items) if item["split"] == "dev"]
        for t in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            p, r, f = _prf(*minutes_scores([items[i] for i in idx], [preds[i] for i in idx], t)["micro"])
            print(f"sweep_threshold={t:.2f} dev_precision={p:.4f} dev_recall={r:.4f} dev_f1={f:.4f}")
    print(f"threshold={threshold}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conll", default=str(ROOT.parent / "shared" / "data" / "ner-da" / "da_ddt-ud-ner-dev.conll"))
    ap.add_argument("--model", default=None, help="model folder (default models/ner-da)")
    ap.add_argument("--minutes", action="store_true", help="score the hand-annotated minutes instead")
    ap.add_argument("--threshold", type=float, default=None, help="display threshold (default from settings)")
    ap.add_argument("--sweep", action="store_true", help="with --minutes: development figures per threshold")
    ap.add_argument("--errors", action="store_true", help="with --minutes: print false positives/negatives")
    args = ap.parse_args()
    if args.minutes:
        minutes(args.threshold, args.sweep, args.errors)
        return
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
