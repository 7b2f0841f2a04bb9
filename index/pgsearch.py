"""Search over the PostgreSQL store: the same Searcher, the same evidence, the same fitted ranker.

Why this shape: the ranking (`index.search`, `index.lexical`, `index.ranking`) is written once. It
talks to a DB-API-like connection; `PgConnection` gives it that over psycopg, translating the few
SQLite spellings the shared queries use (`?`, `COLLATE NOCASE`, `group_concat`). What differs by
engine is behind two seams only:
- the lexical index (`index.lexical` calls `index.pgsql` on a PostgreSQL connection): BM25 with FTS5's formula (k1 1.2,
  b 0.75, idf clamped at 1e-6, document length in index terms) over the `punkt_terms` rows,
  document frequencies and the vocabulary for typo correction;
- the dense side (`PgSearcher._dense`, `_passage_cosines`): pgvector's inner product (the FAISS
  side's metric) from the HNSW index, with `hnsw.ef_search` at the candidates wanted and
  `hnsw.iterative_scan` so a filter does not starve the scan; every candidate's passages scored
  exactly, as FAISS does.
Readers see one MVCC snapshot per search (REPEATABLE READ, read only), on whichever node the
connection string routes them to (`target_session_attrs=prefer-standby`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from index.pgsql import PgConnection, translate_sql
from index.pgstore import SCHEMA_VERSION, PgStoreError, connect, schema_version
from index.search import Searcher
from nlp.settings import settings

# -- the store and the searcher ---------------------------------------------------------------


class PgSearchStore:
    """Readers' connections to a Postgres store, one per thread; each search one snapshot."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = threading.local()
        self.db  # fail now, in Danish, if it cannot be reached

    @property
    def db(self) -> PgConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.conn.closed:
            raw = connect(self.url, autocommit=True)
            conn = self._local.conn = PgConnection(raw)
            refused = self._unusable(raw)
            if refused:
                raw.close()
                self._local.conn = None
                raise PgStoreError(refused)
        return conn

    @staticmethod
    def _unusable(raw) -> str | None:
        """Why this store cannot be searched (empty, or an older schema), in Danish; None when it can."""
        if not raw.execute("SELECT to_regclass('punkt_terms') IS NOT NULL").fetchone()[0]:
            return "PostgreSQL-lageret er tomt: kør `referat db publish --store …` først"
        version = schema_version(raw)
        if version < SCHEMA_VERSION:
            return (
                f"PostgreSQL-lageret har skema {version}, søgningen kræver {SCHEMA_VERSION}: "
                "kør `referat db publish --store …`, som opgraderer det"
            )
        return None

    @contextmanager
    def snapshot(self) -> Iterator[PgConnection]:
        db = self.db
        with db.conn.transaction():
            db.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # Which publish this snapshot sees, read once for every cache that must follow it.
            row = db.native("SELECT value FROM meta WHERE key = 'published'").fetchone()
            db.published = row[0] if row else None
            yield db

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            try:
                conn.conn.close()
            except Exception:  # a broken connection may fail to close; it is dropped either way
                pass


def store_url(explicit: str | None = None) -> str | None:
    """The PostgreSQL store asked for (`--store`, else `REFERAT_STORE`), None for the SQLite default;
    anything that is no postgresql:// address is refused, not taken for a file."""
    from index.pgstore import is_postgres
    from nlp.errors import BadQueryError

    url = explicit or settings.store
    if not url:
        return None
    if not is_postgres(url):
        raise BadQueryError(f"--store/REFERAT_STORE: '{url[:80]}' er ingen postgresql://-adresse")
    return url


