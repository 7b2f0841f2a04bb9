"""Fit and choose the ranking model and the "nothing relevant" decision on the development queries.

    python bench/fit_ranker.py [--home .referat-bench] [--write]

Needs the archives `bench/search.py --distractors ...` builds under `--home` (`sample`: the bundled
sample; `distractors`: the sample and 145 more Greve meetings). For every development query set
(tests/fixtures/queries-*.json) it collects each query's candidates and their features
(`Searcher.explain`), then compares fusions by cross-validation over queries (a query and its
copy in the other archive always fall in the same fold, so no query is scored by a model that saw
it): the present formula, reciprocal-rank fusion, and logistic models over feature subsets.
Then the per-hit decision of which hits belong to the answer (`total`): its variants (`VARIANTS`)
by nested cross-validation, printing set precision and recall per run (`relevance_*`).
Prints `name=value` lines: nDCG@10 per run, set and query type, the no-answer decision's flags and
the set figures. `--write` writes `models/ranker/ranker.json`: the ranking and no-answer weights as
shipped (refitted only with `--refit-ranker`, so that the ranking does not move) and the hit
decision fitted on all queries. `--relevance-only` skips the other fusions.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import file_ids, judged, load_queries, sample_key  # noqa: E402

from index.archive import Archive  # noqa: E402
from index.evaluation import ndcg  # noqa: E402
from index.ranking import (  # noqa: E402
    FEATURES,
    HIT_FEATURES,
    Ranker,
    hit_features,
    load,
    members,
    model_path,
    query_features,
    unknown_share,
)
from nlp.settings import settings  # noqa: E402

#: (label, archive, query file, id mapping)
RUNS = (
    ("sample", "sample", "queries-dev.json", sample_key),
    ("distractors", "distractors", "queries-dev.json", sample_key),
    ("greve", "distractors", "queries-greve-dev.json", lambda k: k),
    ("greve_extra", "distractors", "queries-greve-extra-dev.json", lambda k: k),
    ("noanswer_sample", "sample", "queries-noanswer-dev.json", lambda k: k),
    ("noanswer", "distractors", "queries-noanswer-dev.json", lambda k: k),
)


def collect(home: Path) -> list[dict]:
    """One row per (run, query): features of its candidates and their relevance grades."""
    rows = []
    archives: dict[str, Archive] = {}
    for label, name, fixture, key in RUNS:
        if not (ROOT / "tests" / "fixtures" / fixture).exists() or not (home / name).exists():
            continue
        archive = archives.setdefault(name, Archive(home / name))
        ids_of = file_ids(archive)
        slug_to_id = {r[0]: r[1] for r in archive.store.db.execute("SELECT slug, id FROM punkter")}
        # Sample queries were judged against the sample only: in the distractor archive a Greve punkt
        # they never saw is unknown, neither relevant nor not (the other sets were judged on everything).
        judged_scope = _sample_punkter(archive) if key is sample_key else None
        searcher = archive.searcher()
        for q in load_queries(fixture):
            relevance = {slug_to_id[slug]: v for slug, v in judged(q, ids_of, key).items()}
            ev = searcher.explain(q["query"])
            rows.append(
                {
                    "run": label,
                    "feature_names": list(FEATURES),
                    "qid": q["qid"],
                    "type": q["type"],
                    "answerable": bool(q["relevance"]),
                    "english": ev.english,
                    "features": ev.features.tolist(),
                    "grades": [relevance.get(c, 0) for c in ev.candidates],
                    "known": [judged_scope is None or c in judged_scope for c in ev.candidates],
                    "ideal": sorted(relevance.values(), reverse=True),
                    "unknown_share": unknown_share(ev.words),
                    "passage_cover": ev.passage_cover,
                }
            )
    return rows


def _sample_punkter(archive: Archive) -> set[int]:
    """Punkter read from the bundled sample (the ones the sample queries were judged against)."""
    sample = str((ROOT / "data" / "sample").resolve())
    rows = archive.store.db.execute("SELECT p.id, d.path FROM punkter p JOIN documents d ON d.id = p.document")
    return {r[0] for r in rows if str(Path(r[1]).resolve()).startswith(sample)}


def ndcg10(scores: np.ndarray, grades: list[int], ideal: list[int]) -> float:
    """nDCG@10 of the candidates ordered by `scores` (`grades` per candidate; `ideal`: every judged grade)."""
    order = np.argsort(-scores, kind="stable")[:10]
    return ndcg([grades[i] for i in order], ideal, 10)


def col(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, FEATURES.index(name)]


# -- fusions ------------------------------------------------------------------------------------


def present(x: np.ndarray, english: bool) -> np.ndarray:
    """The formula before this model: fixed cosine scale, 0.3/0.7 (0.1/0.7 in English)."""
    dense = 0.7 * col(x, "cos1") + 0.3 * col(x, "cos2")
    dense = np.clip((dense - 0.78) / 0.08, 0, 1)
    return (0.1 if english else 0.3) * col(x, "lex") + 0.7 * dense


def rrf(x: np.ndarray, english: bool) -> np.ndarray:
    def ranks(v):
        r = np.empty(len(v))
        r[np.argsort(-v, kind="stable")] = np.arange(len(v))
        return r

    lex = col(x, "lex")
    out = 1 / (60 + ranks(col(x, "cos1")))
    return out + np.where(lex > 0, 1 / (60 + ranks(lex)), 0)


def design(x: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return np.stack([col(x, n) for n in names], axis=1)


#: Features whose weight differs for English queries (English words in Danish text mostly miss).
ENGLISH_INTERACTIONS = ("lex", "cover")


def expand(x: np.ndarray, english: bool, scale: np.ndarray) -> np.ndarray:
    """Standardised features, then the English interaction columns (zero for a Danish query)."""
    z = x / scale
    extra = np.stack([z[:, FEATURES.index(n)] * float(english) for n in ENGLISH_INTERACTIONS], axis=1)
    return np.concatenate([z, extra], axis=1)


def feature_scale(rows: list[dict]) -> np.ndarray:
    """Each feature's spread over all candidates: fitting standardised features regularises them alike."""
    every = np.concatenate([np.asarray(r["features"]).reshape(-1, len(FEATURES)) for r in rows if r["features"]])
    return every.std(axis=0) + 1e-9


