"""Danish analysis and BM25 in FTS5: compounds, æøå folding, typos, and agreement with a textbook BM25."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from index import lexical
from index.lexical import term_matches
from index.store import Store
from nlp.analysis import compound_parts, fold, stem, terms

DOCS = [
    "Tiltag mod førtidspension for unge borgere i Odense.",
    "Hjemløse borgere får tilbud om Housing First og en bolig.",
    "Budget og økonomi: mindreforbrug og merforbrug i året.",
    "Pension og seniorjob for ældre ledige; pensionen udbetales månedligt.",
    "Stofindtagelsesrum i Odense: pulje til kapacitetsudvidelse af rum til stofbrugere.",
    "Den nye pension for seniorer og ældre medarbejdere.",
]


def lexical_store(folder, texts: list[str]) -> Store:
    """A store whose lexical index holds the texts as punkter 1, 2, ... (nothing else is needed here)."""
    store = Store(folder / "referat.sqlite")
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO punkt_terms (rowid, terms) VALUES (?, ?)",
            [(i + 1, " ".join(terms(text))) for i, text in enumerate(texts)],
        )
    return store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return lexical_store(tmp_path_factory.mktemp("lex"), DOCS).db


def best(db, query: str) -> int:
    found, _ = lexical.query_terms(db, query)
    scores = lexical.scores(db, found)
    return max(scores, key=scores.get)


def test_compound_head_is_found(db):
    assert compound_parts("førtidspension")[0] == "pension"
    assert compound_parts("hjemløse") == ()  # too short to be a compound
    scores = lexical.scores(db, lexical.query_terms(db, "pension")[0])
    assert 1 in scores  # førtidspension


def test_compounds_are_split_against_a_fixed_lexicon_not_the_collection():
    # The same word gives the same terms whatever else the archive holds: the index can grow.
    assert compound_parts("stofindtagelsesrum") == compound_parts("stofindtagelsesrum")
    assert "rum" not in compound_parts("stofindtagelsesrum")  # a head shorter than four letters is no split


def test_words_without_aeoeaa(db):
    assert fold("hjemløse") == fold("hjemloese") == fold("hjemlose")
    assert best(db, "hjemlose") == 2


def test_typos_are_corrected_to_known_words(db):
    found, corrections = lexical.query_terms(db, "førtidspensjon")
    assert "førtidspensjon" in corrections
    assert best(db, "førtidspensjon") == 1


def test_unknown_words_score_nothing(db):
    assert lexical.scores(db, lexical.query_terms(db, "xyzzy qwerty")[0]) == {}


def test_document_frequency_comes_from_the_vocabulary(db):
    assert lexical.document_frequency(db, "borg") == 2  # "borgere" twice
    assert lexical.document_frequency(db, "xyzzy") == 0


def test_fts5_bm25_agrees_with_a_textbook_bm25(db):
    """FTS5's bm25() (k1=1.2, b=0.75, Robertson IDF with a floor) against a reference written here."""
    docs = [terms(t) for t in DOCS]
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    query = lexical.query_terms(db, "pension for ældre borgere")[0]
    reference = {}
    for i, d in enumerate(docs):
        tf = Counter(d)
        score = 0.0
        for t in query:
            hits = sum(1 for x in docs if t in x)
            if not tf[t]:
                continue
            idf = max(math.log((n - hits + 0.5) / (hits + 0.5)), 1e-6)
            score += idf * tf[t] * 2.2 / (tf[t] + 1.2 * (1 - 0.75 + 0.75 * len(d) / avgdl))
        if score:
            reference[i + 1] = score
    ours = lexical.scores(db, query)
    assert set(ours) == set(reference)
    for k, v in reference.items():
        assert ours[k] == pytest.approx(v, rel=1e-6)


def test_match_strings_cannot_inject_fts_syntax(db):
    assert lexical.scores(db, ['"', "OR", "NEAR(", "*"]) == {}


def test_term_matches_mark_stems_and_compounds():
    text = "Flere unge på førtidspension; pensionen stiger."
    spans = term_matches(text, {"pension"})
    marked = [text[s:e] for s, e in spans]
    assert "førtidspension" in marked and "pensionen" in marked


def test_expansion_adds_the_synonyms_the_archive_holds(tmp_path):
    """`settings.query_expansion`: a known word also finds its thesaurus synonyms (mythes-da)."""
    store = lexical_store(tmp_path, ["Ny bopæl og adresse", "Borgerens bopæl"])
    plain = lexical.query_words(store.db, "adresse")
    expanded = lexical.query_words(store.db, "adresse", expand=True)
    assert plain[0].terms == (stem("adresse"),)
    assert stem("bopæl") in expanded[0].terms and expanded[0].whole == (stem("adresse"),)
    assert set(lexical.scores(store.db, list(expanded[0].terms))) == {1, 2}
    assert set(lexical.scores(store.db, list(plain[0].terms))) == {1}


