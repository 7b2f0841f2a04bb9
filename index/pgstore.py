"""The PostgreSQL + pgvector copy of the archive's search side, published from the SQLite store.

Why a copy: the SQLite store stays the source of truth (Datasette, the take-home file, the ingest),
and what search reads is published into Postgres, where a primary takes the writes and any number
of hot standbys serve readers by streaming replication, with MVCC instead of generation folders.

The schema keeps the SQLite store's concepts and integer keys (a passage, punkt or meeting has the
same id on both engines): meetings; punkter with their filter columns; passages with their e5
vector in `vector(N)` and an HNSW index (inner product, as FAISS); the punkt's Danish index terms as the SQLite side
wrote them (`nlp.analysis`, stored in FTS5's `punkt_terms`) as rows (term, punkt, tf, and the
punkt's length in terms beside each), so that BM25 is the same formula as FTS5's (`index.pgsql`); themes and
shown entities for filters and facets.

A closed punkt is its title only here as everywhere: no body passage, decision, theme or entity
of it is written, whatever the source holds. A punkt is identified by a signature (its slug, its
closed flag and its passage ids, which SQLite never reuses); a punkt whose signature changed is
deleted and written again, and when one that was open is now closed, the tables that held its body
are rewritten (`VACUUM FULL`), so its old text leaves the primary's files and, by replay, the
standbys'. Writes are batched with COPY in one transaction per publish; a publish that changes a
small share of the punkter (`settings.pg_analyze_share`) leaves VACUUM and ANALYZE to autovacuum.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass

import numpy as np

from nlp.errors import ReferatError
from nlp.settings import settings

DEFAULT_DIM = 384
#: Tables that hold a punkt's content: rewritten after a punkt turned closed.
CONTENT_TABLES = ("passages", "punkt_terms", "punkt_len", "themes", "entities", "punkter")
#: FTS5's unicode61 tokenizer: a token is a run of letters and digits (what counts towards a length).
_TOKEN = re.compile(r"[^\W_]+")


class PgStoreError(ReferatError):
    """The PostgreSQL store cannot be reached or written."""

    status_code = 503


def schema(dim: int) -> str:
    return f"""
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text);
CREATE TABLE IF NOT EXISTS meetings (
    id bigint PRIMARY KEY, slug text NOT NULL UNIQUE, municipality text NOT NULL, committee text NOT NULL,
    date text NOT NULL, time text, name text, source_url text
);
CREATE TABLE IF NOT EXISTS punkter (
    id bigint PRIMARY KEY, slug text NOT NULL UNIQUE, meeting bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    ordinal integer NOT NULL, number integer NOT NULL, title text NOT NULL, case_type text, journal_number text,
    closed boolean NOT NULL, decision text, kle text, municipality text NOT NULL, committee text NOT NULL,
    date text NOT NULL, has_decision boolean NOT NULL, source_url text, sig text NOT NULL
);
CREATE INDEX IF NOT EXISTS punkter_meeting ON punkter(meeting);
CREATE INDEX IF NOT EXISTS punkter_filter ON punkter(lower(municipality), lower(committee), date);
CREATE INDEX IF NOT EXISTS punkter_date ON punkter(date);
CREATE INDEX IF NOT EXISTS punkter_case_type ON punkter(lower(case_type));
CREATE INDEX IF NOT EXISTS punkter_kle ON punkter(kle text_pattern_ops);
CREATE TABLE IF NOT EXISTS passages (
    id bigint PRIMARY KEY, punkt bigint NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    ordinal integer NOT NULL, section text NOT NULL, text text NOT NULL, embedding vector({dim})
);
CREATE INDEX IF NOT EXISTS passages_punkt ON passages(punkt);
CREATE TABLE IF NOT EXISTS punkt_terms (
    term text NOT NULL, punkt bigint NOT NULL REFERENCES punkter(id) ON DELETE CASCADE, tf integer NOT NULL,
    len integer NOT NULL,  -- the punkt's length in terms (punkt_len), beside each posting for BM25
    CONSTRAINT punkt_terms_pkey PRIMARY KEY (term, punkt) INCLUDE (tf, len)  -- BM25 reads the index only
);
CREATE INDEX IF NOT EXISTS punkt_terms_punkt ON punkt_terms(punkt);
CREATE INDEX IF NOT EXISTS punkt_terms_pattern ON punkt_terms(term text_pattern_ops);
CREATE TABLE IF NOT EXISTS punkt_len (
    punkt bigint PRIMARY KEY REFERENCES punkter(id) ON DELETE CASCADE, len integer NOT NULL
);
CREATE TABLE IF NOT EXISTS themes (
    punkt bigint NOT NULL REFERENCES punkter(id) ON DELETE CASCADE, key text NOT NULL, label text NOT NULL,
    score real NOT NULL
);
CREATE INDEX IF NOT EXISTS themes_punkt ON themes(punkt);
CREATE INDEX IF NOT EXISTS themes_key ON themes(key, punkt);
CREATE TABLE IF NOT EXISTS entities (
    punkt bigint NOT NULL REFERENCES punkter(id) ON DELETE CASCADE, label text NOT NULL, canonical text NOT NULL,
    confidence real NOT NULL, shown boolean NOT NULL DEFAULT true  -- only shown entities are published
);
CREATE INDEX IF NOT EXISTS entities_punkt ON entities(punkt);
CREATE INDEX IF NOT EXISTS entities_canonical ON entities(lower(canonical), label);
"""


#: Columns whose values ANALYZE must not copy into pg_statistic (its most common values and histogram
#: would keep an open punkt's words there after the punkt is closed and purged).
NO_STATISTICS = (
    ("passages", "text"),
    ("punkter", "title"),
    ("punkter", "decision"),
    ("punkt_terms", "term"),
    ("entities", "canonical"),
    ("themes", "label"),
)


HNSW_INDEX = (
    "CREATE INDEX IF NOT EXISTS passages_hnsw ON passages USING hnsw (embedding vector_ip_ops) "
    "WITH (m = 16, ef_construction = 100)"
)


def term_counts(terms: str) -> Counter:
    """A punkt's stored index terms as FTS5 counts them: term -> occurrences."""
    return Counter(t.lower() for t in _TOKEN.findall(terms))


