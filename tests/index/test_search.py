"""Hybrid search over the ingested sample: ranking, filters, facets, snippets, similar, low confidence."""

from __future__ import annotations

import pytest

from index.evaluation import evaluate
from index.search import Filters
from nlp.errors import BadQueryError, NotFoundError
from tests.conftest import HIT_KEYS, gold_punkt_id

FORTIDSPENSION_UNGE = gold_punkt_id("004#15")


def test_hit_shape_matches_design(archive):
    result = archive.search("tiltag mod førtidspension for unge", limit=5)
    data = result.to_dict()
    assert data["query"] == "tiltag mod førtidspension for unge"
    assert 1 <= len(data["hits"]) <= 5
    for hit in data["hits"]:
        assert HIT_KEYS <= set(hit)
    scores = [h["score"] for h in data["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_the_flagship_question_finds_its_punkt(archive):
    ids = [h["id"] for h in archive.search("tiltag mod førtidspension for unge", limit=3).hits]
    assert FORTIDSPENSION_UNGE in ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hjemlose", "001#10"),  # æøå typed without
        ("velfaerdselever sosu og pau", "000#3"),  # æ as ae
        ("jobmese i kalundborg", "000#10"),  # typo
        ("committee study trip to the Netherlands", "001#1"),  # English
        ("stofindtagelsesrum", "004#5"),
    ],
)
def test_typos_english_and_missing_aeoeaa(archive, query, expected):
    ids = [h["id"] for h in archive.search(query, limit=5).hits]
    assert gold_punkt_id(expected) in ids


def test_snippet_marks_the_matched_words(archive):
    hit = archive.search("magtanvendelser", limit=1).hits[0]
    assert "<mark>" in hit["snippet"] and "magtanvendelse" in hit["snippet"].lower()
    assert hit["snippet_section"]


def test_filters_narrow_the_results(archive):
    base = archive.search("budget", limit=50)
    greve = archive.search("budget", limit=50, filters=Filters(municipality="Greve"))
    assert greve.hits and all(h["municipality"] == "Greve" for h in greve.hits)
    assert greve.total < base.total
    dated = archive.search("budget", limit=50, filters=Filters(date_from="2025-01-01", date_to="2025-06-30"))
    assert dated.hits and all("2025-01-01" <= h["meeting_date"] <= "2025-06-30" for h in dated.hits)
    bsag = archive.search("ansøgning pulje", limit=50, filters=Filters(case_type="B-sag"))
    assert bsag.hits and all(h["case_type"] == "B-sag" for h in bsag.hits)
    decided = archive.search("orientering", limit=50, filters=Filters(has_decision=False))
    assert decided.hits and all(not h["decision"] for h in decided.hits)
    kle = archive.search("frivillig", limit=50, filters=Filters(kle="27.15"))
    assert kle.hits and all(h["kle"].startswith("27.15") for h in kle.hits)


def test_theme_and_entity_filters(archive):
    themed = archive.search("unge", limit=50, filters=Filters(theme="foertidspension"))
    assert themed.hits and all("foertidspension" in h["themes"] for h in themed.hits)
    person = archive.search("initiativretsforslag", limit=50, filters=Filters(entity="Claus Houden"))
    assert [h["id"] for h in person.hits][:1] == [gold_punkt_id("002#13")]


def test_facets_count_over_the_result_set(archive):
    result = archive.search("hjemløse", limit=5)
    facets = result.facets
    assert {"themes", "committees", "years", "case_types", "people", "organisations"} <= set(facets)
    years = {f["value"]: f["count"] for f in facets["years"]}
    assert sum(years.values()) == min(result.total, 200)


def test_paging_is_consistent(archive):
    first = archive.search("beskæftigelse", limit=5).hits
    second = archive.search("beskæftigelse", limit=5, offset=5).hits
    both = archive.search("beskæftigelse", limit=10).hits
    assert [h["id"] for h in first + second] == [h["id"] for h in both]


def test_topics_outside_the_archive_are_flagged(archive):
    assert archive.search("busruter og kollektiv trafik i Odense").low_confidence
    assert not archive.search("tiltag mod førtidspension for unge").low_confidence


def test_similar_punkter(archive):
    similar = archive.searcher().similar(FORTIDSPENSION_UNGE, 5)
    assert 1 <= len(similar) <= 5
    assert FORTIDSPENSION_UNGE not in [h["id"] for h in similar]
    with pytest.raises(NotFoundError):
        archive.searcher().similar("odense/x/2020-01-01/1")


def test_closed_punkter_expose_no_content(archive):
    result = archive.search("Indgåelse af eksternt lejemål", limit=20)
    closed = [h for h in result.hits if h["closed"]]
    assert closed, "the closed punkt is findable by its title"
    for hit in closed:
        assert hit["snippet"] == "" and hit["decision"] is None
    assert archive.searcher().similar(closed[0]["id"]) == []


