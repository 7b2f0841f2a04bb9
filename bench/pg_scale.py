"""The PostgreSQL engine at scale: `bench/scale.py --store postgres` runs this on its synthetic archive.

Starts a local primary (index/pgserver.py; as `--pg-user` when run as root), publishes the SQLite
store into it and measures, in name=value lines:
- `pg_publish_s`: the COPY of every punkt, passage and term, with the HNSW index built as rows arrive;
- `pg_add_one_meeting_s`: the one real meeting `scale.py` added, its SQLite ingest and its delta
  publish; `pg_add_one_meeting_empty_s` the same meeting ingested into an empty home and published
  into an empty database, and `pg_add_one_meeting_growth` the ratio of the two;
- `pg_latency_p50_ms`/`pg_latency_p95_ms` of the full search (the shared Searcher over Postgres:
  BM25 over the term rows, pgvector HNSW with iterative scan, features, ranker, snippets, facets)
  on one connection, unfiltered and with the same selective filter as the SQLite side;
- `pg_recall_at_10` of the dense top 10 (ef_search as search sets it) against exact search.
The query vectors are given, as on the SQLite side.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from bench.given_vector import GivenVector, time_searches


class PgBench:
    """A local primary for the bench's lifetime, the SQLite store published into it, and the measures."""

    def __init__(self, home: Path, user: str | None = None) -> None:
        from index.pgserver import LocalCluster
        from index.store import Store

        self.cluster = LocalCluster(standby=False, user=user, prefix="referat-pg-bench-")
        self.server, self.url = self.cluster.primary, self.cluster.primary_url
        self.store = Store(home / "referat.sqlite")

    def publish(self) -> dict:
        from index import pgstore

        started = time.perf_counter()
        report = pgstore.publish(self.store.db, self.url)
        return {"s": time.perf_counter() - started, **report.to_dict()}

    def checkpoint(self) -> float:
        """Seconds for a CHECKPOINT: every dirty page written out."""
        started = time.perf_counter()
        self.server.psql("CHECKPOINT")
        return time.perf_counter() - started

    def publish_into_empty(self, home: Path) -> float:
        """Seconds to publish `home`'s store into a new, empty database on the same server: what a
        delta publish into the large store is compared to."""
        from index import pgstore
        from index.pgserver import dsn
        from index.store import Store

        self.server.psql("CREATE DATABASE referat_empty", database="postgres")
        self.server.psql("CREATE EXTENSION vector", database="referat_empty")
        store = Store(home / "referat.sqlite")
        try:
            started = time.perf_counter()
            pgstore.publish(store.db, dsn(self.server.port(), database="referat_empty"))
            return time.perf_counter() - started
        finally:
            store.close()

    def size_mb(self) -> int:
        return int(self.server.psql("SELECT pg_database_size('referat') / 1048576"))

    def search(self, qs: np.ndarray, texts: list[str], filters_by_label: dict) -> dict:
        from index.pgsearch import PgSearcher, PgSearchStore

        out: dict = {}
        embedder = GivenVector(qs.shape[1])
        pg = PgSearchStore(self.url)
        searcher = PgSearcher(pg, embedder)
        try:
            for label, filters in filters_by_label.items():
                for name, value in time_searches(searcher, embedder, texts, qs, filters).items():
                    out[f"pg_{label}{name}"] = value
                out[f"pg_{label}recall_at_10"] = _recall(self.store, pg, qs, filters)
        finally:
            pg.close()
        return out

    def close(self) -> None:
        self.cluster.close()


def _recall(store, pg, qs: np.ndarray, filters) -> float:
    """Dense top 10 from HNSW (as search asks it) against exact inner products over the allowed passages."""
    where, params = filters.sql()
    sql = "SELECT s.id, s.vector FROM passages s JOIN punkter p ON p.id = s.punkt"
    rows = store.db.execute(sql + (f" WHERE {where}" if where else ""), params).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), qs.shape[1])
    from index.pgsql import translate_sql
    from nlp.settings import settings

    join = f"JOIN punkter p ON p.id = s.punkt WHERE {translate_sql(where)}" if where else ""
    recalls = []
    with pg.snapshot() as db:
        db.native(f"SET LOCAL hnsw.ef_search = {max(settings.dense_k, 40)}")
        db.native("SET LOCAL hnsw.iterative_scan = strict_order")
        for q in qs:
            got = [
                r[0]
                for r in db.native(
                    f"SELECT s.id FROM passages s {join} ORDER BY s.embedding <#> %s LIMIT 10", (*params, q)
                )
            ]
            truth = ids[np.argsort(-(matrix @ q))[:10]]
            recalls.append(len(set(got) & set(truth.tolist())) / 10)
    return statistics.mean(recalls)