def fit_pairwise(rows: list[dict], scale: np.ndarray, c: float = 0.1, max_pairs: int = 200) -> np.ndarray:
    """A linear ranking model (RankNet with one layer): logistic regression on feature differences
    of (more relevant, less relevant) candidate pairs of the same query, at most `max_pairs` per
    query so that queries with many judged punkter do not outvote the rest."""
    rng = np.random.default_rng(0)
    diffs = []
    for r in rows:
        if not r["answerable"] or not r["features"]:
            continue
        x = expand(np.asarray(r["features"]).reshape(-1, len(FEATURES)), r["english"], scale)
        g = np.asarray(r["grades"])
        pairs = np.argwhere(g[:, None] > g[None, :])
        if len(pairs) > max_pairs:
            pairs = pairs[rng.choice(len(pairs), max_pairs, replace=False)]
        diffs.append(x[pairs[:, 0]] - x[pairs[:, 1]])
    a = np.concatenate(diffs)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    model.fit(np.concatenate([a, -a]), np.r_[np.ones(len(a)), np.zeros(len(a))])
    return model.coef_[0]


def pairwise_form(scale: np.ndarray, c: float = 0.1):
    def form(train: list[dict]):
        w = fit_pairwise(train, scale, c)
        return lambda x, en: expand(x, en, scale) @ w if len(x) else np.zeros(0)

    return form


def language_weights(w: np.ndarray, scale: np.ndarray) -> dict[str, list[float]]:
    """The fitted weights as one plain vector per language over raw FEATURES (bias last, 0)."""
    base = w[: len(FEATURES)] / scale
    english = base.copy()
    for k, n in enumerate(ENGLISH_INTERACTIONS):
        english[FEATURES.index(n)] += w[len(FEATURES) + k] / scale[FEATURES.index(n)]
    return {"da": [*base.tolist(), 0.0], "en": [*english.tolist(), 0.0]}


def fit_pointwise(rows: list[dict], c: float = 1.0) -> LogisticRegression:
    xs = [np.asarray(r["features"]).reshape(-1, len(FEATURES)) for r in rows if r["answerable"] and r["features"]]
    ys = [np.asarray(r["grades"]) > 0 for r in rows if r["answerable"] and r["features"]]
    return LogisticRegression(C=c, max_iter=2000).fit(np.concatenate(xs), np.concatenate(ys))


def pointwise_form(train: list[dict]):
    model = fit_pointwise(train)
    return lambda x, en: model.decision_function(x) if len(x) else np.zeros(0)