class PgSearcher(Searcher):
    """`Searcher` with its dense side in pgvector; everything else is the shared code."""

    def __init__(self, store: PgSearchStore, embedder) -> None:
        super().__init__(store, embedder, None, "postgres")
        self._published: str | None = None

    def _retrying(self, call):
        """A search whose connection broke (a node restarted, a standby's recovery conflict) is asked
        once more on a new connection, which the address may route to another node; a second
        failure is said in Danish."""
        import psycopg

        for attempt in (0, 1):
            try:
                return call()
            except psycopg.OperationalError as exc:
                self.store.close()  # this thread's connection is gone
                if attempt:
                    detail = " ".join(str(exc).split())[:300]
                    raise PgStoreError(f"PostgreSQL-lageret svarer ikke: {detail}") from exc

    def search(self, query: str, **kwargs):
        return self._retrying(lambda: super(PgSearcher, self).search(query, **kwargs))

    def explain(self, query: str, filters=None):
        return self._retrying(lambda: super(PgSearcher, self).explain(query, filters))

    def _fresh(self, db) -> None:
        """Forget the archive's names and punkt count when a publish has changed the store since."""
        published = db.published  # as the snapshot read it (`PgSearchStore.snapshot`)
        if published != self._published:
            self._names_cache, self._count_cache, self._published = None, None, published

    def _names(self, db) -> tuple[list[str], list[str]]:
        self._fresh(db)
        return super()._names(db)

    def _punkt_count(self, db) -> int:
        self._fresh(db)
        return super()._punkt_count(db)

    def _dense_candidates(self, db, qvec: np.ndarray, parsed) -> dict[int, float]:
        """Best inner product per punkt among the nearest allowed passages: the filter in SQL (the
        query's `where`), the HNSW scan going on until enough pass it (iterative scan)."""
        return self._nearest(db, qvec, parsed.where)

    def _nearest(self, db, qvec: np.ndarray, where: tuple[str, list], k: int | None = None) -> dict[int, float]:
        k = k or settings.dense_k
        clause, params = where
        db.native(f"SET LOCAL hnsw.ef_search = {max(int(k), 40)}")
        db.native("SET LOCAL hnsw.iterative_scan = strict_order")
        join = f"JOIN punkter p ON p.id = s.punkt WHERE {translate_sql(clause)}" if clause else ""
        vec = np.asarray(qvec, dtype=np.float32)
        rows = db.native(
            f"SELECT s.punkt, -(s.embedding <#> %s) AS c FROM passages s {join} ORDER BY s.embedding <#> %s LIMIT %s",
            (vec, *params, vec, int(k)),
        )
        out: dict[int, float] = {}
        for punkt, c in rows:
            if c is not None and punkt not in out:
                out[int(punkt)] = float(c)
        return out

    def _passage_cosines(self, db, punkter: list[int], qvec: np.ndarray) -> dict[int, list]:
        """Every passage of the given punkter scored exactly: punkt -> [(cos, passage id)], best first."""
        out: dict[int, list] = {p: [] for p in punkter}
        if not punkter:
            return out
        rows = db.native(
            "SELECT punkt, id, -(embedding <#> %s) AS c FROM passages WHERE punkt = ANY(%s) AND embedding IS NOT NULL "
            "ORDER BY c DESC, id",
            (np.asarray(qvec, dtype=np.float32), punkter),
        )
        for punkt, pid, c in rows:
            out[punkt].append((c, pid))
        return out

    def similar(self, slug: str, limit: int = 5) -> list[dict]:
        return self._retrying(lambda: super(PgSearcher, self).similar(slug, limit))

    def _punkt_vectors(self, db, punkt: int) -> list[np.ndarray]:
        sql = "SELECT embedding FROM passages WHERE punkt = %s AND embedding IS NOT NULL ORDER BY ordinal LIMIT 20"
        # pgvector's adapter gives a `Vector`, not a sequence numpy can read.
        return [np.asarray(r[0].to_numpy(), dtype=np.float32) for r in db.native(sql, (punkt,))]

    def _nearest_to(self, db, vector: np.ndarray, exclude: int) -> dict[int, float]:
        return self._nearest(db, vector, ("p.id <> ? AND NOT p.closed", [exclude]))
