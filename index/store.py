"""The SQLite store: the source of truth for documents, meetings, punkter, passages and tags.

Plain tables a journalist can open in Datasette or sqlite3 and take home. Rows are keyed by
integers (`id INTEGER PRIMARY KEY`); the readable ids users cite (`odense/…/2025-11-25/15`) are
the `slug` columns. Everything search needs lives here too: the passages with their vectors, the
filter columns of every punkt, and an FTS5 table of each punkt's Danish index terms. The vector
index is a view derived from the passages (`index.generations`); `index_log` records which
passages came and went, so that view can be brought up to date without a rebuild.

Writing is `index.writer`'s job (one transaction per document); this module owns the schema, the
connection and the reads that the API, web page, MCP and CLI show.

For the take-home (Datasette, sqlite3) the schema also keeps what a person reads, beside what
search reads: `punkt_text`, a full-text table over each punkt's title and text as written (the
search box finds "førtidspension"; `punkt_terms` holds stemmed, folded index terms), each
document's plain text beside its compressed content (`documents.content_text`), each meeting's
readable `name` and `source_url`, and plain views (`punkt_overview`, `tables_text`). Closed punkter
are their title only there as everywhere. Descriptions for Datasette: `index.datasette`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index.operational import translate
from nlp.dates import danish_date
from nlp.errors import NotFoundError, ReferatError
from nlp.settings import settings

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS meetings (
    id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE,
    municipality TEXT NOT NULL, committee TEXT NOT NULL, date TEXT NOT NULL, time TEXT,
    place TEXT, period TEXT, source_id TEXT, absent TEXT NOT NULL DEFAULT '[]',
    name TEXT, source_url TEXT
);
CREATE INDEX IF NOT EXISTS meetings_when ON meetings(municipality, committee, date);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL,
    meeting INTEGER NOT NULL REFERENCES meetings(id), kind TEXT NOT NULL, source_format TEXT,
    punkter INTEGER NOT NULL, seq INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 0,
    enrich_version TEXT, ingested_at TEXT DEFAULT CURRENT_TIMESTAMP,
    content BLOB NOT NULL,  -- the parsed meeting (zlib JSON); closed punkter hold their title only
    content_text TEXT  -- the same as plain text, for a person reading the file
);
CREATE INDEX IF NOT EXISTS documents_meeting ON documents(meeting);
CREATE TABLE IF NOT EXISTS participants (
    meeting INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    name TEXT NOT NULL, absent INTEGER NOT NULL, role TEXT
);
CREATE INDEX IF NOT EXISTS participants_meeting ON participants(meeting);
CREATE TABLE IF NOT EXISTS punkter (
    id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE,
    meeting INTEGER NOT NULL REFERENCES meetings(id), document INTEGER NOT NULL REFERENCES documents(id),
    ordinal INTEGER NOT NULL, number INTEGER NOT NULL, title TEXT NOT NULL, case_type TEXT,
    journal_number TEXT, journal_facet TEXT, journal_serial TEXT, journal_year TEXT,
    closed INTEGER NOT NULL, decision TEXT, absent TEXT NOT NULL DEFAULT '[]',
    absence_notes TEXT NOT NULL DEFAULT '[]', kle TEXT, kle_detail TEXT NOT NULL DEFAULT '{}',
    municipality TEXT NOT NULL, committee TEXT NOT NULL, date TEXT NOT NULL, has_decision INTEGER NOT NULL,
    enrich_version TEXT, source_url TEXT
);
CREATE INDEX IF NOT EXISTS punkter_meeting ON punkter(meeting);
CREATE INDEX IF NOT EXISTS punkter_document ON punkter(document);
CREATE INDEX IF NOT EXISTS punkter_filter ON punkter(municipality, committee, date);
CREATE INDEX IF NOT EXISTS punkter_date ON punkter(date);
-- a municipality's punkter of one day: what a dated reference is resolved against (index/links.py)
CREATE INDEX IF NOT EXISTS punkter_place_date ON punkter(municipality, date);
CREATE INDEX IF NOT EXISTS punkter_journal ON punkter(municipality, journal_number);
CREATE INDEX IF NOT EXISTS punkter_kle ON punkter(kle);
CREATE TABLE IF NOT EXISTS sections (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, name TEXT NOT NULL, heading TEXT, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sections_punkt ON sections(punkt);
CREATE TABLE IF NOT EXISTS tables (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    section_ordinal INTEGER NOT NULL, ordinal INTEGER NOT NULL, rows TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tables_punkt ON tables(punkt);
CREATE TABLE IF NOT EXISTS attachments (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, title TEXT NOT NULL, url TEXT
);
CREATE INDEX IF NOT EXISTS attachments_punkt ON attachments(punkt);
CREATE TABLE IF NOT EXISTS entities (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    text TEXT NOT NULL, label TEXT NOT NULL, canonical TEXT NOT NULL, start INTEGER, "end" INTEGER,
    section TEXT, confidence REAL NOT NULL DEFAULT 1.0, evidence TEXT NOT NULL DEFAULT '', shown INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_punkt ON entities(punkt);
CREATE INDEX IF NOT EXISTS entities_canonical ON entities(canonical COLLATE NOCASE, label);
CREATE TABLE IF NOT EXISTS amounts (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    text TEXT NOT NULL, value REAL, unit TEXT, kind TEXT, what TEXT, start INTEGER, "end" INTEGER, section TEXT,
    confidence REAL NOT NULL DEFAULT 1.0, evidence TEXT NOT NULL DEFAULT '', context TEXT, shown INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS amounts_punkt ON amounts(punkt);
CREATE TABLE IF NOT EXISTS laws (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    text TEXT NOT NULL, law TEXT, paragraph TEXT, stk TEXT, start INTEGER, "end" INTEGER, section TEXT
);
CREATE INDEX IF NOT EXISTS laws_punkt ON laws(punkt);
CREATE TABLE IF NOT EXISTS themes (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    key TEXT NOT NULL, label TEXT NOT NULL, score REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS themes_punkt ON themes(punkt);
CREATE INDEX IF NOT EXISTS themes_key ON themes(key, punkt);
CREATE TABLE IF NOT EXISTS refs (  -- dates of earlier meetings a punkt's text refers to
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE, date TEXT NOT NULL, evidence TEXT
);
CREATE INDEX IF NOT EXISTS refs_punkt ON refs(punkt);
CREATE INDEX IF NOT EXISTS refs_date ON refs(date);
CREATE TABLE IF NOT EXISTS links (
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    target INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE, kind TEXT NOT NULL, evidence TEXT
);
CREATE INDEX IF NOT EXISTS links_punkt ON links(punkt);
CREATE INDEX IF NOT EXISTS links_target ON links(target);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the vector index keys its vectors by it
    punkt INTEGER NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL, vector BLOB
);
CREATE INDEX IF NOT EXISTS passages_punkt ON passages(punkt);
CREATE TABLE IF NOT EXISTS index_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, passage INTEGER NOT NULL, op TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS passages_added AFTER INSERT ON passages
    BEGIN INSERT INTO index_log(passage, op) VALUES (new.id, 'add'); END;
CREATE TRIGGER IF NOT EXISTS passages_removed AFTER DELETE ON passages
    BEGIN INSERT INTO index_log(passage, op) VALUES (old.id, 'del'); END;
CREATE VIRTUAL TABLE IF NOT EXISTS punkt_terms USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS punkt_vocab USING fts5vocab(punkt_terms, 'row');
CREATE TRIGGER IF NOT EXISTS punkter_removed AFTER DELETE ON punkter
    BEGIN DELETE FROM punkt_terms WHERE rowid = old.id; END;
-- Counts every change of the lexical index (its terms come and go with their punkt), so that a
-- searcher may keep the terms' document frequencies while it stands (`index.lexical.Vocabulary`).
CREATE TRIGGER IF NOT EXISTS punkter_lexical_added AFTER INSERT ON punkter
    BEGIN INSERT INTO meta VALUES ('lexical_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;
CREATE TRIGGER IF NOT EXISTS punkter_lexical_removed AFTER DELETE ON punkter
    BEGIN INSERT INTO meta VALUES ('lexical_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END;
-- Saved searches (`index.watches`): kept in the archive, so that a copied store carries them along.
CREATE TABLE IF NOT EXISTS watches (
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL,
    last_run TEXT
);
CREATE TABLE IF NOT EXISTS watch_seen (
    watch TEXT NOT NULL REFERENCES watches(name) ON DELETE CASCADE,
    punkt_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (watch, punkt_id)
);
"""