def cross_validate(rows: list[dict], form, folds: int = 5) -> dict[int, np.ndarray]:
    """Scores of every row's candidates from a model fitted without that row's query."""
    fold_of = folds_of(rows, folds)
    out: dict[int, np.ndarray] = {}
    for f in range(folds):
        train = [r for r in rows if fold_of[r["qid"]] != f]
        scorer = form(train)
        for i, r in enumerate(rows):
            if fold_of[r["qid"]] == f:
                out[i] = scorer(np.asarray(r["features"]).reshape(-1, len(FEATURES)), r["english"])
    return out


def report(rows: list[dict], scores: dict[int, np.ndarray], label: str) -> dict[str, float]:
    """nDCG@10 per run and per run and query type; `mean` over the three original runs."""
    per: dict[str, list[float]] = defaultdict(list)
    for i, r in enumerate(rows):
        if not r["answerable"]:
            continue
        value = ndcg10(scores[i], r["grades"], r["ideal"])
        per[r["run"]].append(value)
        per[f"{r['run']}_{r['type']}"].append(value)
    means = {key: round(statistics.mean(values), 4) for key, values in sorted(per.items())}
    means["mean"] = round(statistics.mean(means[run] for run in ("distractors", "greve", "sample") if run in means), 4)
    for key, value in means.items():
        print(f"{label}_{key}_ndcg_at_10={value:.4f}")
    return means


# -- the "nothing relevant" decision ------------------------------------------------------------


def query_row(row: dict, scores: np.ndarray) -> np.ndarray:
    x = np.asarray(row["features"]).reshape(-1, len(FEATURES))
    return query_features(x, scores, row["passage_cover"], row["unknown_share"], row["english"])


