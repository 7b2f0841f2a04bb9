"""Search quality against judgments: one evaluator for the bench, the ranker fitting and the tests.

As sentence-transformers' `InformationRetrievalEvaluator`: judged queries (`qid`, `query`, `type`,
`relevance`: punkt id -> grade > 0) and a ranking per query give nDCG@10, nDCG@5, recall@10 and MRR
per query, per query type and overall. A query with no relevant punkt (type `no_answer`) is
answered right when the search flags it (`low_confidence`): it scores 1 on every measure then, 0
otherwise, so that the overall figure also counts what the engine says about an empty archive.

The gain of a grade g is 2^g - 1 at rank r (from 0) discounted by log2(r + 2); the ideal is the
judged grades, best first, whether or not the engine found them.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

METRICS = ("ndcg_at_10", "ndcg_at_5", "recall_at_10", "mrr")


def dcg(gains: Iterable[float]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg(gains: Sequence[float], ideal: Iterable[float], k: int = 10) -> float:
    """nDCG@k of ranked `gains` against the judged grades `ideal` (any order)."""
    best = dcg(sorted(ideal, reverse=True)[:k])
    return dcg(gains[:k]) / best if best else 0.0


def score_ranking(ranked: Sequence, relevance: dict) -> dict[str, float]:
    """Every measure of one ranked list of ids against one query's judgments (grades > 0)."""
    gains = [relevance.get(i, 0) for i in ranked]
    return {
        "ndcg_at_10": ndcg(gains, relevance.values(), 10),
        "ndcg_at_5": ndcg(gains, relevance.values(), 5),
        "recall_at_10": sum(1 for i in ranked[:10] if i in relevance) / max(len(relevance), 1),
        "mrr": next((1 / (r + 1) for r, i in enumerate(ranked) if relevance.get(i, 0) > 0), 0.0),
    }


def score_no_answer(flagged: bool) -> dict[str, float]:
    """A query with no relevant punkt: right (1) when the search flagged it, else 0."""
    return dict.fromkeys(METRICS, 1.0 if flagged else 0.0)


@dataclass
class Evaluation:
    """Per-query rows (measures plus `qid`, `type` and whatever the caller added), and their means."""

    rows: list[dict] = field(default_factory=list)

    def add(self, qid: str, kind: str, scores: dict, **extra) -> dict:
        row = {**scores, "qid": qid, "type": kind, **extra}
        self.rows.append(row)
        return row

    def by_type(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for row in self.rows:
            out[row["type"]].append(row)
        return dict(sorted(out.items()))

    def mean(self, metric: str, kind: str | None = None) -> float:
        rows = [r for r in self.rows if kind is None or r["type"] == kind]
        return statistics.mean(r[metric] for r in rows)

    def figures(self, prefix: str = "", metrics: Sequence[str] = METRICS) -> dict[str, float]:
        """`name=value` figures: each measure overall, and nDCG@10 per query type."""
        out = {f"{prefix}{m}": self.mean(m) for m in metrics}
        for kind in self.by_type():
            out[f"{prefix}ndcg_at_10_{kind}"] = self.mean("ndcg_at_10", kind)
        return out


def evaluate(queries: Iterable[dict], search: Callable[[dict], tuple[list, bool]]) -> Evaluation:
    """Run `search(query) -> (ranked ids, flagged as nothing relevant)` over judged queries."""
    result = Evaluation()
    for q in queries:
        ranked, flagged = search(q)
        relevance = q["relevance"]
        scores = score_ranking(ranked, relevance) if relevance else score_no_answer(flagged)
        result.add(q["qid"], q["type"], scores)
    return result
