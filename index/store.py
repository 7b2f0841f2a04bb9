"""The SQLite store: the source of truth for meetings, punkter, sections and their tags.

Plain tables a journalist can open in Datasette or sqlite3 and take home. Every write of a file
happens in one transaction, so a crash mid-ingest leaves the previous state. The search indexes
are derived from these tables and can always be rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nlp.enrichment import Enrichment
from nlp.errors import NotFoundError
from nlp.model import Meeting, Punkt

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, meeting_id TEXT, ingested_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS meetings (
    id TEXT PRIMARY KEY, municipality TEXT NOT NULL, committee TEXT NOT NULL, date TEXT NOT NULL,
    time TEXT, place TEXT, period TEXT, source_path TEXT, source_sha256 TEXT, source_format TEXT,
    absent TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS participants (
    meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    name TEXT NOT NULL, absent INTEGER NOT NULL, role TEXT
);
CREATE TABLE IF NOT EXISTS punkter (
    id TEXT PRIMARY KEY, meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, number INTEGER NOT NULL, title TEXT NOT NULL, case_type TEXT,
    journal_number TEXT, kle_number TEXT, journal_facet TEXT, journal_serial TEXT, journal_year TEXT,
    closed INTEGER NOT NULL, decision TEXT, absent TEXT NOT NULL DEFAULT '[]', absence_notes TEXT NOT NULL DEFAULT '[]',
    kle TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS punkter_meeting ON punkter(meeting_id);
CREATE INDEX IF NOT EXISTS punkter_journal ON punkter(journal_number);
CREATE TABLE IF NOT EXISTS sections (
    punkt_id TEXT NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, name TEXT NOT NULL, heading TEXT, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sections_punkt ON sections(punkt_id);
CREATE TABLE IF NOT EXISTS tables (
    punkt_id TEXT NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    section_ordinal INTEGER NOT NULL, ordinal INTEGER NOT NULL, rows TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attachments (
    punkt_id TEXT NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, title TEXT NOT NULL, url TEXT
);
CREATE TABLE IF NOT EXISTS entities (
    punkt_id TEXT NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    text TEXT NOT NULL, label TEXT NOT NULL, canonical TEXT NOT NULL, start INTEGER, "end" INTEGER, section TEXT
);
CREATE INDEX IF NOT EXISTS entities_canonical ON entities(label, canonical);
CREATE TABLE IF NOT EXISTS amounts (
    punkt_id TEXT NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    text TEXT NOT NULL, value REAL, unit TEXT, kind TEXT, what TEXT, start INTEGER, "end" INTEGER, section TEXT
);
CREATE TABLE IF NOT EXISTS laws (
    punkt_id TEXT NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    text TEXT NOT NULL, law TEXT, paragraph TEXT, stk TEXT, start INTEGER, "end" INTEGER, section TEXT
);
CREATE TABLE IF NOT EXISTS themes (
    punkt_id TEXT NOT NULL REFERENCES punkter(id) ON DELETE CASCADE,
    key TEXT NOT NULL, label TEXT NOT NULL, score REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS themes_key ON themes(key);
CREATE TABLE IF NOT EXISTS links (
    punkt_id TEXT NOT NULL, target_id TEXT NOT NULL, kind TEXT NOT NULL, evidence TEXT
);
CREATE INDEX IF NOT EXISTS links_punkt ON links(punkt_id);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, text_sha TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, text_sha)
);
"""

