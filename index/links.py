"""Case histories: links between treatments of the same case, derived across the whole store.

Two kinds: punkter that share a journal or case number (`same_case`), and a punkt whose text
refers to an earlier meeting by date (`reference`), resolved to the punkt of that meeting whose
title shares most words with it.
"""

from __future__ import annotations

import re

from index.store import Store
from nlp.links import find_meeting_references

# Journal numbers of standing items (agenda approval, current matters) join unrelated punkter.
_STANDING = re.compile(
    r"godkendelse af dagsorden|aktuelle sager|underskriftsark|orientering fra|huskeliste|mødekalender", re.I
)


def _words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-zæøå]{4,}", title.lower())}


def compute_links(store: Store) -> list[tuple[str, str, str, str]]:
    db = store.db
    rows = db.execute(
        "SELECT p.id, p.title, p.journal_number, p.closed, m.id AS meeting_id, m.date, m.committee, m.municipality "
        "FROM punkter p JOIN meetings m ON m.id = p.meeting_id"
    ).fetchall()
    links: list[tuple[str, str, str, str]] = []
    by_case: dict[tuple[str, str], list] = {}
    for r in rows:
        if r["journal_number"] and not _STANDING.search(r["title"]):
            by_case.setdefault((r["municipality"], r["journal_number"]), []).append(r)
    for (_, number), group in by_case.items():
        for a in group:
            for b in group:
                if a["id"] != b["id"]:
                    links.append((a["id"], b["id"], "same_case", f"samme journalnummer {number}"))
    by_meeting_date: dict[tuple[str, str], list] = {}
    for r in rows:
        by_meeting_date.setdefault((r["municipality"], r["date"]), []).append(r)
    for r in rows:
        if r["closed"]:
            continue
        text = "\n".join(s["text"] for s in store.sections_of(r["id"]))
        for ref in find_meeting_references(text, r["date"]):
            targets = by_meeting_date.get((r["municipality"], ref.date), [])
            if not targets:
                continue
            same_committee = [t for t in targets if t["committee"] == r["committee"]] or targets
            mine = _words(r["title"]) | _words(ref.evidence)
            best = max(same_committee, key=lambda t: len(mine & _words(t["title"])))
            if len(mine & _words(best["title"])) >= 1 and best["id"] != r["id"]:
                links.append((r["id"], best["id"], "reference", ref.evidence))
                links.append((best["id"], r["id"], "referenced_by", ref.evidence))
    return list(dict.fromkeys(links))
