"""A meeting ingested and published on the primary while 20 clients search the standby: no client
errs, and the meeting becomes searchable on the standby (its delay is printed, not asserted)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from index import pgstore
from index.ingest import ingest_paths
from index.pgsearch import PgSearcher, PgSearchStore
from index.pgserver import LocalCluster
from index.store import Store
from tests.index.pg_helpers import require_postgres
from tests.index.test_store_ingest import small_referat

psycopg = require_postgres()
pytestmark = pytest.mark.slow
CLIENTS = 20
WORD = "Zebrafiskeriet"


def test_ingest_on_the_primary_while_clients_search_the_standby(archive, tmp_path):
    store = Store(tmp_path / "referat.sqlite")
    with sqlite3.connect(tmp_path / "referat.sqlite") as target:
        archive.store.db.backup(target)  # the sample archive, copied: this test adds to it
    nodes = LocalCluster()
    try:
        pgstore.publish(store.db, nodes.primary_url)
        nodes.wait_for_replay()
        reader = PgSearchStore(nodes.routed_url())
        searcher = PgSearcher(reader, archive.embedder)
        stop = threading.Event()
        errors: list[str] = []
        done = [0]

        def client(query: str) -> None:
            while not stop.is_set():
                try:
                    searcher.search(query, limit=10)
                    done[0] += 1
                except Exception as exc:  # every failure is counted, none is hidden
                    errors.append(f"{type(exc).__name__}: {exc}")

        queries = ["hjemløse", "budget", "førtidspension", "beskæftigelse", WORD]
        threads = [threading.Thread(target=client, args=(queries[i % len(queries)],)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        try:
            path = tmp_path / "ny.txt"
            path.write_text(small_referat(date="03-12-2026", extra=f"{WORD} får tilskud."), encoding="utf-8")
            report = ingest_paths(store, [path], archive.enricher())
            assert report.ok, report.failures
            pgstore.publish(store.db, nodes.primary_url)
            published = time.monotonic()
            found = None
            for _ in range(600):
                hits = searcher.search(WORD, limit=10).hits
                if any(h["id"].startswith("odense/testudvalget/2026-12-03") for h in hits):
                    found = time.monotonic() - published
                    break
                time.sleep(0.01)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
        print(f"clients={CLIENTS} searches={done[0]} errors={len(errors)} visible_on_standby_s={found}")
        assert errors == []
        assert found is not None, "the new meeting never became searchable on the standby"
        assert done[0] > CLIENTS
        reader.close()
    finally:
        nodes.close()