#: What a person reads (Datasette's search box, sqlite3): created after SCHEMA, so that an archive
#: written before these existed gets them, filled from what it holds (`Store._add_readable`).
READABLE = """
CREATE VIRTUAL TABLE IF NOT EXISTS punkt_text USING fts5(
    title, text, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS punkter_removed_text AFTER DELETE ON punkter
    BEGIN DELETE FROM punkt_text WHERE rowid = old.id; END;
CREATE VIEW IF NOT EXISTS punkt_overview AS
    SELECT p.id, p.slug, m.name AS meeting, p.municipality, p.committee, p.date, p.number, p.title, p.case_type,
           p.journal_number, p.kle, p.closed, p.decision,
           (SELECT group_concat(key, ' ') FROM themes t WHERE t.punkt = p.id) AS themes,
           t.text, p.source_url
    FROM punkter p JOIN meetings m ON m.id = p.meeting LEFT JOIN punkt_text t ON t.rowid = p.id;
CREATE VIEW IF NOT EXISTS tables_text AS
    SELECT t.punkt, p.slug, t.section_ordinal, t.ordinal,
           (SELECT group_concat(line, char(10)) FROM (
               SELECT (SELECT group_concat(c.value, ' | ') FROM json_each(r.value) c) AS line
               FROM json_each(t.rows) r)) AS text
    FROM tables t JOIN punkter p ON p.id = t.punkt;
"""
#: Columns added after schema version 2 was first written: added in place to an older archive.
ADDED_COLUMNS = {
    "meetings": ("name TEXT", "source_url TEXT"),
    "punkter": ("source_url TEXT",),
    "documents": ("content_text TEXT",),
}


