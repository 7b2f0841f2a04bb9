"""Publishing the SQLite store into PostgreSQL + pgvector: same keys, the Danish index terms as BM25
rows, and a closed punkt's body never there, on the primary nor on the standby."""

from __future__ import annotations

import subprocess

import pytest

from index import pgstore
from index.ingest import ingest_paths
from index.pgserver import LocalCluster
from index.store import Store
from tests.conftest import odense_file
from tests.index.pg_helpers import require_postgres
from tests.index.test_store_ingest import small_referat

psycopg = require_postgres()
pytestmark = pytest.mark.slow

SECRET = "Hemmeligholdt Borgersagsnavn Qwertyfjeld"


@pytest.fixture(scope="module")
def nodes():
    two = LocalCluster()
    yield two
    two.close()


@pytest.fixture
def fresh(nodes):
    """An empty referat database on the primary for each test (dropped and made again)."""
    with psycopg.connect(nodes.primary_url.replace("/referat", "/postgres"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS referat WITH (FORCE)")
        conn.execute("CREATE DATABASE referat")
    with psycopg.connect(nodes.primary_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION vector")
    nodes.wait_for_replay()  # the standby has the new, empty database too
    return nodes


def _rows(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_publish_keeps_keys_terms_and_closed_titles(fresh, tmp_path):
    store = Store(tmp_path / "referat.sqlite")
    ingest_paths(store, [odense_file("2025-11-25")])
    report = pgstore.publish(store.db, fresh.primary_url)
    assert report.added == store.db.execute("SELECT COUNT(*) FROM punkter").fetchone()[0] > 0
    assert report.removed == 0
    want = [tuple(r) for r in store.db.execute("SELECT id, slug, closed FROM punkter ORDER BY id")]
    got = _rows(fresh.primary_url, "SELECT id, slug, closed::int FROM punkter ORDER BY id")
    assert got == want
    sqlite_passages = [
        tuple(r)
        for r in store.db.execute(
            "SELECT s.id, s.punkt, s.text FROM passages s JOIN punkter p ON p.id = s.punkt "
            "WHERE NOT p.closed OR s.section = 'Titel' ORDER BY s.id"
        )
    ]
    assert _rows(fresh.primary_url, "SELECT id, punkt, text FROM passages ORDER BY id") == sqlite_passages
    # The terms FTS5 holds, counted per punkt: the same lengths BM25 normalises by.
    for pid, terms in store.db.execute("SELECT rowid, terms FROM punkt_terms"):
        assert _rows(fresh.primary_url, "SELECT len FROM punkt_len WHERE punkt = %s", (pid,)) == [(len(terms.split()),)]
        # ... and beside each of its term rows, where BM25 reads it without a join.
        lengths = _rows(fresh.primary_url, "SELECT DISTINCT len FROM punkt_terms WHERE punkt = %s", (pid,))
        assert lengths == [(len(terms.split()),)]
    closed = store.resolve_punkt("odense/beskaeftigelses-og-socialudvalget/2025-11-25/4")
    sections = _rows(fresh.primary_url, "SELECT section FROM passages WHERE punkt = %s", (closed,))
    assert sections == [("Titel",)]
    assert _rows(fresh.primary_url, "SELECT decision, kle FROM punkter WHERE id = %s", (closed,)) == [(None, None)]

    again = pgstore.publish(store.db, fresh.primary_url)
    assert (again.added, again.removed) == (0, 0)  # nothing changed: nothing written


#: How each older schema left the term rows: 1 without the punkt's length, 2 with it, but with a term
#: index that holds no tf or length (so BM25 fetched every posting from the table).
OLDER_SCHEMAS = {
    1: (
        "ALTER TABLE punkt_terms DROP CONSTRAINT punkt_terms_pkey",
        "ALTER TABLE punkt_terms DROP COLUMN len",
        "ALTER TABLE punkt_terms ADD CONSTRAINT punkt_terms_pkey PRIMARY KEY (term, punkt)",
        "DELETE FROM meta WHERE key = 'schema'",
    ),
    2: (
        "ALTER TABLE punkt_terms DROP CONSTRAINT punkt_terms_pkey",
        "ALTER TABLE punkt_terms ADD CONSTRAINT punkt_terms_pkey PRIMARY KEY (term, punkt)",
        "UPDATE meta SET value = '2' WHERE key = 'schema'",
    ),
}


def _term_index(url: str) -> str:
    return _rows(url, "SELECT pg_get_indexdef('punkt_terms_pkey'::regclass)")[0][0]


@pytest.mark.parametrize("version", sorted(OLDER_SCHEMAS))
def test_a_store_of_an_older_schema_is_refused_to_readers_and_upgraded_by_a_publish(fresh, tmp_path, version):
    """A store published by an older Referat: a search says in Danish to publish, and the next
    publish brings it up to date: lengths filled in, the term index carrying tf and length."""
    from index.pgsearch import PgSearchStore
    from index.pgstore import PgStoreError

    store = Store(tmp_path / "referat.sqlite")
    ingest_paths(store, [odense_file("2025-11-25")])
    pgstore.publish(store.db, fresh.primary_url)
    want = _rows(fresh.primary_url, "SELECT term, punkt, tf, len FROM punkt_terms ORDER BY term, punkt")
    with psycopg.connect(fresh.primary_url, autocommit=True) as conn:  # as that schema left it
        for sql in OLDER_SCHEMAS[version]:
            conn.execute(sql)
    assert "INCLUDE" not in _term_index(fresh.primary_url)
    with pytest.raises(PgStoreError, match=f"skema {version}.*referat db publish"):
        PgSearchStore(fresh.primary_url)
    report = pgstore.publish(store.db, fresh.primary_url)
    assert (report.added, report.removed) == (0, 0)
    assert _rows(fresh.primary_url, "SELECT term, punkt, tf, len FROM punkt_terms ORDER BY term, punkt") == want
    assert _rows(fresh.primary_url, "SELECT value FROM meta WHERE key = 'schema'") == [(str(pgstore.SCHEMA_VERSION),)]
    assert _term_index(fresh.primary_url).endswith("(term, punkt) INCLUDE (tf, len)")
    PgSearchStore(fresh.primary_url).close()


def test_bm25_reads_a_terms_postings_from_the_index_alone(fresh, tmp_path):
    """The term index carries tf and the punkt's length: BM25's scan of a term's postings is an
    index-only scan (no table page fetched a posting). The planner is told not to scan the small
    test table whole, which it would rightly prefer here."""
    from index import pgsql

    store = Store(tmp_path / "referat.sqlite")
    ingest_paths(store, [odense_file("2025-11-25")])
    pgstore.publish(store.db, fresh.primary_url)
    with psycopg.connect(fresh.primary_url, autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        db = pgsql.PgConnection(conn)
        plans = []
        native = db.native

        def explained(sql, params=()):  # each statement's plan kept, then the statement run
            plans.extend(r[0] for r in conn.execute("EXPLAIN " + sql, params))
            return native(sql, params)

        db.native = explained
        assert pgsql.bm25(db, ["borger", "udvalg"], "", [], 10, None, [3, 5])
    scans = [line for line in plans if "punkt_terms t" in line or "on punkt_terms" in line]
    assert scans and all("Index Only Scan using punkt_terms_pkey" in line for line in scans), plans


def _holds_secret(url: str) -> list:
    like = "%" + SECRET.split()[-1].lower() + "%"
    return _rows(
        url,
        "SELECT 'passage', id::text FROM passages WHERE lower(text) LIKE %(l)s "
        "UNION ALL SELECT 'term', term FROM punkt_terms WHERE term LIKE %(l)s "
        "UNION ALL SELECT 'punkt', id::text FROM punkter WHERE lower(coalesce(decision, '') || title) LIKE %(l)s",
        {"l": like},
    )


def _files_hold(server, url: str, text: str) -> bool:
    """Whether any table file of the server's data folder holds the text (as written, uncompressed),
    after a checkpoint (a restartpoint on a standby) has written its buffers and dropped replaced files."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    done = subprocess.run(["grep", "-rlaF", text, str(server.data_dir / "base")], capture_output=True, text=True)
    return bool(done.stdout.strip())


def test_a_punkt_that_becomes_closed_is_purged_on_primary_and_standby(fresh, tmp_path):
    store = Store(tmp_path / "referat.sqlite")
    path = tmp_path / "referat.txt"
    path.write_text(small_referat(extra=SECRET + "."), encoding="utf-8")
    ingest_paths(store, [path])
    pgstore.publish(store.db, fresh.primary_url)
    fresh.wait_for_replay()
    assert _holds_secret(fresh.standby_url)  # the open punkt's body is searchable there
    assert _files_hold(fresh.primary, fresh.primary_url, SECRET.split()[-1])
    assert _files_hold(fresh.standby, fresh.standby_url, SECRET.split()[-1])

    path.write_text(
        small_referat(extra=SECRET + ".").replace("Punkt 2: B-sag: Nyt", "Punkt 2: Lukket: Nyt"), encoding="utf-8"
    )
    ingest_paths(store, [path])
    report = pgstore.publish(store.db, fresh.primary_url)
    assert report.purged == 1
    fresh.wait_for_replay()
    for url in (fresh.primary_url, fresh.standby_url):
        assert _holds_secret(url) == []
        assert _rows(url, "SELECT title, closed FROM punkter WHERE slug LIKE '%%/2'") == [
            ("Lukket: Nyt værested for hjemløse", True)
        ]
    for server, url in ((fresh.primary, fresh.primary_url), (fresh.standby, fresh.standby_url)):
        assert not _files_hold(server, url, SECRET.split()[-1])


def test_unreachable_server_is_a_clear_error(tmp_path):
    from index.pgserver import free_port

    store = Store(tmp_path / "referat.sqlite")
    with pytest.raises(pgstore.PgStoreError, match="PostgreSQL svarer ikke"):
        pgstore.publish(store.db, f"postgresql://postgres@127.0.0.1:{free_port()}/referat?connect_timeout=3")


def test_cli_publish_and_its_refusals(fresh, tmp_path):
    import json
    import os
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    store = Store(tmp_path / "home" / "referat.sqlite")
    ingest_paths(store, [odense_file("2025-11-25")])
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("REFERAT_STORE", None)

    def cli(*args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "api.cli", "db", "publish", "--home", str(tmp_path / "home"), *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)

    done = cli("--store", fresh.primary_url, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == store.db.execute("SELECT COUNT(*) FROM punkter").fetchone()[0]
    refused = cli("--store", "/tmp/et-arkiv.sqlite")
    assert refused.returncode == 2 and "postgresql://" in refused.stderr


def test_cli_ingest_publishes_to_the_primary_of_a_multi_host_address(fresh, tmp_path):
    import os
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    hosts = f"127.0.0.1:{fresh.standby_port},127.0.0.1:{fresh.primary_port}"
    url = f"postgresql://postgres@{hosts}/referat?target_session_attrs=prefer-standby"
    path = tmp_path / "referat.txt"
    path.write_text(small_referat(), encoding="utf-8")
    home = tmp_path / "home"

    def cli(*args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "api.cli", "ingest", str(path), "--home", str(home), "--no-enrich", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)

    refused = cli("--store", "arkiv.sqlite")
    assert refused.returncode == 2 and not home.exists()  # refused before anything was read
    done = cli("--store", url)
    assert done.returncode == 0, done.stderr
    assert "postgres: tilføjet=2" in done.stdout
    fresh.wait_for_replay()
    slugs = [r[0] for r in _rows(fresh.standby_url, "SELECT slug FROM punkter ORDER BY id")]
    assert slugs == ["odense/testudvalget/2024-11-12/1", "odense/testudvalget/2024-11-12/2"]


def test_a_restarted_standby_catches_up(fresh, tmp_path):
    store = Store(tmp_path / "referat.sqlite")
    first = tmp_path / "a.txt"
    first.write_text(small_referat(date="12-11-2024"), encoding="utf-8")
    ingest_paths(store, [first])
    pgstore.publish(store.db, fresh.primary_url)
    fresh.wait_for_replay()
    fresh.standby.stop()
    try:
        second = tmp_path / "b.txt"
        second.write_text(small_referat(date="19-11-2024"), encoding="utf-8")
        ingest_paths(store, [second])
        pgstore.publish(store.db, fresh.primary_url)  # written while the standby is down
    finally:
        fresh.standby.start()
    fresh.wait_for_replay()
    dates = _rows(fresh.standby_url, "SELECT DISTINCT date FROM punkter ORDER BY date")
    assert dates == [("2024-11-12",), ("2024-11-19",)]
