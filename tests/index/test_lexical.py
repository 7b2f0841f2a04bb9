"""Danish analysis and BM25: compounds, æøå folding, typos, and agreement with a reference BM25."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from index.analysis import Analyzer, build_vocabulary, fold
from index.lexical import K1, B, LexicalIndex, term_matches

DOCS = [
    "Tiltag mod førtidspension for unge borgere i Odense.",
    "Hjemløse borgere får tilbud om Housing First og en bolig.",
    "Budget og økonomi: mindreforbrug og merforbrug i året.",
    "Pension og seniorjob for ældre ledige; pensionen udbetales månedligt.",
    "Stofindtagelsesrum i Odense: pulje til kapacitetsudvidelse af rum til stofbrugere.",
    "Den nye pension for seniorer og ældre medarbejdere.",
]


@pytest.fixture(scope="module")
def index():
    return LexicalIndex.build(DOCS)


def test_compound_head_is_found(index):
    terms, _ = index.query_terms("pension")
    scores = index.scores(terms)
    assert scores[0] > 0  # førtidspension
    assert index.analyzer.compound_parts("førtidspension")[0] == "pension"
    assert index.analyzer.compound_parts("hjemløse") == []  # too short to be a compound


def test_words_without_aeoeaa(index):
    assert fold("hjemløse") == fold("hjemloese") == fold("hjemlose")
    terms, _ = index.query_terms("hjemlose")
    assert int(np.argmax(index.scores(terms))) == 1


def test_typos_are_corrected_to_known_words(index):
    terms, corrections = index.query_terms("førtidspensjon")
    assert "førtidspensjon" in corrections
    assert int(np.argmax(index.scores(terms))) == 0


def test_unknown_words_score_nothing(index):
    assert not index.scores(index.query_terms("xyzzy qwerty")[0]).any()


def test_matches_are_marked_including_compounds():
    text = "Færre unge på førtidspension i Odense"
    spans = term_matches(text, {"pension"})
    assert [text[s:e] for s, e in spans] == ["førtidspension"]


def _reference_bm25(corpus: list[list[str]], query: list[str], k1: float, b: float) -> np.ndarray:
    """BM25 as Lucene computes it (its idf, no (k1 + 1) factor), written out to compare bm25s against."""
    n = len(corpus)
    avgdl = sum(len(d) for d in corpus) / n
    df = Counter(t for d in corpus for t in set(d))
    out = np.zeros(n)
    for i, doc in enumerate(corpus):
        tf = Counter(doc)
        for t in query:
            if t not in tf:
                continue
            idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            out[i] += idf * tf[t] / (tf[t] + k1 * (1 - b + b * len(doc) / avgdl))
    return out


def test_bm25_agrees_with_reference_implementation(index):
    analyzer = Analyzer(build_vocabulary(DOCS))
    corpus = [analyzer.terms(d) for d in DOCS]
    for query in ("pension ældre", "borgere odense", "rum stofbrugere pulje"):
        terms = analyzer.terms(query)
        ours = index.scores(terms)
        reference = _reference_bm25(corpus, terms, K1, B)
        assert np.allclose(ours, reference, rtol=1e-4, atol=1e-5), (query, ours, reference)
        assert list(np.argsort(-ours)) == list(np.argsort(-reference))
