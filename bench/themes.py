"""Themes on hand-judged punkter: micro precision, recall and F1 of the returned themes.

    python bench/themes.py [--rules [--threshold 0.6] [--relative 0.8] [--sweep]] [--errors]

Two judged sets, never mixed: `tests/fixtures/themes-dev.json` (120 punkter of committees no
earlier theme work used, two annotators; keywords and thresholds are tuned on it) and
`tests/fixtures/themes-gold.json` (43 Greve Byråd and Økonomiudvalget punkter: the figure
reported, tuned on by nothing since). Each punkt is tagged as ingest tags it, with the fitted
model of `models/themes` (`bench/fit_themes.py`) over its keywords, its summary vector as the
Enricher computes it (`bench/theme_data.py`) and its KLE topic; `--rules` measures the rules alone
(no model), and `--sweep` their development figure over a grid of thresholds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.theme_data import embed, read_judged  # noqa: E402
from nlp.embedder import get_embedder  # noqa: E402
from nlp.themes import ThemeTagger  # noqa: E402

SETS = {
    "dev": ROOT / "tests" / "fixtures" / "themes-dev.json",
    "report": ROOT / "tests" / "fixtures" / "themes-gold.json",
}


def micro(gold: list[set[str]], pred: list[set[str]]) -> tuple[float, float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    pr = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    return pr, rc, (2 * pr * rc / (pr + rc) if pr + rc else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", action="store_true", help="the rules alone, without models/themes")
    ap.add_argument("--threshold", type=float, default=None, help="the tagger's threshold (default: settings)")
    ap.add_argument("--relative", type=float, default=None, help="share of the best theme's score (default: settings)")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    embedder = get_embedder()
    tagger = ThemeTagger(embedder=embedder, model=None) if args.rules else ThemeTagger(embedder=embedder)
    judged = {name: read_judged(path) for name, path in SETS.items()}
    embed([p for punkter, _ in judged.values() for p in punkter], embedder)

    def run(name: str, threshold: float | None = None, relative: float | None = None) -> list[set[str]]:
        if threshold is not None:
            tagger.threshold = threshold
        if relative is not None:
            tagger.relative = relative
        punkter, _ = judged[name]
        return [{t["key"] for t in tagger.tag(p.punkt.title, p.punkt.text, p.vector, p.kle)} for p in punkter]

    for name, (punkter, gold) in judged.items():
        pred = run(name, args.threshold, args.relative)
        if args.errors:
            for p, g, q in zip(punkter, gold, pred, strict=True):
                if g != q:
                    print(f"  {name} {p.punkt.title[:60]!r} gold={sorted(g)} pred={sorted(q)}")
        pr, rc, f1 = micro(gold, pred)
        print(f"themes_{name}_precision={pr:.4f}\nthemes_{name}_recall={rc:.4f}\nthemes_{name}_micro_f1={f1:.4f}")
        print(f"themes_{name}_punkter={len(punkter)}")
    decides = tagger.model or tagger
    print(f"model={'models/themes' if tagger.model else 'rules'}")
    print(f"threshold={decides.threshold}\nrelative={decides.relative}")
    if args.sweep and args.rules:
        _, gold = judged["dev"]
        for t in (0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
            for rel in (0.0, 0.7, 0.8, 0.9):
                pr, rc, f1 = micro(gold, run("dev", t, rel))
                print(
                    f"sweep_threshold={t:.2f} relative={rel:.2f} "
                    f"dev_precision={pr:.4f} dev_recall={rc:.4f} dev_f1={f1:.4f}"
                )


if __name__ == "__main__":
    main()
