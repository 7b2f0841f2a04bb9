"""Search on PostgreSQL + pgvector ranks as search on SQLite + FAISS: the same evidence into the same
fitted ranker, read from a hot standby through a multi-host connection string."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import pgstore
from index.filters import Filters
from index.pgsearch import PgSearcher, PgSearchStore
from index.pgserver import LocalCluster
from tests.conftest import FIXTURES
from tests.index.pg_helpers import require_postgres

psycopg = require_postgres()
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published(archive):
    nodes = LocalCluster()
    try:
        pgstore.publish(archive.store.db, nodes.primary_url)
        nodes.wait_for_replay()
        yield nodes
    finally:
        nodes.close()


@pytest.fixture(scope="module")
def pg_searcher(published, archive):
    store = PgSearchStore(published.routed_url())
    yield PgSearcher(store, archive.embedder)
    store.close()


def _queries() -> list[str]:
    out = []
    for name in ("queries-dev.json", "queries-greve-dev.json"):
        out += [q["query"] for q in json.loads((FIXTURES / name).read_text(encoding="utf-8"))["queries"]]
    return out


def test_readers_are_routed_to_the_standby(pg_searcher):
    with pg_searcher.store.snapshot() as db:
        assert db.native("SELECT pg_is_in_recovery()").fetchone()[0] is True


def test_the_same_top_ten_on_both_engines(archive, pg_searcher):
    queries = _queries()
    same = 0
    differing = []
    for query in queries:
        mine = [h["id"] for h in archive.searcher().search(query, limit=10).hits]
        theirs = [h["id"] for h in pg_searcher.search(query, limit=10).hits]
        if mine == theirs:
            same += 1
        else:
            differing.append((query, mine, theirs))
    share = same / len(queries)
    print(f"same_top10_share={share:.3f} queries={len(queries)}")
    assert share >= 0.95, differing


def test_the_evidence_is_the_same(archive, pg_searcher):
    """BM25, coverage and cosines per candidate agree (the dense side to float32 rounding)."""
    for query in _queries()[:12]:
        mine = archive.searcher().explain(query)
        theirs = pg_searcher.explain(query)
        assert set(mine.candidates) == set(theirs.candidates), query
        order = [theirs.candidates.index(pid) for pid in mine.candidates]
        np.testing.assert_allclose(theirs.features[order], mine.features, atol=1e-4, err_msg=query)


def test_filters_rank_the_same(archive, pg_searcher):
    for filters in (
        Filters(municipality="greve"),
        Filters(date_from="2025-01-01"),
        Filters(case_type="B-sag", has_decision=True),
    ):
        mine = archive.searcher().search("budget", limit=10, filters=filters)
        theirs = pg_searcher.search("budget", limit=10, filters=filters)
        assert [h["id"] for h in theirs.hits] == [h["id"] for h in mine.hits]
        assert theirs.total == mine.total
    with pytest.raises(Exception, match="Holstebro"):
        pg_searcher.search("budget", filters=Filters(municipality="Holstebro"))


def test_closed_punkter_show_no_content_on_postgres(pg_searcher):
    hits = pg_searcher.search("lukket punkt", limit=50).hits
    for hit in (h for h in hits if h["closed"]):
        assert hit["snippet"] == "" and hit["decision"] is None


def test_cli_search_on_the_standby(published):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "api.cli", "search", "førtidspension", "--store", published.routed_url(), "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hits"]
    bad = subprocess.run([*argv[:5], "--store", "arkiv.sqlite"], capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode == 2 and "postgresql://" in bad.stderr


def test_serve_searches_the_standby(published, archive):
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "api.cli", "serve", "--home", str(archive.home), "--port", str(port)]
    proc = subprocess.Popen([*argv, "--store", published.routed_url()], env=env, stderr=subprocess.PIPE, text=True)
    try:
        data = None
        for _ in range(600):  # until the models are loaded and it answers
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read())
            try:
                data = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "hjemløse"}, timeout=30).json()
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert data is not None
        want = [h["id"] for h in archive.searcher().search("hjemløse", limit=10).hits]
        assert [h["id"] for h in data["hits"]] == want
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_readers_survive_a_standby_restart(published, pg_searcher, archive):
    """Stopped: the next search reconnects, and the address routes it to the primary. Started again
    (it catches up by streaming): new connections prefer it again."""
    want = [h["id"] for h in archive.searcher().search("budget", limit=10).hits]
    assert [h["id"] for h in pg_searcher.search("budget", limit=10).hits] == want
    published.standby.stop()
    try:
        assert [h["id"] for h in pg_searcher.search("budget", limit=10).hits] == want
        with pg_searcher.store.snapshot() as db:
            assert db.native("SELECT pg_is_in_recovery()").fetchone()[0] is False
    finally:
        published.standby.start()
    published.wait_for_replay()
    pg_searcher.store.close()
    with pg_searcher.store.snapshot() as db:
        assert db.native("SELECT pg_is_in_recovery()").fetchone()[0] is True
    assert [h["id"] for h in pg_searcher.search("budget", limit=10).hits] == want


def test_bm25_statistics_are_kept_at_publish_and_counted_when_missing(published):
    """The collection statistics come from the last publish; a store published before they were
    kept (no `bm25_stats` row) gets the very same scores by counting them."""
    from index import pgsql

    terms = ["hjemlos", "pension", "budget"]
    with psycopg.connect(published.primary_url, autocommit=True) as conn:
        stats = conn.execute("SELECT value FROM meta WHERE key = 'bm25_stats'").fetchone()
        assert stats is not None
        n, avgdl = (float(v) for v in stats[0].split())
        assert n == conn.execute("SELECT count(*) FROM punkt_len").fetchone()[0] and avgdl > 0
        db = pgsql.PgConnection(conn)
        kept = pgsql.bm25(db, terms, "", [], 100)
        conn.execute("DELETE FROM meta WHERE key = 'bm25_stats'")
        try:
            counted = pgsql.bm25(db, terms, "", [], 100)
        finally:
            conn.execute("INSERT INTO meta VALUES ('bm25_stats', %s)", (stats[0],))
    assert kept and kept == counted


def test_bm25_with_the_vocabularys_document_frequencies_is_bm25_counted(published):
    """The search hands BM25 the document frequencies its vocabulary already read: the very same
    scores as counting every posting again, a term no punkt holds included (it scores nothing)."""
    from index import lexical, pgsql

    terms = ["hjemlos", "pension", "budget", "zzqxintetsted"]
    with psycopg.connect(published.primary_url, autocommit=True) as conn:
        db = pgsql.PgConnection(conn)
        vocabulary = lexical.Vocabulary(db)
        df = [lexical.document_frequency(vocabulary, t) for t in terms]
        assert df[-1] == 0 and all(df[:-1])
        counted = pgsql.bm25(db, terms, "", [], 100)
        given = pgsql.bm25(db, terms, "", [], 100, df=df)
        assert counted and given == counted
        assert pgsql.bm25(db, terms, "NOT p.closed", [], 100, df=df) == pgsql.bm25(db, terms, "NOT p.closed", [], 100)


def test_bm25_among_given_punkter_is_the_same_on_both_engines(archive, published):
    """A query of only floor-IDF words is scored among the dense side's candidates (`within`): on
    both engines the same punkter with the same scores as unrestricted, only fewer of them."""
    from index import lexical, pgsql

    terms = ["hjemlos", "pension", "budget"]
    with archive.store.snapshot() as db:
        mine = lexical.scores(db, terms)
    some = sorted(mine)[::2]
    with psycopg.connect(published.primary_url, autocommit=True) as conn:
        theirs = pgsql.bm25(pgsql.PgConnection(conn), terms, "", [], 100, within=some)
    assert theirs and set(theirs) == set(some) & set(mine)
    assert theirs == pytest.approx({p: mine[p] for p in theirs}, rel=1e-4)


def test_similar_punkter_are_the_same_on_both_engines(archive, pg_searcher):
    slug = archive.search("hjemløse", limit=1).hits[0]["id"]
    mine = [h["id"] for h in archive.searcher().similar(slug)]
    theirs = [h["id"] for h in pg_searcher.similar(slug)]
    assert mine and theirs == mine and slug not in theirs


def test_direct_answers_are_the_same_on_both_engines(archive, pg_searcher):
    """The answer box reads the hits' passages in the search's own snapshot, so a Postgres reader
    answers as SQLite does, from its own rows (it has no home store to read)."""
    questions = json.loads((FIXTURES / "answers-dev.json").read_text(encoding="utf-8"))["questions"]
    answered = 0
    for q in questions:
        mine = archive.searcher().search(q["question"], limit=10).answer
        theirs = pg_searcher.search(q["question"], limit=10).answer
        assert mine == theirs, q["question"]
        answered += mine is not None
    assert answered >= 10, answered  # the comparison covers answers, not only silences
