"""The ranking model: its evidence, its file, how it is fitted, and the "nothing relevant" decision."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from index import ranking
from index.lexical import QueryWord
from index.ranking import FEATURES, QUERY_FEATURES, model_path

from ..conftest import gold_punkt_id

MODEL = model_path()
ROOT = Path(__file__).resolve().parents[2]


def _fit_ranker():
    """bench/fit_ranker.py as a module (benches are scripts, not a package)."""
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("fit_ranker", ROOT / "bench" / "fit_ranker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the model file --------------------------------------------------------------------------------


def test_the_shipped_model_fits_the_features():
    model = ranking.load()
    for language in ("da", "en"):
        assert len(model.weights[language]) == len(FEATURES) + 1
    assert len(model.no_answer) == len(QUERY_FEATURES) + 1
    assert 0 < model.threshold < 1
    card = (MODEL.parent / "README.md").read_text(encoding="utf-8")
    assert "bench/fit_ranker.py" in card


def test_a_model_for_other_features_is_refused(tmp_path):
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    data["features"] = [*data["features"], "something_new"]
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="fit_ranker"):
        ranking.load(path)


# -- evidence ---------------------------------------------------------------------------------------


def test_title_and_lead_are_the_first_two_passages():
    passages = {7: [(0.9, 12), (0.8, 10), (0.7, 11)], 8: [(0.5, 20)]}  # (cosine, passage id), best first
    titles, leads = ranking.lead_cosines(passages)
    assert titles == {7: 0.8, 8: 0.5}
    assert leads == {7: 0.7}


def test_coverage_counts_compound_parts_only_leniently(archive):
    db = archive.store.db
    with_word = [r[0] for r in db.execute("SELECT rowid FROM punkt_terms WHERE punkt_terms MATCH '\"hjemlos\"'")]
    without = [r[0] for r in db.execute("SELECT id FROM punkter") if r[0] not in set(with_word)][:3]
    candidates = [*with_word[:3], *without]
    words = [
        QueryWord("hjemløse", ("hjemlos",), "known", 5, ("hjemlos",)),
        QueryWord("hjemløshedsfuglen", ("hjemlos", "fugl"), "parts", 0),  # only its parts are known
    ]
    lenient, whole = ranking.coverage(db, candidates, words, 100)
    assert np.all(lenient[:3] == pytest.approx(1.0)) and np.all(lenient[3:] == 0)
    # the compound weighs as a word the archive lacks, so the whole-word coverage is below a half
    assert np.all((whole[:3] > 0) & (whole[:3] < 0.5)) and np.all(whole[3:] == 0)


def test_explain_gives_the_features_the_ranking_used(archive):
    evidence = archive.searcher().explain("tiltag mod førtidspension for unge")
    assert evidence.features.shape == (len(evidence.candidates), len(FEATURES))
    assert len(evidence.scores) == len(evidence.candidates)
    best = evidence.candidates[int(np.argmax(evidence.scores))]
    slug = archive.store.db.execute("SELECT slug FROM punkter WHERE id = ?", (best,)).fetchone()[0]
    assert archive.search("tiltag mod førtidspension for unge", limit=1).hits[0]["id"] == slug
    assert 0 <= evidence.passage_cover <= 1


# -- fitting ----------------------------------------------------------------------------------------


def _synthetic_rows(rng, n_queries: int = 30) -> list[dict]:
    """Queries whose relevant candidates have a higher `cover`; every other feature is noise."""
    rows = []
    for q in range(n_queries):
        x = rng.normal(0.5, 0.2, size=(20, len(FEATURES)))
        grades = [0] * 20
        for i in rng.choice(20, 3, replace=False):
            x[i, FEATURES.index("cover")] += 1.0
            grades[i] = 2
        rows.append(
            {"qid": f"q{q}", "run": "synthetic", "type": "keyword", "answerable": True, "english": q % 3 == 0,
             "features": x.tolist(), "grades": grades, "ideal": [2, 2, 2]}
        )  # fmt: skip
    return rows


def test_the_pairwise_fit_finds_the_feature_that_decides():
    fit = _fit_ranker()
    rows = _synthetic_rows(np.random.default_rng(1))
    scale = fit.feature_scale(rows)
    weights = fit.language_weights(fit.fit_pairwise(rows, scale), scale)
    for language in ("da", "en"):
        w = np.abs(weights[language][:-1])
        assert int(np.argmax(w)) == FEATURES.index("cover")
    held_out = _synthetic_rows(np.random.default_rng(2), 10)
    scores = fit.cross_validate(held_out + rows, fit.pairwise_form(scale))
    ndcg = [fit.ndcg10(scores[i], r["grades"], r["ideal"]) for i, r in enumerate(held_out)]
    assert np.mean(ndcg) > 0.9  # random order gives about 0.3


# -- nothing relevant --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["jobmese i kalundborg", "velfaerdselever sosu og pau", "hjemlose"])
def test_a_typo_whose_corrections_are_in_the_archive_is_not_flagged(archive, query):
    result = archive.search(query)
    assert not result.low_confidence
    assert result.language == "da"


@pytest.mark.parametrize("query", ["forbud mod tiggeri", "ventelister til vuggestue og børnehave", "pet cemetary"])
def test_subjects_the_archive_lacks_are_flagged(archive, query):
    assert archive.search(query).low_confidence


def test_a_named_municipality_the_results_are_not_from_is_flagged(archive):
    subject = "stofindtagelsesrum"  # only Odense's minutes hold it
    assert not archive.search(f"{subject} i Odense").low_confidence
    result = archive.search(f"{subject} i Greve")
    assert result.hits and result.hits[0]["id"] == gold_punkt_id("004#5")
    assert result.low_confidence


def test_the_result_says_what_an_english_query_was_searched_for(archive):
    result = archive.search("committee study trip to the Netherlands")
    assert result.language == "en"
    assert "Engelske ord søgt på dansk" in result.understood and "holland" in result.understood
    danish = archive.search("studietur til Holland")
    assert danish.language == "da" and "Engelske" not in danish.understood


def test_a_model_for_other_hit_features_or_rule_is_refused(tmp_path):
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    path = tmp_path / "ranker.json"
    for change in ({"hit_features": data["hit_features"][:-1]}, {"hit": data["hit"][:-1]}, {"hit_rule": "each"}):
        path.write_text(json.dumps({**data, **change}), encoding="utf-8")
        with pytest.raises(ValueError, match="fit_ranker"):
            ranking.load(path)


def test_the_answer_is_a_run_from_the_top():
    ranked = np.array([0.9, 0.8, 0.2, 0.7, 0.1])
    assert ranking.members(ranked, 0.5, "run").tolist() == [True, True, False, False, False]
    assert ranking.members(ranked, 0.5, "count").tolist() == [True, True, True, False, False]
    assert ranking.members(ranked, 0.5, "each").tolist() == [True, True, False, True, False]
    assert not ranking.members(np.array([0.4, 0.9]), 0.5, "run").any()
    assert ranking.members(np.zeros(0), 0.5, "run").tolist() == []


def test_the_ranker_names_its_encoder_and_refuses_another_models_vectors():
    from nlp.errors import IndexMismatchError

    ranker = ranking.load(MODEL)
    assert ranker.encoder == "multilingual-e5-small"
    ranker.check_encoder("multilingual-e5-small+onnx-int8")  # a runtime of the same model
    ranker.check_encoder("multilingual-e5-small")
    with pytest.raises(IndexMismatchError, match="fit_ranker"):
        ranker.check_encoder("paraphrase-multilingual-MiniLM-L12-v2")


def test_a_ranker_file_that_names_no_encoder_is_refused(tmp_path):
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    del data["encoder"]
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="no encoder"):
        ranking.load(path)


def test_coverage_read_from_the_candidates_terms_equals_fts5(archive, monkeypatch):
    """A common word's containment is read from the candidates' own terms rather than FTS5's posting
    list: the same coverage either way, on every development query."""
    from index.filters import Filters
    from index.query import parse
    from tests.conftest import FIXTURES

    queries = [q["query"] for q in json.loads((FIXTURES / "queries-dev.json").read_text("utf-8"))["queries"]]
    searcher = archive.searcher()
    covered = 0
    for query in queries:
        with archive.store.snapshot() as db:
            parsed = parse(db, query, Filters(), *searcher._names(db))
            candidates = [r[0] for r in db.execute("SELECT id FROM punkter ORDER BY id")]
            n = searcher._punkt_count(db)
            monkeypatch.setattr(ranking, "COMMON_POSTINGS", 10**9)  # always FTS5
            by_fts = ranking.coverage(db, candidates, list(parsed.words), n, parsed.vocabulary)
            monkeypatch.setattr(ranking, "COMMON_POSTINGS", -1)  # always the candidates' terms
            by_terms = ranking.coverage(db, candidates, list(parsed.words), n, parsed.vocabulary)
        assert np.array_equal(by_fts[0], by_terms[0]) and np.array_equal(by_fts[1], by_terms[1]), query
        covered += bool(by_fts[0].any())
    assert covered >= len(queries) - 5, covered  # the comparison covers words that are there
