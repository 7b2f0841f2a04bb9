"""Case histories: links between treatments of the same case, kept up to date one meeting at a time.

Three kinds, stored as outgoing links of a punkt: `same_case` (the punkter share a journal or case
number), `reference` (its text refers to an earlier meeting by date, resolved to the punkt of that
meeting whose title shares most words with it) and `referenced_by` (the reverse). The dated
references themselves are facts of a punkt's text (`refs`, written with the punkt); links are
derived from them, so when a meeting comes or goes only the punkter it touches are recomputed.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

# Journal numbers of standing items (agenda approval, current matters) join unrelated punkter.
STANDING = re.compile(
    r"godkendelse af dagsorden|aktuelle sager|underskriftsark|orientering fra|huskeliste|mødekalender", re.I
)


@lru_cache(maxsize=50_000)
def _words(title: str) -> frozenset[str]:
    """A title's words of four letters or more; asked for the same titles over and over."""
    return frozenset(re.findall(r"[a-zæøå]{4,}", title.lower()))


def _placeholders(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


def affected(db: sqlite3.Connection, punkter: list[int]) -> set[int]:
    """The punkter whose links may change when `punkter` appear or disappear."""
    out = set(punkter)
    for i in range(0, len(punkter), 500):
        chunk = punkter[i : i + 500]
        marks = _placeholders(chunk)
        out.update(
            r[0]
            for r in db.execute(
                f"SELECT o.id FROM punkter p JOIN punkter o ON o.municipality = p.municipality "
                f"AND o.journal_number = p.journal_number WHERE p.id IN ({marks}) AND p.journal_number IS NOT NULL",
                chunk,
            )
        )
        out.update(
            r[0]
            for r in db.execute(
                f"SELECT r.punkt FROM punkter p JOIN refs r ON r.date = p.date WHERE p.id IN ({marks})", chunk
            )
        )
        out.update(
            r[0]
            for r in db.execute(
                f"SELECT t.id FROM refs r JOIN punkter p ON p.id = r.punkt JOIN punkter t ON t.date = r.date "
                f"AND t.municipality = p.municipality WHERE r.punkt IN ({marks})",
                chunk,
            )
        )
    return out


#: The punkter a dated reference may mean: read once per reference, so through an index
#: (`punkter_place_date`), not a scan of the municipality's punkter.
TARGETS = "SELECT id, title, committee FROM punkter WHERE municipality = ? AND date = ?"


def _reference_target(db: sqlite3.Connection, source: sqlite3.Row, date: str, evidence: str) -> int | None:
    """The punkt of the meeting on `date` that a reference from `source` most likely means."""
    targets = db.execute(TARGETS, (source["municipality"], date)).fetchall()
    same_committee = [t for t in targets if t["committee"] == source["committee"]] or targets
    if not same_committee:
        return None
    mine = _words(source["title"]) | _words(evidence)
    best = max(same_committee, key=lambda t: (len(mine & _words(t["title"])), -t["id"]))
    if len(mine & _words(best["title"])) >= 1 and best["id"] != source["id"]:
        return int(best["id"])
    return None


def recompute(db: sqlite3.Connection, punkter: set[int]) -> None:
    """Replace the outgoing links of `punkter` (inside the caller's transaction)."""
    ids = sorted(punkter)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        db.execute(f"DELETE FROM links WHERE punkt IN ({_placeholders(chunk)})", chunk)
    rows: list[tuple[int, int, str, str]] = []
    for pid in ids:
        me = db.execute(
            "SELECT id, title, journal_number, municipality, committee, date, closed FROM punkter WHERE id = ?", (pid,)
        ).fetchone()
        if me is None:
            continue
        if me["journal_number"] and not STANDING.search(me["title"]):
            for other in db.execute(
                "SELECT id, title FROM punkter WHERE municipality = ? AND journal_number = ? AND id != ?",
                (me["municipality"], me["journal_number"], pid),
            ):
                if not STANDING.search(other["title"]):
                    rows.append((pid, other["id"], "same_case", f"samme journalnummer {me['journal_number']}"))
        for ref in db.execute("SELECT date, evidence FROM refs WHERE punkt = ?", (pid,)):
            target = _reference_target(db, me, ref["date"], ref["evidence"])
            if target is not None:
                rows.append((pid, target, "reference", ref["evidence"]))
        for ref in db.execute(
            "SELECT p.id, p.title, p.municipality, p.committee, r.date, r.evidence FROM refs r "
            "JOIN punkter p ON p.id = r.punkt WHERE r.date = ? AND p.municipality = ?",
            (me["date"], me["municipality"]),
        ):
            if _reference_target(db, ref, ref["date"], ref["evidence"]) == pid:
                rows.append((pid, ref["id"], "referenced_by", ref["evidence"]))
    db.executemany("INSERT INTO links VALUES (?,?,?,?)", list(dict.fromkeys(rows)))