def meeting_name(committee: str, municipality: str, date: str, time: str | None = None) -> str:
    """A meeting as a person names it: `Social- og Handicapudvalget, Greve Kommune, 6. januar 2025`."""
    when = danish_date(date) + (f" kl. {time}" if time else "")
    return f"{committee}, {municipality} Kommune, {when}"


def punkt_plain_text(sections: list[dict], closed: bool) -> str:
    """A punkt's sections as plain text (headings as lines); a closed punkt has none."""
    if closed:
        return ""
    parts = []
    for s in sections:
        heading = s.get("heading") or s.get("name") or ""
        parts.append(f"{heading}\n{s.get('text') or ''}".strip())
    return "\n\n".join(p for p in parts if p)


def document_text(content: dict) -> str:
    """A stored document (`Meeting.to_dict()`) as plain text: the meeting, then each punkt's number,
    title and sections; a closed punkt is its title only."""
    head = meeting_name(content.get("committee", ""), content.get("municipality", ""), content.get("date", ""))
    lines = [f"{head} ({content.get('kind', '')})"]
    for p in content.get("punkter", []):
        closed = bool(p.get("closed"))
        lines.append(f"\n{p.get('number')}. {p.get('title', '')}" + (" (lukket)" if closed else ""))
        body = punkt_plain_text(p.get("sections", []), closed)
        if body:
            lines.append(body)
    return "\n".join(lines)


_SCHEMA_NAMES = set(re.findall(r"IF NOT EXISTS (\w+)", SCHEMA + READABLE))


def in_list(ids) -> str:
    """Integer ids as the inside of an SQL `IN (...)`: ints only, so nothing else reaches the SQL."""
    return ",".join(str(int(i)) for i in ids)


def read_meta(db: sqlite3.Connection, key: str) -> str | None:
    """One fact of the archive (`schema_version`, `embed_model`, `generation`, `purge_pending`)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def write_meta(db: sqlite3.Connection, key: str, value: str | None) -> None:
    """Set a fact of the archive, inside the caller's transaction; None removes it."""
    if value is None:
        db.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class StoreError(ReferatError):
    """The archive's SQLite file cannot be opened or written."""


