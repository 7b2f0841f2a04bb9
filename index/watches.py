"""Saved searches ("watches"): a name, a query and filters, and the punkter already reported.

A journalist saves "hjemløse" for Odense once; `referat watch run` then prints only the punkter
that belong to the search's answer (its relevant hits, never the loosely related ones listed
below them) and that it has not reported before: an alert that fires on everything is switched
off. Kept in the archive's SQLite file, in tables of their own, so that a copied store carries its
watches along.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from index.search import Filters, validate_query
from nlp.errors import BadQueryError, NotFoundError

NAME = re.compile(r"^[\w][\w.-]{0,59}$")
#: Hits a run looks at: a saved search is a topic, not a whole archive.
RUN_LIMIT = 100


@dataclass
class Watch:
    name: str
    query: str
    filters: dict
    created: str
    last_run: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _filters_dict(filters: Filters | dict | None) -> dict:
    if filters is None:
        return {}
    if isinstance(filters, Filters):
        return filters.active()
    unknown = set(filters) - set(Filters().__dict__)
    if unknown:
        raise BadQueryError(f"ukendt filter: {', '.join(sorted(unknown))}")
    return {k: v for k, v in filters.items() if v not in (None, "")}


def add_watch(store, name: str, query: str, filters: Filters | dict | None = None) -> Watch:
    if not NAME.match(name or ""):
        raise BadQueryError(f"ugyldigt navn '{name}': brug bogstaver, tal, '-', '_' og '.' (højst 60 tegn)")
    query = validate_query(query)
    watch = Watch(name, query, _filters_dict(filters), _now())
    with store.transaction() as db:
        if db.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone():
            raise BadQueryError(f"en gemt søgning hedder allerede '{name}': vælg et andet navn eller slet den først")
        db.execute(
            "INSERT INTO watches (name, query, filters, created) VALUES (?, ?, ?, ?)",
            (name, query, json.dumps(watch.filters, ensure_ascii=False, sort_keys=True), watch.created),
        )
    return watch


def remove_watch(store, name: str) -> None:
    with store.transaction() as db:
        if not db.execute("DELETE FROM watches WHERE name = ?", (name,)).rowcount:
            raise NotFoundError(f"ingen gemt søgning hedder '{name}'")
        db.execute("DELETE FROM watch_seen WHERE watch = ?", (name,))


def list_watches(store) -> list[Watch]:
    rows = store.db.execute("SELECT name, query, filters, created, last_run FROM watches ORDER BY name").fetchall()
    return [Watch(r["name"], r["query"], json.loads(r["filters"]), r["created"], r["last_run"]) for r in rows]


def get_watch(store, name: str) -> Watch:
    for watch in list_watches(store):
        if watch.name == name:
            return watch
    raise NotFoundError(f"ingen gemt søgning hedder '{name}'")


def search_watch(archive, watch: Watch, limit: int = RUN_LIMIT):
    return archive.search(watch.query, limit=limit, filters=Filters(**watch.filters))


def run_watch(archive, name: str) -> list[dict]:
    """The relevant hits of a saved search that no earlier run returned, best first; they are then marked seen."""
    watch = get_watch(archive.store, name)
    hits = [h for h in search_watch(archive, watch).hits if h["relevant"]]
    now = _now()
    with archive.store.transaction() as db:
        seen = {r["punkt_id"] for r in db.execute("SELECT punkt_id FROM watch_seen WHERE watch = ?", (name,))}
        new = [h for h in hits if h["id"] not in seen]
        db.executemany(
            "INSERT OR IGNORE INTO watch_seen (watch, punkt_id, first_seen) VALUES (?, ?, ?)",
            [(name, h["id"], now) for h in new],
        )
        db.execute("UPDATE watches SET last_run = ? WHERE name = ?", (now, name))
    return new