def fit_no_answer(rows: list[dict], scores: dict[int, np.ndarray], c: float = 1.0) -> tuple[np.ndarray, float]:
    """Logistic regression of "no answer" on standardised query features, returned over raw ones."""
    x = np.stack([query_row(r, scores[i]) for i, r in enumerate(rows)])
    y = np.array([not r["answerable"] for r in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit((x - mean) / scale, y)
    w = model.coef_[0] / scale
    return w, float(model.intercept_[0] - (w * mean).sum())


def no_answer_probability(model: tuple[np.ndarray, float], x: np.ndarray) -> float:
    return float(1 / (1 + np.exp(-(x @ model[0] + model[1]))))


def no_answer_report(rows: list[dict], scores: dict[int, np.ndarray], label: str) -> dict[str, str]:
    """Leave-one-query-out flags: every query judged by a decision fitted without it."""
    qids = sorted({r["qid"] for r in rows})
    probs = np.zeros(len(rows))
    for q in qids:
        train = [i for i, r in enumerate(rows) if r["qid"] != q]
        model = fit_no_answer([rows[i] for i in train], {k: scores[i] for k, i in enumerate(train)})
        for i, r in enumerate(rows):
            if r["qid"] == q:
                probs[i] = no_answer_probability(model, query_row(r, scores[i]))
    flagged = probs > 0.5
    out = {}
    for run in sorted({r["run"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["run"] == run]
        na = [i for i in idx if not rows[i]["answerable"]]
        bad = [rows[i]["qid"] for i in idx if rows[i]["answerable"] and flagged[i]]
        print(f"{label}_{run}_no_answer_flagged={sum(flagged[i] for i in na)}/{len(na)}")
        print(f"{label}_{run}_flagged_answerable={len(bad)}  # {' '.join(bad)}")
        out[run] = f"no-answer flagged {sum(flagged[i] for i in na)}/{len(na)}, answerable flagged {len(bad)}"
    missed = [
        rows[i]["qid"] + f"@{rows[i]['run']}" for i in range(len(rows)) if not rows[i]["answerable"] and not flagged[i]
    ]
    print(f"# {label} missed no-answer: {' '.join(missed)}")
    wrong = int(sum(flagged[i] != (not r["answerable"]) for i, r in enumerate(rows)))
    print(f"{label}_no_answer_errors={wrong}/{len(rows)}")
    return out


# -- the per-hit relevance decision -------------------------------------------------------------

#: The set precision a threshold must keep (mean over answerable queries); among those, the most recall.
SET_PRECISION = 0.8
#: (C, rule, gate by the no-answer decision) of the hit decisions compared; `--write` fits the first.
VARIANTS = (
    (1.0, "run", True),
    (1.0, "each", True),
    (1.0, "count", True),
    (1.0, "run", False),
    (0.1, "run", True),
)


def folds_of(rows: list[dict], folds: int = 5) -> dict[str, int]:
    """Query -> fold; the one assignment every cross-validation here uses (a query's copies together)."""
    qids = sorted({r["qid"] for r in rows})
    rng = np.random.default_rng(0)
    return {q: i % folds for i, q in enumerate(rng.permutation(qids))}


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def out_of_fold_no_answer(rows: list[dict], scores: dict[int, np.ndarray]) -> np.ndarray:
    """Each row's P(nothing relevant) from a decision fitted on the other folds."""
    fold_of = folds_of(rows)
    out = np.zeros(len(rows))
    for f in set(fold_of.values()):
        train = [i for i, r in enumerate(rows) if fold_of[r["qid"]] != f]
        model = fit_no_answer([rows[i] for i in train], {k: scores[i] for k, i in enumerate(train)})
        for i, r in enumerate(rows):
            if fold_of[r["qid"]] == f:
                out[i] = no_answer_probability(model, query_row(r, scores[i]))
    return out


class Hits(NamedTuple):
    """One query-run's candidates as the hit decision sees them."""

    x: np.ndarray  # HIT_FEATURES
    listed: np.ndarray  # shown by a search at all (`index.search`'s evidence floor)
    grades: np.ndarray
    known: np.ndarray  # judged for this query (see `collect`)
    order: np.ndarray  # the listed candidates, best first
    flagged: bool  # the no-answer decision says nothing is relevant


def hit_data(rows: list[dict], scores: dict[int, np.ndarray], no_answer: np.ndarray) -> list[Hits]:
    out = []
    for i, r in enumerate(rows):
        x = np.asarray(r["features"]).reshape(-1, len(FEATURES))
        listed = (col(x, "lex") > 0) | (col(x, "cos1") >= settings.cos_floor) if len(x) else np.zeros(0, dtype=bool)
        order = np.array([j for j in np.argsort(-scores[i], kind="stable") if listed[j]], dtype=np.int64)
        out.append(
            Hits(
                hit_features(x, scores[i], logit(no_answer[i]), r["english"]),
                listed,
                np.asarray(r["grades"]),
                np.asarray(r["known"], dtype=bool),
                order,
                bool(no_answer[i] > 0.5),
            )
        )
    return out


def fit_hits(data: list[Hits], c: float = 1.0) -> np.ndarray:
    """Logistic regression of "judged relevant" on standardised HIT_FEATURES of the listed, judged
    candidates, each query weighing the same; returned as raw weights with the bias last."""
    xs, ys, ws = [], [], []
    for h in data:
        use = h.listed & h.known
        if not use.any():
            continue
        xs.append(h.x[use])
        ys.append(h.grades[use] > 0)
        ws.append(np.full(int(use.sum()), 1.0 / use.sum()))
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y, sample_weight=w * len(data))
    coef = model.coef_[0] / scale
    return np.r_[coef, model.intercept_[0] - (coef * mean).sum()]


def hit_probability(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w[:-1] + w[-1]))) if len(x) else np.zeros(0)


def relevant_set(h: Hits, p: np.ndarray, threshold: float, rule: str, gate: bool) -> np.ndarray:
    """The candidates in the answer, as `index.search` decides it (mask in candidate order)."""
    chosen = np.zeros(len(h.listed), dtype=bool)
    if gate and h.flagged:
        return chosen
    chosen[h.order[members(p[h.order], threshold, rule)]] = True
    return chosen


def set_scores(row: dict, chosen: np.ndarray) -> dict:
    """Set precision (over the judged members: unknown ones are left out) and recall (over every
    punkt judged relevant in the archive, found or not) of one query's result set."""
    grades, known = np.asarray(row["grades"]), np.asarray(row["known"], dtype=bool)
    hits = int((chosen & (grades > 0)).sum())
    judged_members = int((chosen & known).sum())
    return {
        "size": int(chosen.sum()),
        "precision": hits / judged_members if judged_members else None,
        "recall": hits / len(row["ideal"]) if row["ideal"] else None,
    }


def set_summary(rows: list[dict], sets: list[np.ndarray]) -> dict[str, float]:
    """Mean set precision (an empty set counts 1: it claims nothing; `_strict`: counts 0) and recall
    over answerable queries, and the share of no-answer queries whose total is 0."""
    per = [set_scores(r, s) for r, s in zip(rows, sets, strict=True)]
    answerable = [q for r, q in zip(rows, per, strict=True) if r["answerable"]]
    none = [q for r, q in zip(rows, per, strict=True) if not r["answerable"]]
    prec = [q["precision"] if q["precision"] is not None else 1.0 for q in answerable]
    strict = [q["precision"] or 0.0 for q in answerable]
    return {
        "set_precision": statistics.mean(prec) if prec else 1.0,
        "set_precision_strict": statistics.mean(strict) if strict else 1.0,
        "set_recall": statistics.mean(q["recall"] for q in answerable) if answerable else 1.0,
        "answerable_total_0": sum(q["size"] == 0 for q in answerable),
        "no_answer_total_0": sum(q["size"] == 0 for q in none) / len(none) if none else 1.0,
        "mean_total": statistics.mean(q["size"] for q in answerable) if answerable else 0.0,
    }


THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.025), 3)