@dataclass
class PublishReport:
    added: int = 0  # punkter written
    removed: int = 0  # punkter deleted (changed or gone)
    purged: int = 0  # of those, open punkter that are closed now: their tables were rewritten
    passages: int = 0

    def to_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed, "purged": self.purged, "passages": self.passages}


def connect(url: str, **kwargs):
    """A psycopg connection with pgvector's types; a clear error when the server does not answer."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:
        raise PgStoreError("PostgreSQL-motoren kræver: pip install -e '.[postgres]'") from exc
    try:
        conn = psycopg.connect(url, **kwargs)
    except psycopg.OperationalError as exc:
        detail = " ".join(str(exc).split())[:300]
        raise PgStoreError(f"PostgreSQL svarer ikke på {_safe(url)}: {detail}") from exc
    try:
        register_vector(conn)
    except psycopg.ProgrammingError as exc:  # the extension is not there yet
        conn.close()
        raise PgStoreError(f"{_safe(url)}: pgvector mangler (CREATE EXTENSION vector)") from exc
    return conn


def _safe(url: str) -> str:
    """A connection string without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def is_postgres(store: str | None) -> bool:
    return bool(store) and str(store).startswith(("postgresql://", "postgres://"))


def _sqlite_dim(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT length(vector) FROM passages WHERE vector IS NOT NULL LIMIT 1").fetchone()
    return int(row[0]) // 4 if row and row[0] else DEFAULT_DIM


#: The schema's version (meta `schema`): 2 keeps each punkt's length beside its term rows, so that
#: BM25 joins nothing (at 1,000,000 passages the join to `punkt_len` was one index lookup a posting,
#: ~300 of a common query's 775 ms: the term column keeps no statistics, so the planner cannot
#: know a term has 100,000 postings and loops); 3 carries tf and length in the term index itself, so
#: that BM25 reads a term's postings from the index alone, in order, where it fetched each from the
#: table (a term's rows lie among every punkt's: one table page a posting). Older stores are
#: brought up by `migrate`.
SCHEMA_VERSION = 3


def ensure_schema(conn, dim: int) -> None:
    """Create the tables once, or bring an older schema up to this one; a store made for another
    vector size is refused, not mixed."""
    import psycopg

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(2207)")  # two publishers never create it at once
        try:
            found = conn.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
        except psycopg.errors.UndefinedTable:
            found = None
    if found and int(found[0]) != dim:
        raise PgStoreError(f"PostgreSQL-arkivet har vektorer med {found[0]} dimensioner, lageret {dim}")
    if found:
        migrate(conn)
        return
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(2207)")
        conn.execute(schema(dim))
        conn.execute(HNSW_INDEX)
        for table, column in NO_STATISTICS:
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS 0")
        conn.execute("INSERT INTO meta VALUES ('dim', %s) ON CONFLICT (key) DO NOTHING", (str(dim),))
        conn.execute("INSERT INTO meta VALUES ('schema', %s) ON CONFLICT (key) DO NOTHING", (str(SCHEMA_VERSION),))


def schema_version(conn) -> int:
    """The version a store's tables have (1: made before versions were kept)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return int(row[0]) if row else 1


def migrate(conn) -> None:
    """Bring a store of an older schema up to `SCHEMA_VERSION`, in one transaction (readers see the
    old tables until it commits, then the new; rebuilding the term index holds them back meanwhile:
    3 s at 1,000,000 passages)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(2207)")
        version = schema_version(conn)
        if version >= SCHEMA_VERSION:
            return
        if version < 2:
            conn.execute("ALTER TABLE punkt_terms ADD COLUMN IF NOT EXISTS len integer")
            conn.execute("UPDATE punkt_terms t SET len = l.len FROM punkt_len l WHERE l.punkt = t.punkt")
            conn.execute("ALTER TABLE punkt_terms ALTER COLUMN len SET NOT NULL")
        if version < 3:
            conn.execute(
                "ALTER TABLE punkt_terms DROP CONSTRAINT punkt_terms_pkey, "
                "ADD CONSTRAINT punkt_terms_pkey PRIMARY KEY (term, punkt) INCLUDE (tf, len)"
            )
        conn.execute(
            "INSERT INTO meta VALUES ('schema', %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )


def _signatures(db: sqlite3.Connection) -> dict[int, str]:
    """punkt id -> slug, closed flag and passage ids: changes whenever the punkt is written again."""
    rows = db.execute(
        "SELECT p.id, p.slug, p.closed, MIN(s.id), COUNT(s.id) FROM punkter p "
        "LEFT JOIN passages s ON s.punkt = p.id GROUP BY p.id"
    )
    return {int(r[0]): f"{r[1]}|{int(r[2])}|{r[3]}:{r[4]}" for r in rows}


def publish(db: sqlite3.Connection, url: str, *, batch: int = 2000) -> PublishReport:
    """Bring the Postgres store at `url` (the primary) up to date with the SQLite store `db`."""
    report = PublishReport()
    dim = _sqlite_dim(db)
    # Writes go to the primary whatever the address prefers (a multi-host address for readers works too).
    with connect(url, autocommit=True, target_session_attrs="read-write") as conn:
        ensure_schema(conn, dim)
        db.execute("BEGIN")  # one consistent state of the source
        try:
            source = _signatures(db)
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(2208)")  # one publisher at a time
                there = {int(r[0]): (r[1], bool(r[2])) for r in conn.execute("SELECT id, sig, closed FROM punkter")}
                gone = [pid for pid, (sig, _) in there.items() if source.get(pid) != sig]
                # An open punkt that is closed now (under its id or, written again, under a new one): by its slug.
                closed_now = {r[0] for r in db.execute("SELECT slug FROM punkter WHERE closed")}
                purged = [pid for pid in gone if not there[pid][1] and _slug(there[pid][0]) in closed_now]
                new = [pid for pid, sig in source.items() if there.get(pid, (None,))[0] != sig]
                deleted_by = int(conn.execute("SELECT txid_current()").fetchone()[0])
                if gone:
                    conn.execute("DELETE FROM punkter WHERE id = ANY(%s)", (gone,))
                _copy_meetings(conn, db)
                # Many new rows: the graph is built once after the COPY (several times faster than row by
                # row); readers of this primary wait for that transaction, standbys keep the old state.
                rebuild = len(new) > max(1000, len(there) - len(gone))
                if rebuild:
                    conn.execute("DROP INDEX IF EXISTS passages_hnsw")
                for i in range(0, len(new), batch):
                    report.passages += _copy_punkter(conn, db, new[i : i + batch], source)
                if rebuild:
                    conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (settings.pg_build_memory,))
                    conn.execute(HNSW_INDEX)
                conn.execute(
                    "INSERT INTO meta VALUES ('published', now()::text) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                )
                if gone or new:  # the terms changed: readers' remembered document frequencies are stale
                    conn.execute(
                        "INSERT INTO meta VALUES ('lexical_version', txid_current()::text) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                    )
                # BM25's collection statistics, counted once per publish, not on every query (a
                # scan of every punkt's length at three million punkter).
                conn.execute(
                    "INSERT INTO meta SELECT 'bm25_stats', count(*)::float8::text || ' ' || "
                    "coalesce(avg(len), 0)::float8::text FROM punkt_len "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                )
        finally:
            db.execute("COMMIT")
        report.added, report.removed, report.purged = len(new), len(gone), len(purged)
        if purged:  # the old body must leave the files, here and (by replay) on the standbys
            _wait_for_horizon(conn, deleted_by)
            for table in CONTENT_TABLES:
                conn.execute(f"VACUUM (FULL, ANALYZE) {table}")
            conn.execute("VACUUM (FULL) pg_statistic")  # statistics from before the purge
            conn.execute("CHECKPOINT")
        elif len(gone) + len(new) > settings.pg_analyze_share * max(len(there), 1):
            conn.execute("VACUUM (ANALYZE) passages, punkt_terms, punkter")
    return report


def _wait_for_horizon(conn, txid: int, timeout: float = 60.0) -> None:
    """Until no transaction here or on a standby (hot_standby_feedback, replication slots) can still
    see rows deleted by `txid`: VACUUM FULL keeps rows someone may see, and a purge must not."""
    import time

    sql = (
        "SELECT min(x) FROM ("
        " SELECT age(backend_xmin) AS a, backend_xmin::text::bigint AS x FROM pg_stat_activity"
        "  WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()"
        " UNION ALL SELECT 0, backend_xmin::text::bigint FROM pg_stat_replication WHERE backend_xmin IS NOT NULL"
        " UNION ALL SELECT 0, xmin::text::bigint FROM pg_replication_slots WHERE xmin IS NOT NULL) h"
    )
    deadline = time.monotonic() + timeout
    current = txid % 2**32  # xmin columns are 32-bit transaction ids
    while True:
        oldest = conn.execute(sql).fetchone()[0]
        if oldest is None or oldest > current:
            return
        if time.monotonic() > deadline:
            raise PgStoreError(
                f"et lukket punkt kunne ikke fjernes helt: en transaktion (xmin {oldest}) ser stadig de slettede "
                "rækker; afslut den og kør `referat db publish` igen"
            )
        time.sleep(0.2)


def _slug(sig: str) -> str:
    return sig.split("|", 1)[0]


def _copy_meetings(conn, db: sqlite3.Connection) -> None:
    """Meetings are few: every one is upserted, and one the source no longer has is deleted."""
    rows = db.execute("SELECT id, slug, municipality, committee, date, time, name, source_url FROM meetings").fetchall()
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS meetings_in (LIKE meetings) ON COMMIT DROP")
    with conn.cursor().copy("COPY meetings_in FROM STDIN") as copy:
        for r in rows:
            copy.write_row(tuple(r))
    conn.execute(
        "INSERT INTO meetings SELECT * FROM meetings_in ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, "
        "municipality = excluded.municipality, committee = excluded.committee, date = excluded.date, "
        "time = excluded.time, name = excluded.name, source_url = excluded.source_url"
    )
    conn.execute("DELETE FROM meetings m WHERE NOT EXISTS (SELECT 1 FROM meetings_in i WHERE i.id = m.id)")


def _copy_punkter(conn, db: sqlite3.Connection, ids: list[int], signatures: dict[int, str]) -> int:
    """Write these punkter, their passages, terms, themes and entities with COPY; returns passages written."""
    from index.store import in_list

    marks = in_list(ids)
    punkter = db.execute(
        "SELECT id, slug, meeting, ordinal, number, title, case_type, journal_number, closed, decision, kle, "
        f"municipality, committee, date, has_decision, source_url FROM punkter WHERE id IN ({marks})"
    ).fetchall()
    closed = {int(r["id"]) for r in punkter if r["closed"]}
    cur = conn.cursor()
    with cur.copy("COPY punkter FROM STDIN") as copy:
        for r in punkter:
            shut = bool(r["closed"])
            copy.write_row(
                (
                    r["id"], r["slug"], r["meeting"], r["ordinal"], r["number"], r["title"], r["case_type"],
                    r["journal_number"], shut, None if shut else r["decision"], None if shut else r["kle"],
                    r["municipality"], r["committee"], r["date"], bool(r["has_decision"]) and not shut,
                    r["source_url"], signatures[int(r["id"])],
                )
            )  # fmt: skip
    written = 0
    sql = "COPY passages (id, punkt, ordinal, section, text, embedding) FROM STDIN WITH (FORMAT BINARY)"
    with cur.copy(sql) as copy:
        copy.set_types(["int8", "int8", "int4", "text", "text", "vector"])
        for r in db.execute(f"SELECT id, punkt, ordinal, section, text, vector FROM passages WHERE punkt IN ({marks})"):
            if int(r["punkt"]) in closed and r["section"] != "Titel":
                continue  # a closed punkt is its title only
            vector = np.frombuffer(r["vector"], dtype=np.float32) if r["vector"] is not None else None
            copy.write_row((r["id"], r["punkt"], r["ordinal"], r["section"], r["text"], vector))
            written += 1
    terms = db.execute(f"SELECT rowid, terms FROM punkt_terms WHERE rowid IN ({marks})").fetchall()
    # A closed punkt's terms are its title's (the SQLite side writes no more); kept as written.
    counts = {int(pid): term_counts(text) for pid, text in terms}  # each punkt's text counted once
    lengths = {pid: sum(c.values()) for pid, c in counts.items()}
    with cur.copy("COPY punkt_terms (term, punkt, tf, len) FROM STDIN") as copy:
        for pid, c in counts.items():
            for term, tf in c.items():
                copy.write_row((term, pid, tf, lengths[pid]))
    with cur.copy("COPY punkt_len (punkt, len) FROM STDIN") as copy:
        for pid, length in lengths.items():
            copy.write_row((pid, length))
    with cur.copy("COPY themes (punkt, key, label, score) FROM STDIN") as copy:
        for r in db.execute(f"SELECT punkt, key, label, score FROM themes WHERE punkt IN ({marks})"):
            if int(r[0]) not in closed:
                copy.write_row(tuple(r))
    with cur.copy("COPY entities (punkt, label, canonical, confidence) FROM STDIN") as copy:
        for r in db.execute(
            f"SELECT punkt, label, canonical, confidence FROM entities WHERE shown AND punkt IN ({marks})"
        ):
            if int(r[0]) not in closed:
                copy.write_row(tuple(r))
    return written