@pytest.mark.parametrize("query", ["", "   ", "x" * 501])
def test_bad_queries_are_refused(archive, query):
    with pytest.raises(BadQueryError):
        archive.search(query)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (101, 0), (10, -1)])
def test_bad_paging_is_refused(archive, limit, offset):
    with pytest.raises(BadQueryError):
        archive.search("budget", limit=limit, offset=offset)


def test_odd_unicode_queries_do_not_crash(archive):
    with pytest.raises(BadQueryError):  # only invisible characters: empty after normalisation
        archive.search("\u202e\u200b")
    for query in ["☃☃☃", "🙂 førtidspension", "' OR 1=1 --", "<script>alert(1)</script>"]:
        result = archive.search(query)
        for hit in result.hits:
            assert "<script>" not in hit["snippet"]


def test_development_queries_rank_well(archive, queries_gold):
    """A regression guard on quality (bench/search.py prints the full figures)."""

    answerable = [
        {**q, "relevance": {gold_punkt_id(k): v for k, v in q["relevance"].items()}}
        for q in queries_gold["queries"]
        if q["relevance"]
    ]
    result = evaluate(answerable, lambda q: ([h["id"] for h in archive.search(q["query"], limit=10).hits], False))
    assert result.mean("ndcg_at_10") >= 0.78


# -- a result set means relevant (issue 19) ---------------------------------------------------------


def _mentions(archive, slug: str, stem: str) -> bool:
    """Whether the punkt's stored text holds the word (the grep the judges used)."""
    sql = "SELECT 1 FROM passages s JOIN punkter p ON p.id = s.punkt WHERE p.slug = ? AND lower(s.text) LIKE ?"
    return archive.store.db.execute(sql, (slug, f"%{stem}%")).fetchone() is not None


def test_total_counts_only_the_punkter_that_belong(archive):
    result = archive.search("hjemløse", limit=100)
    # ten of the sample's 107 punkter mention homelessness (grepped); the search used to count 93
    assert 1 <= result.total <= 15 and not result.low_confidence
    assert len(result.hits) > result.total  # the loosely related are still listed, after them
    assert [h["relevant"] for h in result.hits] == [True] * result.total + [False] * (len(result.hits) - result.total)
    members = [h["id"] for h in result.hits[: result.total]]
    assert all(_mentions(archive, slug, "hjemløs") for slug in members), members


def test_the_answer_is_the_top_of_the_ranking_on_every_page(archive):
    whole = archive.search("beskæftigelse", limit=40)
    later = archive.search("beskæftigelse", limit=10, offset=whole.total)
    assert later.total == whole.total
    assert later.hits and not any(h["relevant"] for h in later.hits)
    assert [h["id"] for h in later.hits] == [h["id"] for h in whole.hits[whole.total : whole.total + 10]]


def test_a_query_without_an_answer_has_total_0(archive):
    for query in ("kattefoder på månen", "busruter og kollektiv trafik i Odense", "hjemløse katte"):
        result = archive.search(query, limit=20)
        assert result.total == 0 and result.low_confidence, query
        assert result.hits and not any(h["relevant"] for h in result.hits)  # nearest guesses, not counted
        assert all(values == [] for values in result.facets.values()), result.facets


def test_facets_count_only_the_relevant(archive):
    result = archive.search("tiltag mod førtidspension for unge", limit=5)
    assert 0 < result.total < 30
    committees = sum(f["count"] for f in result.facets["committees"])
    assert committees == result.total


def test_set_precision_on_the_development_queries(archive, queries_gold):
    """In-sample (the decision was fitted on these queries; bench/fit_ranker.py prints the
    cross-validated figures): most of what `total` counts is judged relevant, and little is missed."""
    precision, recall = [], []
    for q in queries_gold["queries"]:
        result = archive.search(q["query"], limit=100)
        members = {h["id"] for h in result.hits if h["relevant"]}
        relevant = {gold_punkt_id(ref) for ref in q["relevance"]}
        if not relevant:
            assert not members, q["qid"]
            continue
        precision.append(len(members & relevant) / len(members) if members else 1.0)
        recall.append(len(members & relevant) / len(relevant))
    assert sum(precision) / len(precision) >= 0.7
    assert sum(recall) / len(recall) >= 0.5


def test_filters_are_validated_where_they_are_made():
    """Every interface makes a `Filters` and none validates it again: a malformed value is refused
    at construction, in Danish, and a valid one is kept as given."""
    from index.filters import Filters

    for bad, message in (
        ({"date_from": "2024-13-01"}, "er ikke en dato"),
        ({"date_from": "2025-01-01", "date_to": "2024-01-01"}, "ligger efter date_to"),
        ({"case_type": "F-sag"}, "er ukendt"),
        ({"kle": "27.1"}, "ikke et KLE-nummer"),
        ({"municipality": "x" * 201}, "for lang"),
    ):
        with pytest.raises(BadQueryError, match=message):
            Filters(**bad)
    assert Filters(date_from="2024-02-29", kle="27.15").active() == {"date_from": "2024-02-29", "kle": "27.15"}
