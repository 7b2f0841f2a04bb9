"""Fit and choose the ranking model and the "nothing relevant" decision on the development queries.

    python bench/fit_ranker.py [--home .referat-bench] [--write]

Needs the archives `bench/search.py --distractors ...` builds under `--home` (`sample`: the bundled
sample; `distractors`: the sample and 145 more Greve meetings). For every development query set
(tests/fixtures/queries-*.json) it collects each query's candidates and their features
(`Searcher.explain`), then compares fusions by cross-validation over queries (a query and its
copy in the other archive always fall in the same fold, so no query is scored by a model that saw
it): the present formula, reciprocal-rank fusion, and logistic models over feature subsets.
Prints `name=value` lines: nDCG@10 per run, set and query type, and the no-answer decision's
flags. `--write` fits the chosen form on all queries and writes `models/ranker/ranker.json`.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import file_ids, judged, load_queries, sample_key  # noqa: E402

from index.archive import Archive  # noqa: E402
from index.ranking import FEATURES, MODEL, Ranker, query_features, unknown_share  # noqa: E402

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
        if not (ROOT / "tests" / "fixtures" / fixture).exists():
            continue
        archive = archives.setdefault(name, Archive(home / name))
        ids_of = file_ids(archive)
        slug_to_id = {r[0]: r[1] for r in archive.store.db.execute("SELECT slug, id FROM punkter")}
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
                    "ideal": sorted(relevance.values(), reverse=True),
                    "unknown_share": unknown_share(ev.words),
                    "passage_cover": ev.passage_cover,
                }
            )
    return rows


def ndcg10(scores: np.ndarray, grades: list[int], ideal: list[int]) -> float:
    if not ideal:
        return 0.0
    order = np.argsort(-scores, kind="stable")[:10]
    dcg = sum((2 ** grades[i] - 1) / math.log2(r + 2) for r, i in enumerate(order))
    best = sum((2**g - 1) / math.log2(r + 2) for r, g in enumerate(ideal[:10]))
    return dcg / best


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
    qids = sorted({r["qid"] for r in rows})
    rng = np.random.default_rng(0)
    fold_of = {q: i % folds for i, q in enumerate(rng.permutation(qids))}
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default=str(ROOT / ".referat-bench"))
    ap.add_argument("--cache", default=None, help="feature dump (JSON); collected again when missing")
    ap.add_argument("--write", action="store_true", help="write models/ranker/ranker.json")
    args = ap.parse_args()
    cache = Path(args.cache or Path(args.home) / "ranker-features.json")
    rows = json.loads(cache.read_text()) if cache.exists() else []
    if not rows or rows[0].get("feature_names") != list(FEATURES):  # collected for other features
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
    results: dict[str, dict] = {}
    for name, form in forms.items():
        scores = cross_validate(rows, form)
        results[name] = {"ndcg_at_10": report(rows, scores, name)}
        if name == "pairwise":
            results[name]["no_answer_leave_one_out"] = no_answer_report(rows, scores, name)
    print(f"best={max(results, key=lambda k: results[k]['ndcg_at_10']['mean'])}")
    if args.write:
        write(rows, scale, results)


def write(rows: list[dict], scale: np.ndarray, results: dict) -> None:
    """Fit the pairwise ranker and the no-answer decision on every query and write the model."""
    weights = language_weights(fit_pairwise(rows, scale), scale)
    scores = {}
    for i, r in enumerate(rows):
        x = np.asarray(r["features"]).reshape(-1, len(FEATURES))
        w = np.asarray(weights["en" if r["english"] else "da"])
        scores[i] = x @ w[:-1] + w[-1]
    w, bias = fit_no_answer(rows, scores)
    ranker = Ranker(weights, [*w.tolist(), bias], 0.5)
    MODEL.write_text(json.dumps(ranker.to_json(), indent=2) + "\n", encoding="utf-8")
    scores_file = MODEL.with_name("scores.json")
    scores_file.write_text(json.dumps({"cross_validated": results}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {MODEL} and {scores_file}")


if __name__ == "__main__":
    main()