def choose_threshold(rows: list[dict], data: list[Hits], probs: list[np.ndarray], rule: str, gate: bool) -> float:
    """The threshold with the most set recall among those keeping mean set precision >= SET_PRECISION
    (the most precise one when none does)."""
    best, best_key = float(THRESHOLDS[-1]), (-1.0, -1.0)
    for t in THRESHOLDS:
        sets = [relevant_set(h, p, t, rule, gate) for h, p in zip(data, probs, strict=True)]
        summary = set_summary(rows, sets)
        ok = summary["set_precision"] >= SET_PRECISION
        key = (summary["set_recall"], -t) if ok else (-1.0, summary["set_precision"] - 1)
        if key > best_key:
            best, best_key = float(t), key
    return best


def out_of_fold_hits(rows: list[dict], data: list[Hits], c: float, subset: list[int] | None = None) -> dict:
    """P(relevant) of every row in `subset` (default: all) from hit models fitted on the other folds."""
    fold_of = folds_of(rows)
    subset = list(range(len(rows))) if subset is None else subset
    probs = {}
    for f in sorted({fold_of[rows[i]["qid"]] for i in subset}):
        w = fit_hits([data[i] for i in subset if fold_of[rows[i]["qid"]] != f], c)
        for i in subset:
            if fold_of[rows[i]["qid"]] == f:
                probs[i] = hit_probability(w, data[i].x)
    return probs