class Store:
    """One SQLite file in WAL mode: many readers (one connection per thread), one writer at a time."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        if readonly:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self.db
            if self._has_meta(db):
                found = read_meta(db, "schema_version")
                if found and int(found) != SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: arkivet har skemaversion {found}, denne Referat bruger {SCHEMA_VERSION}; "
                        "indlæs filerne på ny i en ny hjemmemappe"
                    )
                if found and self._schema_complete(db):
                    return  # nothing to write: a reader opens a locked or read-only store too
            db.executescript(SCHEMA)  # idempotent: IF NOT EXISTS everywhere
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._add_readable(db)
        except (sqlite3.Error, OSError) as exc:
            raise translate(exc, self.path) or StoreError(
                f"{self.path}: arkivet kan ikke åbnes til skrivning ({exc})"
            ) from None

    @staticmethod
    def _schema_complete(db: sqlite3.Connection) -> bool:
        have = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if not _SCHEMA_NAMES <= have:
            return False
        for table, columns in ADDED_COLUMNS.items():
            present = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
            if any(column.split()[0] not in present for column in columns):
                return False
        return True

    @staticmethod
    def _add_readable(db: sqlite3.Connection) -> None:
        """Give an archive written before them the readable columns, table and views, filled from
        what it holds; a no-op on an archive that has them."""
        added = []
        for table, columns in ADDED_COLUMNS.items():
            have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column.split()[0] not in have:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
                    added.append(column)
        new_fts = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'punkt_text'").fetchone() is None
        db.executescript(READABLE)
        if not added and not new_fts:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            meetings = db.execute("SELECT id, committee, municipality, date, time FROM meetings WHERE name IS NULL")
            for r in meetings.fetchall():
                db.execute(
                    "UPDATE meetings SET name = ? WHERE id = ?",
                    (meeting_name(r["committee"], r["municipality"], r["date"], r["time"]), r["id"]),
                )
            for r in db.execute("SELECT id, content FROM documents WHERE content_text IS NULL").fetchall():
                text = document_text(json.loads(zlib.decompress(r["content"]).decode("utf-8")))
                db.execute("UPDATE documents SET content_text = ? WHERE id = ?", (text, r["id"]))
            if new_fts:
                for r in db.execute("SELECT id, title, closed FROM punkter").fetchall():
                    sections = db.execute(
                        "SELECT name, heading, text FROM sections WHERE punkt = ? ORDER BY ordinal", (r["id"],)
                    )
                    text = punkt_plain_text([dict(s) for s in sections], bool(r["closed"]))
                    db.execute(
                        "INSERT INTO punkt_text (rowid, title, text) VALUES (?,?,?)", (r["id"], r["title"], text)
                    )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _has_meta(db: sqlite3.Connection) -> bool:
        return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is not None

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.readonly:
                conn = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, timeout=settings.db_busy_timeout_s, check_same_thread=False
                )
            else:
                conn = sqlite3.connect(
                    self.path, timeout=settings.db_busy_timeout_s, check_same_thread=False, isolation_level=None
                )
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                # Deleted content is overwritten, not left in free pages: a punkt that turns closed
                # must not survive in the file (see `Store.purge_deleted`).
                conn.execute("PRAGMA secure_delete = ON")
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all or nothing. A full disk, a read-only file or another process's
        lock rolls it back and is raised as an `index.operational` error."""
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, self.path) or exc from None
        try:
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            self._rollback(db)
            if isinstance(exc, sqlite3.Error | OSError):
                raise translate(exc, self.path) or exc from None
            raise

    @staticmethod
    def _rollback(db: sqlite3.Connection) -> None:
        """Roll back what is open; SQLite has already rolled back after some errors (a full disk)."""
        if db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same state of the store."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def purge_deleted(self) -> None:
        """Make deleted text unrecoverable from the files: merge the FTS5 segments (a deleted
        row's terms otherwise stay until a merge) and checkpoint the WAL into the zeroed pages."""
        db = self.db
        db.execute("INSERT INTO punkt_terms(punkt_terms) VALUES ('optimize')")
        db.execute("INSERT INTO punkt_text(punkt_text) VALUES ('optimize')")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- small facts ------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        return read_meta(self.db, key)

    def document_hash(self, path: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM documents WHERE path = ?", (path,)).fetchone()
        return row["sha256"] if row else None

    def log_position(self) -> int:
        """How far the passage log has come: the state a vector index generation is built from."""
        row = self.db.execute("SELECT MAX(seq) FROM index_log").fetchone()
        return int(row[0] or 0)

    def resolve_punkt(self, slug: str) -> int:
        row = self.db.execute("SELECT id FROM punkter WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            raise NotFoundError(f"intet punkt med id '{slug}'")
        return int(row["id"])

    def resolve_meeting(self, slug: str) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM meetings WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            raise NotFoundError(f"intet møde med id '{slug}'")
        return row

    # -- reading ---------------------------------------------------------------------------

    def meetings(self) -> list[dict[str, Any]]:
        """Meetings that hold searchable punkter, newest first, with their documents."""
        rows = self.db.execute(
            "SELECT m.*, (SELECT COUNT(*) FROM punkter p WHERE p.meeting = m.id) AS punkter FROM meetings m "
            "WHERE EXISTS (SELECT 1 FROM documents d WHERE d.meeting = m.id) "
            "ORDER BY m.date DESC, m.time DESC, m.municipality, m.committee"
        ).fetchall()
        docs = self._documents_by_meeting()
        return [
            {
                "id": r["slug"],
                "name": r["name"],
                "municipality": r["municipality"],
                "committee": r["committee"],
                "date": r["date"],
                "time": r["time"],
                "source_url": r["source_url"],
                "punkter": r["punkter"],
                "documents": docs.get(r["id"], []),
            }
            for r in rows
        ]

    def _documents_by_meeting(self, meeting: int | None = None) -> dict[int, list[dict[str, Any]]]:
        sql = "SELECT id, meeting, path, sha256, kind, source_format, punkter, active, ingested_at FROM documents"
        rows = self.db.execute(
            sql + (" WHERE meeting = ?" if meeting else "") + " ORDER BY seq", ((meeting,) if meeting else ())
        )
        out: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(r["meeting"], []).append(
                {
                    "path": r["path"],
                    "sha256": r["sha256"],
                    "kind": r["kind"],
                    "format": r["source_format"],
                    "punkter": r["punkter"],
                    "searched": bool(r["active"]),
                    "ingested_at": r["ingested_at"],
                }
            )
        return out

    def meeting(self, slug: str) -> dict[str, Any]:
        row = self.resolve_meeting(slug)
        punkter = self.db.execute(
            "SELECT slug, number, title, case_type, closed, decision FROM punkter WHERE meeting = ? ORDER BY ordinal",
            (row["id"],),
        ).fetchall()
        participants = self.db.execute("SELECT name, absent FROM participants WHERE meeting = ?", (row["id"],))
        return {
            "id": row["slug"],
            "municipality": row["municipality"],
            "committee": row["committee"],
            "date": row["date"],
            "time": row["time"],
            "place": row["place"],
            "period": row["period"],
            "name": row["name"],
            "source_id": row["source_id"],
            "source_url": row["source_url"],  # the meeting's page on the publisher's site; None: unknown
            "absent": json.loads(row["absent"]),
            "participants": [{"name": p["name"], "absent": bool(p["absent"])} for p in participants],
            "documents": self._documents_by_meeting(row["id"]).get(row["id"], []),
            "punkter": [
                {
                    "id": p["slug"],
                    "number": p["number"],
                    "title": p["title"],
                    "case_type": p["case_type"],
                    "closed": bool(p["closed"]),
                    "decision": None if p["closed"] else p["decision"],
                }
                for p in punkter
            ],
        }

    def punkt(self, slug: str) -> dict[str, Any]:
        """A punkt in the shape of DESIGN.md's `referat show --json`."""
        db = self.db
        row = db.execute(
            "SELECT p.*, m.slug AS meeting_slug, m.time, m.name AS meeting_name, m.source_url AS meeting_url "
            "FROM punkter p JOIN meetings m ON m.id = p.meeting "
            "WHERE p.slug = ?",
            (slug,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"intet punkt med id '{slug}'")
        pid = row["id"]
        closed = bool(row["closed"])

        def rows(sql: str) -> list[dict[str, Any]]:
            return [dict(r) for r in db.execute(sql, (pid,))] if not closed else []

        sections = rows("SELECT name, heading, text, ordinal FROM sections WHERE punkt = ? ORDER BY ordinal")
        tables = rows("SELECT section_ordinal, rows FROM tables WHERE punkt = ? ORDER BY section_ordinal, ordinal")
        for section in sections:
            section["tables"] = [json.loads(t["rows"]) for t in tables if t["section_ordinal"] == section["ordinal"]]
            del section["ordinal"]
        links = rows(
            "SELECT t.slug AS target_id, l.kind, l.evidence, t.title, t.number, t.date, t.committee, t.municipality "
            "FROM links l JOIN punkter t ON t.id = l.target WHERE l.punkt = ? ORDER BY t.date, t.id"
        )
        entity_cols = 'text, label, canonical, start, "end", section, confidence, evidence'
        amount_cols = 'text, value, unit, kind, what, start, "end", section, confidence, evidence, context'
        return {
            "id": row["slug"],
            "number": row["number"],
            "title": row["title"],
            "case_type": row["case_type"],
            "journal_number": row["journal_number"],
            "closed": closed,
            "source_url": row["source_url"],  # the punkt's page on the publisher's site; None: unknown
            "meeting": {
                "id": row["meeting_slug"],
                "name": row["meeting_name"],
                "municipality": row["municipality"],
                "committee": row["committee"],
                "date": row["date"],
                "time": row["time"],
                "source_url": row["meeting_url"],
            },
            "sections": sections,
            "decision": None if closed else row["decision"],
            "absent": json.loads(row["absent"]),
            "absence_notes": json.loads(row["absence_notes"]),
            "attachments": rows("SELECT title, url FROM attachments WHERE punkt = ? ORDER BY ordinal"),
            "entities": rows(f"SELECT {entity_cols} FROM entities WHERE punkt = ? AND shown ORDER BY section, start"),
            "entity_candidates": rows(
                f"SELECT {entity_cols} FROM entities WHERE punkt = ? AND NOT shown ORDER BY section, start"
            ),
            "amounts": rows(f"SELECT {amount_cols} FROM amounts WHERE punkt = ? AND shown ORDER BY section, start"),
            "amount_candidates": rows(
                f"SELECT {amount_cols} FROM amounts WHERE punkt = ? AND NOT shown ORDER BY section, start"
            ),
            "laws": rows('SELECT text, law, paragraph, stk, start, "end", section FROM laws WHERE punkt = ?'),
            "themes": rows("SELECT key, label, score FROM themes WHERE punkt = ? ORDER BY score DESC"),
            "kle": json.loads(row["kle_detail"]) if not closed else {},
            "links": links,
            "enrich_version": row["enrich_version"],
        }

    def entity_counts(self, label: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql = (
            "SELECT label, canonical, COUNT(DISTINCT punkt) AS punkter, COUNT(*) AS mentions FROM entities "
            "WHERE shown "
            + ("AND label = ? " if label else "")
            + "GROUP BY label, canonical ORDER BY punkter DESC, mentions DESC, canonical LIMIT ?"
        )
        params: tuple = (label, limit) if label else (limit,)
        return [dict(r) for r in self.db.execute(sql, params)]

    def theme_counts(self) -> dict[str, int]:
        return {r["key"]: r["n"] for r in self.db.execute("SELECT key, COUNT(*) AS n FROM themes GROUP BY key")}

    def overview(self) -> dict[str, Any]:
        db = self.db
        return {
            "meetings": db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0],
            "punkter": db.execute("SELECT COUNT(*) FROM punkter").fetchone()[0],
            "documents": db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
            "committees": [
                dict(r)
                for r in db.execute(
                    "SELECT municipality, committee, COUNT(*) AS meetings, MIN(date) AS first, MAX(date) AS last "
                    "FROM meetings GROUP BY municipality, committee ORDER BY municipality, committee"
                )
            ],
        }