_TAG_TABLES = {
    "entities": ("text", "label", "canonical", "start", "end", "section"),
    "amounts": ("text", "value", "unit", "kind", "what", "start", "end", "section"),
    "laws": ("text", "law", "paragraph", "stk", "start", "end", "section"),
    "themes": ("key", "label", "score"),
}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """One SQLite file. Thread-safe for the API's readers: one connection per thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self.transaction() as db:
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ---------------------------------------------------------------------------

    def file_hash(self, path: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM files WHERE path = ?", (path,)).fetchone()
        return row["sha256"] if row else None

    def generation(self) -> int:
        """A counter bumped by every write, so that derived indexes know when they are stale."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row["value"]) if row else 0

    def save_meeting(self, meeting: Meeting, enrichments: dict[int, Enrichment], *, path: str, sha256: str) -> None:
        """Replace whatever this file or this meeting held before, in one transaction."""
        with self.transaction() as db:
            old = db.execute("SELECT meeting_id FROM files WHERE path = ?", (path,)).fetchone()
            if old and old["meeting_id"] and old["meeting_id"] != meeting.id:
                self._delete_meeting(db, old["meeting_id"])
            self._delete_meeting(db, meeting.id)
            db.execute(
                "INSERT INTO meetings VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    meeting.id,
                    meeting.municipality,
                    meeting.committee,
                    meeting.date,
                    meeting.time,
                    meeting.place,
                    meeting.period,
                    path,
                    sha256,
                    meeting.source_format,
                    json.dumps(meeting.absent),
                ),
            )
            db.executemany(
                "INSERT INTO participants VALUES (?,?,?,?)",
                [(meeting.id, p.name, int(p.absent), p.role) for p in meeting.participants],
            )
            for ordinal, punkt in enumerate(meeting.punkter):
                self._insert_punkt(db, meeting, punkt, ordinal, enrichments.get(punkt.number))
            db.execute(
                "INSERT OR REPLACE INTO files(path, sha256, meeting_id) VALUES (?,?,?)", (path, sha256, meeting.id)
            )
            self._bump(db)

    def _insert_punkt(
        self, db: sqlite3.Connection, meeting: Meeting, punkt: Punkt, ordinal: int, tags: Enrichment | None
    ) -> None:
        pid = meeting.punkt_id(punkt)
        journal = punkt.journal
        closed = punkt.closed
        db.execute(
            "INSERT INTO punkter VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                pid,
                meeting.id,
                ordinal,
                punkt.number,
                punkt.title,
                punkt.case_type,
                journal.raw if journal else None,
                journal.kle if journal else None,
                journal.facet if journal else None,
                journal.serial if journal else None,
                journal.year if journal else None,
                int(closed),
                None if closed else punkt.decision,
                json.dumps([] if closed else punkt.absent),
                json.dumps([] if closed else punkt.absence_notes),
                json.dumps(tags.kle if tags and not closed else {}),
            ),
        )
        if closed:  # a closed punkt is stored with its title only
            return
        for s_ord, section in enumerate(punkt.sections):
            db.execute(
                "INSERT INTO sections VALUES (?,?,?,?,?)", (pid, s_ord, section.name, section.heading, section.text)
            )
            db.executemany(
                "INSERT INTO tables VALUES (?,?,?,?)",
                [(pid, s_ord, t_ord, json.dumps(t.rows, ensure_ascii=False)) for t_ord, t in enumerate(section.tables)],
            )
        db.executemany(
            "INSERT INTO attachments VALUES (?,?,?,?)",
            [(pid, i, a.title, a.url) for i, a in enumerate(punkt.attachments)],
        )
        if tags is None:
            return
        for table, columns in _TAG_TABLES.items():
            rows = [item if isinstance(item, dict) else asdict(item) for item in getattr(tags, table)]
            quoted = ", ".join(f'"{c}"' for c in columns)
            db.executemany(
                f"INSERT INTO {table} (punkt_id, {quoted}) VALUES (?, {', '.join('?' * len(columns))})",
                [(pid, *(row.get(c) for c in columns)) for row in rows],
            )

    def _delete_meeting(self, db: sqlite3.Connection, meeting_id: str) -> None:
        db.execute("DELETE FROM links WHERE punkt_id IN (SELECT id FROM punkter WHERE meeting_id = ?)", (meeting_id,))
        db.execute("DELETE FROM meetings WHERE id = ?", (meeting_id,))
        db.execute("UPDATE files SET meeting_id = NULL WHERE meeting_id = ?", (meeting_id,))

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def replace_links(self, links: list[tuple[str, str, str, str]]) -> None:
        """Links are derived across meetings, so they are recomputed as a whole."""
        with self.transaction() as db:
            db.execute("DELETE FROM links")
            db.executemany("INSERT INTO links VALUES (?,?,?,?)", links)

    # -- embeddings cache ------------------------------------------------------------------

    def cached_vectors(self, model: str, shas: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for i in range(0, len(shas), 500):
            chunk = shas[i : i + 500]
            rows = self.db.execute(
                "SELECT text_sha, vector FROM embeddings WHERE model = ? "
                f"AND text_sha IN ({','.join('?' * len(chunk))})",
                (model, *chunk),
            )
            found.update((r["text_sha"], r["vector"]) for r in rows)
        return found

    def cache_vectors(self, model: str, items: list[tuple[str, bytes]]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?,?,?)", [(model, s, v) for s, v in items])

    # -- reading ---------------------------------------------------------------------------

    def meetings(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT m.*, (SELECT COUNT(*) FROM punkter p WHERE p.meeting_id = m.id) AS punkter "
            "FROM meetings m ORDER BY m.date DESC, m.municipality, m.committee"
        ).fetchall()
        return [self._meeting_summary(r) for r in rows]

    @staticmethod
    def _meeting_summary(row: sqlite3.Row) -> dict[str, Any]:
        return {
            "id": row["id"],
            "municipality": row["municipality"],
            "committee": row["committee"],
            "date": row["date"],
            "punkter": row["punkter"],
        }

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"intet møde med id '{meeting_id}'")
        punkter = self.db.execute(
            "SELECT id, number, title, case_type, closed, decision FROM punkter WHERE meeting_id = ? ORDER BY ordinal",
            (meeting_id,),
        ).fetchall()
        participants = self.db.execute(
            "SELECT name, absent FROM participants WHERE meeting_id = ?", (meeting_id,)
        ).fetchall()
        return {
            "id": row["id"],
            "municipality": row["municipality"],
            "committee": row["committee"],
            "date": row["date"],
            "time": row["time"],
            "place": row["place"],
            "period": row["period"],
            "source_format": row["source_format"],
            "absent": json.loads(row["absent"]),
            "participants": [{"name": p["name"], "absent": bool(p["absent"])} for p in participants],
            "punkter": [
                {
                    "id": p["id"],
                    "number": p["number"],
                    "title": p["title"],
                    "case_type": p["case_type"],
                    "closed": bool(p["closed"]),
                    "decision": None if p["closed"] else p["decision"],
                }
                for p in punkter
            ],
        }

    def punkt_ids(self) -> list[str]:
        return [r["id"] for r in self.db.execute("SELECT id FROM punkter ORDER BY meeting_id, ordinal")]

    def punkt(self, punkt_id: str) -> dict[str, Any]:
        """A punkt in the shape of DESIGN.md's `referat show --json`."""
        db = self.db
        row = db.execute(
            "SELECT p.*, m.municipality, m.committee, m.date FROM punkter p JOIN meetings m ON m.id = p.meeting_id "
            "WHERE p.id = ?",
            (punkt_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"intet punkt med id '{punkt_id}'")
        closed = bool(row["closed"])

        def rows(sql: str) -> list[dict[str, Any]]:
            return [dict(r) for r in db.execute(sql, (punkt_id,))] if not closed else []

        sections = rows("SELECT name, heading, text, ordinal FROM sections WHERE punkt_id = ? ORDER BY ordinal")
        tables = rows("SELECT section_ordinal, rows FROM tables WHERE punkt_id = ? ORDER BY section_ordinal, ordinal")
        for section in sections:
            section["tables"] = [json.loads(t["rows"]) for t in tables if t["section_ordinal"] == section["ordinal"]]
            del section["ordinal"]
        links = [
            dict(r)
            for r in db.execute(
                "SELECT l.target_id, l.kind, l.evidence, p.title, p.number, m.date, m.committee, m.municipality "
                "FROM links l JOIN punkter p ON p.id = l.target_id JOIN meetings m ON m.id = p.meeting_id "
                "WHERE l.punkt_id = ? ORDER BY m.date",
                (punkt_id,),
            )
        ]
        return {
            "id": row["id"],
            "number": row["number"],
            "title": row["title"],
            "case_type": row["case_type"],
            "journal_number": row["journal_number"],
            "closed": closed,
            "meeting": {
                "id": row["meeting_id"],
                "municipality": row["municipality"],
                "committee": row["committee"],
                "date": row["date"],
            },
            "sections": sections,
            "decision": None if closed else row["decision"],
            "absent": json.loads(row["absent"]),
            "absence_notes": json.loads(row["absence_notes"]),
            "attachments": rows("SELECT title, url FROM attachments WHERE punkt_id = ? ORDER BY ordinal"),
            "entities": rows(
                'SELECT text, label, canonical, start, "end", section FROM entities '
                "WHERE punkt_id = ? ORDER BY section, start"
            ),
            "amounts": rows(
                'SELECT text, value, unit, kind, what, start, "end", section FROM amounts '
                "WHERE punkt_id = ? ORDER BY section, start"
            ),
            "laws": rows('SELECT text, law, paragraph, stk, start, "end", section FROM laws WHERE punkt_id = ?'),
            "themes": rows("SELECT key, label, score FROM themes WHERE punkt_id = ? ORDER BY score DESC"),
            "kle": json.loads(row["kle"]) if not closed else {},
            "links": links if not closed else [],
        }

    def all_punkter_for_index(self) -> Iterator[sqlite3.Row]:
        """Every punkt with its meeting fields, for building the search indexes."""
        yield from self.db.execute(
            "SELECT p.id, p.number, p.title, p.case_type, p.closed, p.decision, p.journal_number, p.kle_number, p.kle, "
            "m.id AS meeting_id, m.municipality, m.committee, m.date "
            "FROM punkter p JOIN meetings m ON m.id = p.meeting_id ORDER BY m.date, m.id, p.ordinal"
        )

    def sections_of(self, punkt_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT ordinal, name, heading, text FROM sections WHERE punkt_id = ? ORDER BY ordinal", (punkt_id,)
        ).fetchall()

    def tag_index(self) -> dict[str, dict[str, list]]:
        """Per punkt: its theme keys and entity canonicals, for filters and facets."""
        out: dict[str, dict[str, list]] = {}
        for r in self.db.execute("SELECT punkt_id, key FROM themes"):
            out.setdefault(r["punkt_id"], {}).setdefault("themes", []).append(r["key"])
        for r in self.db.execute("SELECT DISTINCT punkt_id, label, canonical FROM entities"):
            out.setdefault(r["punkt_id"], {}).setdefault("entities", []).append(f"{r['label']}:{r['canonical']}")
        return out

    def entity_counts(self, label: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql = (
            "SELECT label, canonical, COUNT(DISTINCT punkt_id) AS punkter, COUNT(*) AS mentions FROM entities "
            + ("WHERE label = ? " if label else "")
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
            "committees": [
                dict(r)
                for r in db.execute(
                    "SELECT municipality, committee, COUNT(*) AS meetings, MIN(date) AS first, MAX(date) AS last "
                    "FROM meetings GROUP BY municipality, committee ORDER BY municipality, committee"
                )
            ],
        }
