"""The one evaluator of search quality (index/evaluation.py), against figures worked by hand."""

from __future__ import annotations

import math

import pytest

from index.evaluation import evaluate, ndcg, score_ranking


def test_one_ranking_scored_by_hand():
    scores = score_ranking(["a", "x", "b"], {"a": 2, "b": 1})
    # DCG: (2^2-1)/log2(2) + 0 + (2^1-1)/log2(4) = 3.5; ideal: 3 + 1/log2(3).
    assert scores["ndcg_at_10"] == pytest.approx(3.5 / (3 + 1 / math.log2(3)))
    assert scores["recall_at_10"] == 1.0 and scores["mrr"] == 1.0


def test_a_late_first_hit_and_a_judged_punkt_never_found():
    scores = score_ranking(["x", "y", "a"], {"a": 1, "b": 1})
    assert scores["mrr"] == pytest.approx(1 / 3)
    assert scores["recall_at_10"] == 0.5
    assert scores["ndcg_at_5"] == pytest.approx(0.5 / (1 + 1 / math.log2(3)))


def test_the_ideal_counts_only_the_best_k():
    assert ndcg([1, 1], [1, 1, 1], k=2) == pytest.approx(1.0)
    assert ndcg([], [], k=10) == 0.0


def test_no_answer_queries_score_the_flag_and_types_are_kept_apart():
    queries = [
        {"qid": "q1", "type": "keyword", "query": "a", "relevance": {"a": 1}},
        {"qid": "q2", "type": "no_answer", "query": "z", "relevance": {}},
        {"qid": "q3", "type": "no_answer", "query": "w", "relevance": {}},
    ]
    runs = {"a": (["a"], False), "z": ([], True), "w": (["a"], False)}
    result = evaluate(queries, lambda q: runs[q["query"]])
    figures = result.figures("x_")
    assert figures["x_ndcg_at_10_keyword"] == 1.0
    assert figures["x_ndcg_at_10_no_answer"] == 0.5
    assert figures["x_mrr"] == pytest.approx(2 / 3)
