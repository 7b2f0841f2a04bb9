"""Writing documents into the store: which meeting a document belongs to, which of a meeting's
documents is searched, and the rows derived from what the pipeline handed over (punkter, passages,
tags, references: `nlp.enrichment`), the index terms and the links. The writer analyses nothing: it
stores each punkt's `Enrichment` (for a document re-derived without the NLP models, the
`nlp.enrichment.structure` alone) and indexes the stored text with the one Danish analyser.

The rules, so that nothing is lost and nothing silently replaced:
- a document is kept per source path with its content hash and its parsed content;
- a meeting is municipality + committee + date, told apart by the source's meeting id or the start
  time when a committee meets twice a day; its readable id is `<kommune>/<udvalg>/<dato>` and, when
  that is taken by another meeting, gets the start time (`…/2025-09-08-1730`) or a counter;
- what is searched for a meeting: its newest referat if it has one (whatever the order of ingest),
  else its newest dagsorden together with its tillæg; other documents stay stored, unsearched.
Everything a document changes happens in one transaction.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index import links
from index.ids import new_meeting_slug, punkt_slug
from index.store import Store, document_text, meeting_name, punkt_plain_text, read_meta, write_meta
from nlp.amounts import is_shown as amount_shown
from nlp.analysis import terms as index_terms
from nlp.closed import subject as closed_subject
from nlp.enrichment import Enrichment, structure
from nlp.entities import is_shown as entity_shown
from nlp.model import Meeting, Punkt, meeting_from_dict

log = logging.getLogger(__name__)


@dataclass
class Saved:
    meeting_id: str
    document_active: bool  # False: kept, but another document of the meeting is what is searched
    punkter: int


Enricher = Callable[[Meeting], dict[int, Enrichment]]


def pack(meeting: Meeting) -> bytes:
    return zlib.compress(json.dumps(meeting.to_dict(), ensure_ascii=False).encode("utf-8"), 6)


def unpack(blob: bytes) -> Meeting:
    return meeting_from_dict(json.loads(zlib.decompress(blob).decode("utf-8")))


def _find_meeting(db: sqlite3.Connection, meeting: Meeting) -> sqlite3.Row | None:
    rows = db.execute(
        "SELECT * FROM meetings WHERE municipality = ? AND committee = ? AND date = ? ORDER BY id",
        (meeting.municipality, meeting.committee, meeting.date),
    ).fetchall()
    for r in rows:
        if meeting.source_id and r["source_id"] == meeting.source_id:
            return r
    for r in rows:
        if meeting.time and r["time"] == meeting.time:
            return r
    if len(rows) == 1:
        only = rows[0]
        times_differ = meeting.time and only["time"] and meeting.time != only["time"]
        ids_differ = meeting.source_id and only["source_id"] and meeting.source_id != only["source_id"]
        if not times_differ and not ids_differ:
            return only
    return None


def _upsert_meeting(db: sqlite3.Connection, meeting: Meeting) -> tuple[int, str]:
    row = _find_meeting(db, meeting)
    if row is None:
        slug = new_meeting_slug(db, meeting)
        cur = db.execute(
            "INSERT INTO meetings (slug, municipality, committee, date, time, place, period, source_id, absent, "
            "name, source_url) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                slug,
                meeting.municipality,
                meeting.committee,
                meeting.date,
                meeting.time,
                meeting.place,
                meeting.period,
                meeting.source_id,
                json.dumps(meeting.absent, ensure_ascii=False),
                meeting_name(meeting.committee, meeting.municipality, meeting.date, meeting.time),
                meeting.source_url,
            ),
        )
        return int(cur.lastrowid), slug
    # Fill what an earlier document did not say (a time, a source id); never rename.
    db.execute(
        "UPDATE meetings SET time = COALESCE(time, ?), source_id = COALESCE(source_id, ?), "
        "place = COALESCE(place, ?), period = COALESCE(period, ?) WHERE id = ?",
        (meeting.time, meeting.source_id, meeting.place, meeting.period, row["id"]),
    )
    # The page of the main document (a referat after its dagsorden) wins; a tillæg's only fills a gap.
    url_sql = "COALESCE(source_url, ?)" if meeting.kind == "tillaeg" else "COALESCE(?, source_url)"
    db.execute(f"UPDATE meetings SET source_url = {url_sql} WHERE id = ?", (meeting.source_url, row["id"]))
    r = db.execute("SELECT committee, municipality, date, time FROM meetings WHERE id = ?", (row["id"],)).fetchone()
    name = meeting_name(r["committee"], r["municipality"], r["date"], r["time"])
    db.execute("UPDATE meetings SET name = ? WHERE id = ?", (name, row["id"]))
    return int(row["id"]), row["slug"]


def _active_documents(db: sqlite3.Connection, meeting_id: int) -> list[int]:
    """The documents whose punkter are searched: see the module docstring."""
    docs = db.execute("SELECT id, kind, seq FROM documents WHERE meeting = ? ORDER BY seq", (meeting_id,)).fetchall()
    referater = [d for d in docs if d["kind"] == "referat"]
    if referater:
        return [referater[-1]["id"]]
    dagsordener = [d for d in docs if d["kind"] == "dagsorden"]
    chosen = [dagsordener[-1]["id"]] if dagsordener else []
    return chosen + [d["id"] for d in docs if d["kind"] == "tillaeg"]


def save_document(
    store: Store,
    meeting: Meeting,
    enrichments: dict[int, Enrichment],
    *,
    path: str,
    sha256: str,
    enrich_version: str | None,
    enrich: Enricher | None = None,
    keep_order: bool = False,
) -> Saved:
    """Keep a document and re-derive what its meeting shows, in one transaction.

    `enrich` re-enriches another stored document that becomes searched again (rare: a document
    moved to another meeting); without it, such a document's punkter are stored unenriched and
    marked stale for `referat reindex --enrich`.
    """
    with store.transaction() as db:
        old = db.execute("SELECT id, meeting FROM documents WHERE path = ?", (path,)).fetchone()
        meeting_id, slug = _upsert_meeting(db, meeting)
        _close_across_documents(db, meeting_id, meeting, exclude=int(old["id"]) if old else None)
        seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM documents").fetchone()[0])
        if keep_order and old:  # re-enrichment: the document is no newer than it was
            seq = int(db.execute("SELECT seq FROM documents WHERE id = ?", (old["id"],)).fetchone()[0])
        content = meeting.to_dict()
        values = (
            sha256,
            meeting_id,
            meeting.kind,
            meeting.source_format,
            len(meeting.punkter),
            seq,
            pack(meeting),
            document_text(content),
        )
        pending_open: set[str] = set()
        if old:
            doc_id = int(old["id"])
            pending_open = {
                r[0] for r in db.execute("SELECT slug FROM punkter WHERE document = ? AND NOT closed", (doc_id,))
            }
            db.execute(
                "UPDATE documents SET sha256 = ?, meeting = ?, kind = ?, source_format = ?, punkter = ?, seq = ?, "
                "content = ?, content_text = ?, active = 0, enrich_version = NULL, ingested_at = CURRENT_TIMESTAMP "
                "WHERE id = ?",
                (*values, doc_id),
            )
            _drop_punkter(db, doc_id)
        else:
            cur = db.execute(
                "INSERT INTO documents (sha256, meeting, kind, source_format, punkter, seq, content, content_text, "
                "path) VALUES (?,?,?,?,?,?,?,?,?)",
                (*values, path),
            )
            doc_id = int(cur.lastrowid)
        touched = _rederive(
            db, meeting_id, slug, {doc_id: (meeting, enrichments, enrich_version)}, enrich, pending_open
        )
        if old and int(old["meeting"]) != meeting_id:  # the file now says another meeting: re-derive the old one
            old_slug = db.execute("SELECT slug FROM meetings WHERE id = ?", (old["meeting"],)).fetchone()["slug"]
            touched |= _rederive(db, int(old["meeting"]), old_slug, {}, enrich)
        links.recompute(db, links.affected(db, sorted(touched)))
        write_meta(db, "generation", str(int(read_meta(db, "generation") or 0) + 1))
        active = bool(db.execute("SELECT active FROM documents WHERE id = ?", (doc_id,)).fetchone()["active"])
        purge = read_meta(db, "purge_pending") is not None
    if purge:
        store.purge_deleted()
    return Saved(slug, active, len(meeting.punkter))


def _close_across_documents(db: sqlite3.Connection, meeting_id: int, meeting: Meeting, exclude: int | None) -> None:
    """A punkt closed in any document of a meeting is closed in all of them: the dagsorden kept
    beside the referat that closed punkt 2 must not keep punkt 2's body in its stored content. A
    punkt is the same punkt by its number or by its title without the marking."""
    others = [
        (int(r["id"]), unpack(r["content"]))
        for r in db.execute("SELECT id, content FROM documents WHERE meeting = ?", (meeting_id,))
        if int(r["id"]) != exclude
    ]
    documents = [meeting, *(m for _, m in others)]
    numbers = {p.number for m in documents for p in m.punkter if p.closed}
    subjects = {s for m in documents for p in m.punkter if p.closed and (s := closed_subject(p.title))}

    def close_matching(m: Meeting) -> bool:
        changed = False
        for p in m.punkter:
            if not p.closed and (p.number in numbers or closed_subject(p.title) in subjects):
                log.warning("punkt %s er lukket i et andet dokument af mødet; lukkes også her", p.number)
                p.close()
                changed = True
        return changed

    close_matching(meeting)
    for doc_id, other in others:
        if close_matching(other):
            db.execute(
                "UPDATE documents SET content = ?, content_text = ? WHERE id = ?",
                (pack(other), document_text(other.to_dict()), doc_id),
            )
            write_meta(db, "purge_pending", "1")


def _drop_punkter(db: sqlite3.Connection, doc_id: int) -> set[int]:
    gone = {r[0] for r in db.execute("SELECT id FROM punkter WHERE document = ?", (doc_id,))}
    if gone:
        db.execute("DELETE FROM punkter WHERE document = ?", (doc_id,))  # cascades to passages, tags, links
    return gone


def _rederive(
    db: sqlite3.Connection,
    meeting_id: int,
    slug: str,
    fresh: dict[int, tuple[Meeting, dict[int, Enrichment], str | None]],
    enrich: Enricher | None,
    pending_open: set[str] = frozenset(),
) -> set[int]:
    """Make the meeting's searched punkter those of its active documents. Returns new punkt ids."""
    wanted = _active_documents(db, meeting_id)
    current = {r[0] for r in db.execute("SELECT DISTINCT document FROM punkter WHERE meeting = ?", (meeting_id,))}
    was_open = {r[0] for r in db.execute("SELECT slug FROM punkter WHERE meeting = ? AND NOT closed", (meeting_id,))}
    was_open |= pending_open
    for doc_id in current - set(wanted):
        _drop_punkter(db, doc_id)
    db.execute("UPDATE documents SET active = 0 WHERE meeting = ?", (meeting_id,))
    db.executemany("UPDATE documents SET active = 1 WHERE id = ?", [(d,) for d in wanted])
    added: set[int] = set()
    for ordinal_base, doc_id in enumerate(wanted):
        if doc_id in current and doc_id not in fresh:
            continue
        if doc_id in fresh:
            meeting, enrichments, version = fresh[doc_id]
        else:
            row = db.execute("SELECT content FROM documents WHERE id = ?", (doc_id,)).fetchone()
            meeting = unpack(row["content"])
            enrichments = enrich(meeting) if enrich else structure(meeting)
            version = None
            if not enrich:
                log.warning("%s: dokument %d gemt uden NLP; kør 'referat reindex --enrich'", slug, doc_id)
        if meeting.kind != "tillaeg":  # the main document says who took part
            db.execute("DELETE FROM participants WHERE meeting = ?", (meeting_id,))
            db.executemany(
                "INSERT INTO participants VALUES (?,?,?,?)",
                [(meeting_id, p.name, int(p.absent), p.role) for p in meeting.participants],
            )
            db.execute(
                "UPDATE meetings SET absent = ? WHERE id = ?",
                (json.dumps(meeting.absent, ensure_ascii=False), meeting_id),
            )
        for ordinal, punkt in enumerate(meeting.punkter):
            this_slug = punkt_slug(slug, punkt.number)
            if punkt.closed and this_slug in was_open:  # its old open text must leave every file
                write_meta(db, "purge_pending", "1")
            clash = db.execute("SELECT id FROM punkter WHERE slug = ?", (this_slug,)).fetchone()
            if clash:  # a tillæg renumbered into a punkt of the main document: the later document wins
                log.warning("%s: punkt %s findes i to dokumenter; det senest indlæste vises", slug, punkt.number)
                db.execute("DELETE FROM punkter WHERE id = ?", (clash[0],))
            tags = enrichments[punkt.number]  # every punkt has one (`nlp.enrichment.structure` at least)
            added.add(
                _insert_punkt(
                    db, meeting_id, doc_id, this_slug, meeting, punkt, ordinal_base * 10_000 + ordinal, tags, version
                )
            )
        db.execute("UPDATE documents SET enrich_version = ? WHERE id = ?", (version if enrichments else None, doc_id))
    return added


