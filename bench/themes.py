"""Themes on hand-labelled Greve punkter: micro precision, recall and F1 of the returned themes.

    python bench/themes.py [--threshold 0.42] [--relative 0.0] [--sweep]

Reads `tests/fixtures/themes-gold.json` (43 punkter of greve-firstagenda-more, none from the sample),
reads each punkt from its meeting file, and tags it as the Enricher does (keywords, the summary's e5
vector, the KLE topic). Figures for the development half (even positions, where thresholds are
tuned), the held-out half (odd positions) and all; `--sweep` prints development micro-F1 over a grid
of thresholds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.embedder import get_embedder  # noqa: E402
from nlp.kle import kle_for  # noqa: E402
from nlp.pipeline import summary_text  # noqa: E402
from nlp.readers import read_path  # noqa: E402
from nlp.themes import ThemeTagger  # noqa: E402

GOLD = ROOT / "tests" / "fixtures" / "themes-gold.json"


def load_punkter(gold: list[dict]):
    meetings: dict[str, object] = {}
    out = []
    for item in gold:
        path = ROOT.parent / item["source"]
        if item["source"] not in meetings:
            meetings[item["source"]] = read_path(path)
        meeting = meetings[item["source"]]
        out.append(next(p for p in meeting.punkter if p.number == item["punkt"]))
    return out


def micro(gold: list[set[str]], pred: list[set[str]]) -> tuple[float, float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    pr = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    return pr, rc, (2 * pr * rc / (pr + rc) if pr + rc else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=None, help="the tagger's threshold (default: its own)")
    ap.add_argument("--relative", type=float, default=None, help="share of the best theme's score (default: settings)")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    gold_items = json.loads(GOLD.read_text(encoding="utf-8"))["punkter"]
    punkter = load_punkter(gold_items)
    embedder = get_embedder()
    tagger = ThemeTagger(embedder=embedder)
    vectors = embedder.passages([summary_text(p) for p in punkter])
    gold = [set(item["themes"]) for item in gold_items]

    def run(threshold: float | None, relative: float | None = None) -> list[set[str]]:
        if threshold is not None:
            tagger.threshold = threshold
        if relative is not None:
            tagger.relative = relative
        out = []
        for punkt, vector in zip(punkter, vectors, strict=True):
            kle = kle_for(punkt.journal.kle if punkt.journal else None, punkt.text[:20000], punkt.title)
            out.append({t["key"] for t in tagger.tag(punkt.title, punkt.text[:50000], vector, kle.get("number"))})
        return out

    pred = run(args.threshold, args.relative)
    if args.errors:
        for item, g, q in zip(gold_items, gold, pred, strict=True):
            if g != q:
                print(f"  {item['title'][:60]!r} gold={sorted(g)} pred={sorted(q)}")
    halves = {"dev": range(0, len(gold), 2), "heldout": range(1, len(gold), 2), "all": range(len(gold))}
    for name, idx in halves.items():
        p, r, f = micro([gold[i] for i in idx], [pred[i] for i in idx])
        print(f"themes_{name}_precision={p:.4f}\nthemes_{name}_recall={r:.4f}\nthemes_{name}_micro_f1={f:.4f}")
    print(f"punkter={len(punkter)} threshold={tagger.threshold} relative={tagger.relative}")
    if args.sweep:
        dev = halves["dev"]
        for t in (0.35, 0.42, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75):
            for rel in (0.0, 0.8, 0.9):
                q = run(t, rel)
                p, r, f = micro([gold[i] for i in dev], [q[i] for i in dev])
                print(
                    f"sweep_threshold={t:.2f} relative={rel:.2f} dev_precision={p:.4f} dev_recall={r:.4f} "
                    f"dev_f1={f:.4f}"
                )


if __name__ == "__main__":
    main()
