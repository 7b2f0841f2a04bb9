"""Fit the theme model (`models/themes`) on hand-judged punkter; measure it on two sets it never saw.

    python bench/fit_themes.py [--write]

1. **Fitting set**: `tests/fixtures/themes-train.json` (315 punkter: the sample, Greve Byråd,
   Økonomiudvalget and Klima-, Teknik- og Miljøudvalget), each punkt read from its file with the
   summary vector ingest computes (`bench/theme_data.py`).
2. **A classifier per theme** (logistic regression, C by cross-validation) over the punkt's
   summary vector, its words (tf-idf of Danish index terms, the title's apart) and its KLE group;
   a theme with fewer than MIN_POSITIVES judged punkter gets none (its prior logit instead).
3. **The decision**, one logistic model shared by every theme over [classifier logit, keyword
   score, KLE, similarity to the description], fitted on the classifiers' out-of-fold logits (what
   they say of a punkt they never saw); the threshold and the share of the best theme are chosen
   for micro-F1 over the fitting set's out-of-fold probabilities.
4. Figures on `themes-dev.json` (120 punkter of committees no theme work used) and
   `themes-gold.json` (43 Greve punkter), beside the rules alone; nothing is fitted or chosen on them.

Prints `name=value` lines; `--write` writes `models/themes/` (config.json, classifier.npz, scores.json);
`--quick` fits on 120 punkter only and writes nothing (the test suite runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.theme_data import embed, read_judged  # noqa: E402
from bench.themes import SETS, micro  # noqa: E402
from nlp.e5 import MODEL_NAME, models_dir  # noqa: E402
from nlp.embedder import get_embedder  # noqa: E402
from nlp.theme_model import (  # noqa: E402
    DECISION_FEATURES,
    WordFeatures,
    decision_features,
    kle_group,
    punkt_features,
)
from nlp.themes import ThemeTagger, choose, load_themes  # noqa: E402

TRAIN = ROOT / "tests" / "fixtures" / "themes-train.json"
MIN_POSITIVES = 4
MAX_THEMES = 3
FOLDS = 5
GRID_C = (30.0, 100.0, 300.0, 1000.0)
GRID_THRESHOLD = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
GRID_RELATIVE = (0.0, 0.5, 0.7, 0.85)


def fit_classifiers(x: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) per theme; a theme with too few positives: zero weights, its prior logit."""
    from sklearn.linear_model import LogisticRegression

    n, themes = y.shape
    coef = np.zeros((themes, x.shape[1]), dtype=np.float32)
    intercept = np.zeros(themes, dtype=np.float32)
    for t in range(themes):
        positives = int(y[:, t].sum())
        if positives < MIN_POSITIVES:
            intercept[t] = np.log((positives + 0.5) / (n - positives + 0.5))
            continue
        model = LogisticRegression(C=c, max_iter=5000)
        model.fit(x, y[:, t])
        coef[t], intercept[t] = model.coef_[0], model.intercept_[0]
    return coef, intercept


def out_of_fold_logits(x: np.ndarray, y: np.ndarray, c: float, folds: int = FOLDS) -> np.ndarray:
    logits = np.zeros(y.shape, dtype=np.float32)
    fold = np.arange(len(x)) % folds
    for f in range(folds):
        coef, intercept = fit_classifiers(x[fold != f], y[fold != f], c)
        logits[fold == f] = x[fold == f] @ coef.T + intercept
    return logits