def test_english_words_are_found_by_their_danish_words(tmp_path, monkeypatch):
    """An English query's words: the glossary's Danish words the archive holds, the word itself when
    the archive holds it too (a loanword), `unknown` otherwise; never a Danish typo correction."""
    from nlp import glossary

    table = {"motorway": ("motorvej",), "nois": ("støj",), "hous": ("bolig",)}  # keys are English stems
    monkeypatch.setattr(glossary, "load", lambda path=None, language="english": table)
    store = lexical_store(tmp_path, ["Støj fra motorvejen", "Housing First og nye boliger"])
    found = {w.word: w for w in lexical.english_words(store.db, "noise from the motorway, Housing First, xylophones")}
    assert found["motorway"].status == "translated" and stem("motorvej") in found["motorway"].terms
    assert found["noise"].terms == (stem("støj"),)
    assert set(found["housing"].terms) == {stem("bolig"), stem("housing")}
    assert found["first"].status == "known"
    assert found["xylophones"].status == "unknown" and not found["xylophones"].corrections


def test_official_words_widen_a_word_without_changing_what_it_is(tmp_path, monkeypatch):
    """`settings.official_words`: "gadelys" also finds vejbelysning; its own terms (which judge
    "nothing relevant") stay; a phrase's words join its first word."""
    from nlp import glossary

    table = {"gadelys": ("vejbelysning",), "snyd med ydels": ("bedrageri",)}  # keys are Danish stems
    monkeypatch.setattr(glossary, "load", lambda path=None, language="danish": table)
    store = lexical_store(tmp_path, ["Vejbelysning slukkes om natten", "Socialt bedrageri og ydelser"])
    plain = {w.word: w for w in lexical.query_words(store.db, "gadelys og snyd med ydelser")}
    found = {w.word: w for w in lexical.query_words(store.db, "gadelys og snyd med ydelser", official=True)}
    assert stem("vejbelysning") in found["gadelys"].terms
    assert found["gadelys"].status == plain["gadelys"].status == "unknown"
    assert stem("vejbelysning") not in found["gadelys"].whole
    assert stem("bedrageri") in found["snyd"].terms
    assert all(stem("vejbelysning") not in w.terms for w in plain.values())


def test_a_term_half_the_punkter_hold_is_left_out_of_bm25(tmp_path):
    """Such a term's IDF is at FTS5's floor: it orders nothing, and scoring it would mean scoring most
    of the archive. With the query's `Vocabulary` it is left out when other terms are there (each
    punkt's score is then what the other terms give, to FTS5's precision), and kept when it is alone."""
    texts = ["kommune budget"] * 3 + ["kommune skole"] * 2 + ["skole budget", "idræt"]
    db = lexical_store(tmp_path, texts).db
    assert lexical.document_frequency(db, "kommun") * 2 >= len(texts)  # 5 of 7 punkter
    vocabulary = lexical.Vocabulary(db)
    pruned = lexical.scores(vocabulary, ["kommun", "skol"])
    assert pruned == pytest.approx(lexical.scores(db, ["skol"]), abs=1e-5)
    assert set(lexical.scores(db, ["kommun", "skol"])) == {1, 2, 3, 4, 5, 6}  # without it: every holder
    assert set(pruned) == {4, 5, 6}
    assert set(lexical.scores(lexical.Vocabulary(db), ["kommun"])) == {1, 2, 3, 4, 5}  # alone it is kept
    assert vocabulary.df["kommun"] == 5 and vocabulary.df["skol"] == 3  # each looked up once, remembered
    # Alone, and given the dense side's candidates, it scores only those: the same scores they had.
    alone = lexical.scores(lexical.Vocabulary(db), ["kommun"])
    among = lexical.scores(lexical.Vocabulary(db), ["kommun"], within=[2, 4, 7])
    assert set(among) == {2, 4} and among == pytest.approx({p: alone[p] for p in (2, 4)})
    # A term above the floor is scored over the whole archive, whatever the dense side found.
    assert set(lexical.scores(lexical.Vocabulary(db), ["kommun", "skol"], within=[1])) == {4, 5, 6}


def test_remembered_document_frequencies_last_until_the_lexical_index_changes(tmp_path):
    """A searcher keeps the terms' document frequencies across queries while the store's
    `lexical_version` stands; adding or removing punkter moves it on, and the memory starts afresh."""
    from index.ingest import ingest_paths
    from index.search import Searcher
    from tests.index.test_store_ingest import small_referat

    store = Store(tmp_path / "referat.sqlite")
    path = tmp_path / "referat.txt"
    path.write_text(small_referat(), encoding="utf-8")
    ingest_paths(store, [path])
    searcher = Searcher(store, None, None)
    with store.snapshot() as db:
        first = searcher._term_stats(db)
        lexical.scores(lexical.Vocabulary(db, first), ["hjemlos", "budget"])
    assert first.df and first.size  # the lookups and the collection's size were remembered
    with store.snapshot() as db:
        assert searcher._term_stats(db) is first  # nothing changed: the same memory
    path.write_text(small_referat(extra="Zebrafiskeriet får tilskud."), encoding="utf-8")
    ingest_paths(store, [path])  # the document's punkter are removed and written again
    with store.snapshot() as db:
        assert searcher._term_stats(db).df == {}
