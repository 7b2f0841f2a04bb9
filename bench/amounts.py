"""Money on hand-annotated minutes: precision and recall of the amounts a reader is shown.

    python bench/amounts.py [--threshold 0.5] [--errors]

Reads `tests/fixtures/minutes-gold/minutes-gold.json` (money spans with their value in DKK), runs
`nlp.amounts.find_amounts` on each excerpt and counts a shown money amount as right when it
overlaps a gold span and has its value. Prints figures for the development and held-out halves and
for all, then how many counts and years (which are never amounts) were shown.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.amounts import find_amounts, is_shown  # noqa: E402

GOLD = ROOT / "tests" / "fixtures" / "minutes-gold" / "minutes-gold.json"


def score(items: list[dict], threshold: float | None, errors: bool) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for item in items:
        shown = [a for a in find_amounts(item["text"]) if a.kind == "money" and is_shown(a, threshold)]
        matched: set[int] = set()
        for a in shown:
            hit = next(
                (
                    k
                    for k, g in enumerate(item["money"])
                    if k not in matched
                    and a.start < g["end"]
                    and g["start"] < a.end
                    and abs(a.value - g["value"]) < 0.5
                ),
                None,
            )
            if hit is None:
                fp += 1
                if errors:
                    print(f"  FP {a.text!r} {a.value} ({a.context})")
            else:
                matched.add(hit)
                tp += 1
        for k, g in enumerate(item["money"]):
            if k not in matched:
                fn += 1
                if errors:
                    print(f"  FN {g['text']!r} {g['value']}")
    return tp, fp, fn


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=None, help="display threshold (default from settings)")
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    items = json.loads(GOLD.read_text(encoding="utf-8"))
    for split in ("dev", "heldout", "all"):
        part = [i for i in items if split == "all" or i["split"] == split]
        tp, fp, fn = score(part, args.threshold, args.errors)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        print(f"money_{split}_precision={p:.4f}\nmoney_{split}_recall={r:.4f}\nmoney_{split}_support={tp + fn}")
    shown = [a for i in items for a in find_amounts(i["text"]) if is_shown(a, args.threshold)]
    print(f"shown_years={sum(a.kind == 'year' for a in shown)}")
    print(f"shown_counts={sum(a.kind == 'count' for a in shown)}")
    print(f"shown_amounts={len(shown)}")


if __name__ == "__main__":
    main()