def fit_decision(feats: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(feats.reshape(-1, feats.shape[-1]), y.reshape(-1))
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def decide(probabilities: np.ndarray, threshold: float, relative: float) -> list[set[int]]:
    return [set(choose(p, threshold, relative, MAX_THEMES)) for p in probabilities]


def best_rule(probabilities: np.ndarray, gold: list[set[int]]) -> tuple[float, float, float]:
    """(micro-F1, threshold, relative) with the best micro-F1 over the grid."""
    best = (-1.0, 0.5, 0.0)
    for t in GRID_THRESHOLD:
        for r in GRID_RELATIVE:
            f1 = micro(gold, decide(probabilities, t, r))[2]
            if f1 > best[0] + 1e-9:
                best = (f1, t, r)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write models/themes")
    ap.add_argument("--quick", action="store_true", help="a small run: 120 punkter, one C, 2 folds")
    args = ap.parse_args()
    if args.quick and args.write:
        ap.error("--quick writes nothing")
    grid_c, folds = ((GRID_C[-1],), 2) if args.quick else (GRID_C, FOLDS)
    keys = [t.key for t in load_themes()]
    embedder = get_embedder()
    rules_tagger = ThemeTagger(embedder=embedder, model=None)
    train, train_gold = read_judged(TRAIN, limit=120 if args.quick else None)
    measured = {name: read_judged(path) for name, path in SETS.items()}
    embed(train + [p for punkter, _ in measured.values() for p in punkter], embedder)
    words = WordFeatures.fit([(p.punkt.title, p.punkt.text) for p in train])
    groups = sorted({g for p in train if (g := kle_group(p.kle))})

    def features(punkter) -> tuple[np.ndarray, np.ndarray]:
        x = np.stack([punkt_features(words, groups, p.punkt.title, p.punkt.text, p.vector, p.kle) for p in punkter])
        rules = np.stack([rules_tagger.rule_evidence(p.punkt.title, p.punkt.text, p.vector, p.kle) for p in punkter])
        return x, rules

    def labels(gold: list[set[str]]) -> np.ndarray:
        return np.array([[k in g for k in keys] for g in gold], dtype=np.int8)

    x, rules = features(train)
    y = labels(train_gold)
    gold_idx = [set(np.flatnonzero(row)) for row in y]
    print(f"fit_punkter={len(train)}\nfeatures={x.shape[1]}")
    best = None
    for c in grid_c:
        feats = decision_features(out_of_fold_logits(x, y, c, folds), rules)
        weights, bias = fit_decision(feats, y)
        f1, threshold, relative = best_rule(sigmoid(feats @ weights + bias), gold_idx)
        print(f"cv_C={c} cv_micro_f1={f1:.4f} threshold={threshold} relative={relative}")
        if best is None or f1 > best[0]:
            best = (f1, c, threshold, relative, weights, bias)
    cv_f1, c, threshold, relative, weights, bias = best
    coef, intercept = fit_classifiers(x, y, c)
    print(f"fit_cv_micro_f1={cv_f1:.4f}\nC={c}\nthreshold={threshold}\nrelative={relative}")
    print("decision_weights=" + ",".join(f"{n}:{w:.3f}" for n, w in zip(DECISION_FEATURES, weights, strict=True)))

    figures: dict[str, float] = {"fit_cv_micro_f1": round(cv_f1, 4)}
    for name, (punkter, gold) in measured.items():
        mx, mrules = features(punkter)
        probabilities = sigmoid(decision_features(mx @ coef.T + intercept, mrules) @ weights + bias)
        pred = [{keys[i] for i in chosen} for chosen in decide(probabilities, threshold, relative)]
        baseline = [{t["key"] for t in rules_tagger.tag(p.punkt.title, p.punkt.text, p.vector, p.kle)} for p in punkter]
        for label, guess in (("model", pred), ("rules", baseline)):
            pr, rc, f1 = micro(gold, guess)
            print(
                f"{label}_{name}_precision={pr:.4f}\n{label}_{name}_recall={rc:.4f}\n{label}_{name}_micro_f1={f1:.4f}"
            )
            figures[f"{label}_{name}_micro_f1"] = round(f1, 4)

    if args.write:
        folder = models_dir() / "themes"
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "classifier.npz", coef=coef.astype(np.float16), intercept=intercept)
        config = {
            "encoder": MODEL_NAME,
            "themes": keys,
            "kle_groups": groups,
            "decision": {
                "features": list(DECISION_FEATURES),
                "weights": [round(float(w), 6) for w in weights],
                "bias": round(bias, 6),
                "threshold": threshold,
                "relative": relative,
                "max_themes": MAX_THEMES,
            },
            "fitted_on": {"file": str(TRAIN.relative_to(ROOT)), "punkter": len(train), "C": c},
            "words": words.to_json(),
        }
        (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (folder / "scores.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
        print(f"written={folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}")


if __name__ == "__main__":
    main()