def relevance_report(rows: list[dict], data: list[Hits], c: float, rule: str, gate: bool, label: str) -> dict:
    """Cross-validated set precision and recall: for each fold, the hit model and its threshold are
    chosen on the other folds (the threshold on their own out-of-fold probabilities, one level down),
    with the ranker's and the no-answer decision's out-of-fold outputs as evidence."""
    fold_of = folds_of(rows)
    sets: list[np.ndarray] = [np.zeros(0, dtype=bool)] * len(rows)
    thresholds = {}
    for f in sorted(set(fold_of.values())):
        train = [i for i, r in enumerate(rows) if fold_of[r["qid"]] != f]
        inner_folds = {q: i % 4 for i, q in enumerate(sorted({rows[i]["qid"] for i in train}))}
        inner = {}
        for g in range(4):
            fit_on = [i for i in train if inner_folds[rows[i]["qid"]] != g]
            w_inner = fit_hits([data[i] for i in fit_on], c)
            for i in train:
                if inner_folds[rows[i]["qid"]] == g:
                    inner[i] = hit_probability(w_inner, data[i].x)
        t = choose_threshold([rows[i] for i in train], [data[i] for i in train], [inner[i] for i in train], rule, gate)
        thresholds[f] = t
        w = fit_hits([data[i] for i in train], c)
        for i, r in enumerate(rows):
            if fold_of[r["qid"]] == f:
                sets[i] = relevant_set(data[i], hit_probability(w, data[i].x), t, rule, gate)
    out: dict[str, dict] = {}
    for run in [None, *sorted({r["run"] for r in rows})]:
        idx = [i for i, r in enumerate(rows) if run is None or r["run"] == run]
        summary = set_summary([rows[i] for i in idx], [sets[i] for i in idx])
        out[run or "all"] = {k: round(v, 4) for k, v in summary.items()}
        for key, value in summary.items():
            print(f"{label}_{run or 'all'}_{key}={value:.4f}")
    print(f"{label}_thresholds={' '.join(f'{t:.3f}' for t in thresholds.values())}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default=str(ROOT / ".referat-bench"))
    ap.add_argument("--cache", default=None, help="feature dump (JSON); collected again when missing")
    ap.add_argument("--write", action="store_true", help="write models/ranker/ranker.json")
    ap.add_argument("--relevance-only", action="store_true", help="only the pairwise ranker and the hit decision")
    ap.add_argument(
        "--refit-ranker", action="store_true", help="refit the ranking and no-answer weights too (else kept)"
    )
    args = ap.parse_args()
    cache = Path(args.cache or Path(args.home) / "ranker-features.json")
    rows = json.loads(cache.read_text()) if cache.exists() else []
    if not rows or rows[0].get("feature_names") != list(FEATURES) or "known" not in rows[0]:  # for other features
        rows = collect(Path(args.home))
        cache.write_text(json.dumps(rows))
    print(f"queries={len(rows)} answerable={sum(r['answerable'] for r in rows)}")

    scale = feature_scale(rows)
    forms = {
        "present": lambda train: present,
        "rrf": lambda train: rrf,
        "pointwise": pointwise_form,
        "pairwise": pairwise_form(scale),
        "pairwise_c1": pairwise_form(scale, 1.0),
    }
    if args.relevance_only:
        forms = {"pairwise": forms["pairwise"]}
    results: dict[str, dict] = {}
    for name, form in forms.items():
        scores = cross_validate(rows, form)
        results[name] = {"ndcg_at_10": report(rows, scores, name)}
        if name == "pairwise":
            if not args.relevance_only:
                results[name]["no_answer_leave_one_out"] = no_answer_report(rows, scores, name)
            data = hit_data(rows, scores, out_of_fold_no_answer(rows, scores))
            for c, rule, gate in VARIANTS:
                label = f"relevance_{rule}{'_gated' if gate else ''}_c{c:g}"
                results[name][label] = relevance_report(rows, data, c, rule, gate, label)
    print(f"best={max(results, key=lambda k: results[k]['ndcg_at_10']['mean'])}")
    if args.write:
        write(rows, scale, results, data, args.refit_ranker)


def write(rows: list[dict], scale: np.ndarray, results: dict, data: list, refit: bool) -> None:
    """Write the model: the ranking and no-answer weights (kept as shipped unless `refit`, so that the
    ranking does not move), and the hit decision fitted on every query's out-of-fold evidence (what
    the shipped ranker's scores look like on a query it never saw), its threshold chosen on
    out-of-fold probabilities."""
    if refit:
        weights = language_weights(fit_pairwise(rows, scale), scale)
        scores = {}
        for i, r in enumerate(rows):
            x = np.asarray(r["features"]).reshape(-1, len(FEATURES))
            w = np.asarray(weights["en" if r["english"] else "da"])
            scores[i] = x @ w[:-1] + w[-1]
        w, bias = fit_no_answer(rows, scores)
        no_answer, threshold = [*w.tolist(), bias], 0.5
    else:
        shipped = json.loads(model_path().read_text(encoding="utf-8"))
        weights, no_answer, threshold = shipped["weights"], shipped["no_answer"], shipped["threshold"]
    c, rule, gate = VARIANTS[0]
    probs = out_of_fold_hits(rows, data, c)
    hit_threshold = choose_threshold(rows, data, [probs[i] for i in range(len(rows))], rule, gate)
    hit = fit_hits(data, c)
    from nlp.e5 import base_model_name
    from nlp.embedder import get_embedder

    encoder = base_model_name(get_embedder().name)  # the model whose cosines were the features
    ranker = Ranker(weights, no_answer, threshold, hit.tolist(), hit_threshold, rule, encoder)
    model = model_path()
    model.write_text(json.dumps(ranker.to_json(), indent=2) + "\n", encoding="utf-8")
    load.cache_clear()
    load(model)  # refuses what it cannot read
    scores_file = model.with_name("scores.json")
    scores_file.write_text(json.dumps({"cross_validated": results}, indent=1, ensure_ascii=False) + "\n")
    print(f"hit_threshold={hit_threshold:.3f}")
    print("# hit weights: " + " ".join(f"{n}={v:.3f}" for n, v in zip([*HIT_FEATURES, "bias"], hit, strict=True)))
    print(f"wrote {model} and {scores_file}")


if __name__ == "__main__":
    main()