def _insert_punkt(
    db: sqlite3.Connection,
    meeting_id: int,
    doc_id: int,
    slug: str,
    meeting: Meeting,
    punkt: Punkt,
    ordinal: int,
    tags: Enrichment,
    version: str | None,
) -> int:
    journal = punkt.journal
    closed = punkt.closed
    kle = ({} if closed else tags.kle) or {}
    decision = None if closed else punkt.decision
    cur = db.execute(
        "INSERT INTO punkter (slug, meeting, document, ordinal, number, title, case_type, journal_number, "
        "journal_facet, journal_serial, journal_year, closed, decision, absent, absence_notes, kle, kle_detail, "
        "municipality, committee, date, has_decision, enrich_version, source_url) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            slug,
            meeting_id,
            doc_id,
            ordinal,
            punkt.number,
            punkt.title,
            punkt.case_type,
            journal.raw if journal else None,
            journal.facet if journal else None,
            journal.serial if journal else None,
            journal.year if journal else None,
            int(closed),
            decision,
            json.dumps([] if closed else punkt.absent, ensure_ascii=False),
            json.dumps([] if closed else punkt.absence_notes, ensure_ascii=False),
            kle.get("number") or (journal.kle if journal else None),
            json.dumps(kle, ensure_ascii=False),
            meeting.municipality,
            meeting.committee,
            meeting.date,
            int(bool(decision)),
            version,
            punkt.source_url,
        ),
    )
    pid = int(cur.lastrowid)
    passages = list(tags.passages)
    vectors = tags.vectors
    if closed:  # a closed punkt is its title and nothing else, wherever it is stored
        keep = [i for i, p in enumerate(passages) if p.section == "Titel"][:1]
        passages = [passages[i] for i in keep]
        vectors = None if vectors is None else vectors[keep]
    db.executemany(
        "INSERT INTO passages (punkt, ordinal, section, text, vector) VALUES (?,?,?,?,?)",
        [
            (
                pid,
                i,
                p.section,
                p.text,
                None if vectors is None or i >= len(vectors) else np.asarray(vectors[i], dtype=np.float32).tobytes(),
            )
            for i, p in enumerate(passages)
        ],
    )
    body = [p.text for p in passages if p.section != "Titel"]
    db.execute(
        "INSERT INTO punkt_terms (rowid, terms) VALUES (?, ?)",
        (pid, " ".join(index_terms("\n".join([punkt.title, punkt.title, *body])))),
    )
    sections = [{"name": x.name, "heading": x.heading, "text": x.text} for x in punkt.sections]
    db.execute(
        "INSERT INTO punkt_text (rowid, title, text) VALUES (?, ?, ?)",
        (pid, punkt.title, punkt_plain_text(sections, closed)),  # a closed punkt: its title only
    )
    if closed:
        return pid
    for s_ord, section in enumerate(punkt.sections):
        db.execute("INSERT INTO sections VALUES (?,?,?,?,?)", (pid, s_ord, section.name, section.heading, section.text))
        db.executemany(
            "INSERT INTO tables VALUES (?,?,?,?)",
            [(pid, s_ord, t_ord, json.dumps(t.rows, ensure_ascii=False)) for t_ord, t in enumerate(section.tables)],
        )
    db.executemany(
        "INSERT INTO attachments VALUES (?,?,?,?)", [(pid, i, a.title, a.url) for i, a in enumerate(punkt.attachments)]
    )
    db.executemany("INSERT INTO refs VALUES (?,?,?)", [(pid, r.date, r.evidence) for r in tags.references])
    db.executemany(
        'INSERT INTO entities (punkt, text, label, canonical, start, "end", section, confidence, evidence, shown) '
        "VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (
                pid,
                e.text,
                e.label,
                e.canonical,
                e.start,
                e.end,
                e.section,
                e.confidence,
                e.evidence,
                int(entity_shown(e)),
            )
            for e in tags.entities
        ],
    )
    db.executemany(
        'INSERT INTO amounts (punkt, text, value, unit, kind, what, start, "end", section, confidence, evidence, '
        "context, shown) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                pid,
                a.text,
                a.value,
                a.unit,
                a.kind,
                a.what,
                a.start,
                a.end,
                a.section,
                a.confidence,
                a.evidence,
                a.context,
                int(amount_shown(a)),
            )
            for a in tags.amounts
        ],
    )
    db.executemany(
        'INSERT INTO laws (punkt, text, law, paragraph, stk, start, "end", section) VALUES (?,?,?,?,?,?,?,?)',
        [(pid, x.text, x.law, x.paragraph, x.stk, x.start, x.end, x.section) for x in tags.laws],
    )
    db.executemany(
        "INSERT INTO themes (punkt, key, label, score) VALUES (?,?,?,?)",
        [(pid, t["key"], t["label"], t["score"]) for t in tags.themes],
    )
    return pid
