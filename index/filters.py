"""Search filters, compiled once per query into SQL over the punkter's indexed filter columns.

The same compiled filter serves the lexical search (a join inside the FTS5 query) and the dense
search (a bitmap of allowed passage ids, `index.vectors.Allowed`), so both rank only what the
filter allows: filters before ranking.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import asdict, dataclass

import numpy as np

from nlp.errors import BadQueryError

CASE_TYPE = re.compile(r"^(?:[A-Ea-e]-sag|[Ll]ukket)$")
KLE = re.compile(r"^\d{2}(?:\.\d{2}){0,2}$")


#: Known values named in an error, at most this many (the archive may hold hundreds of KLE numbers).
MAX_KNOWN_LISTED = 40


class UnknownFilterValueError(BadQueryError):
    """A filter value the archive has never seen (a municipality, committee, theme or KLE number): it can
    match nothing, so it is refused with the values that exist (a 422; the CLI exits with status 2),
    never answered with an empty page that looks like "nothing found"."""

    def __init__(self, parameter: str, value: str, known: list[str]) -> None:
        self.parameter = parameter
        self.value = value
        self.known = known
        listed = ", ".join(known[:MAX_KNOWN_LISTED]) + (
            f" (og {len(known) - MAX_KNOWN_LISTED} flere)" if len(known) > MAX_KNOWN_LISTED else ""
        )
        where = "i taksonomien" if parameter == "theme" else "i arkivet"
        super().__init__(f"{parameter}: '{value[:60]}' findes ikke {where}; kendte værdier: {listed or 'ingen'}")


def _date(value: str, name: str) -> str:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadQueryError(f"{name}: '{value[:40]}' er ikke en dato; skriv ÅÅÅÅ-MM-DD, fx 2024-03-01") from None


@dataclass
class Filters:
    municipality: str | None = None
    committee: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    case_type: str | None = None
    theme: str | None = None
    kle: str | None = None
    entity: str | None = None
    has_decision: bool | None = None

    def __post_init__(self) -> None:
        self._validate()

    def active(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    def _validate(self) -> None:
        """Refuse values that cannot match anything because they are malformed (a 422, not an empty list):
        at construction, so every interface that makes a `Filters` has a valid one, and none validates it again."""
        if self.date_from:
            self.date_from = _date(self.date_from, "date_from")
        if self.date_to:
            self.date_to = _date(self.date_to, "date_to")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadQueryError(f"date_from ({self.date_from}) ligger efter date_to ({self.date_to})")
        if self.case_type and not CASE_TYPE.match(self.case_type):
            known = "A-sag, B-sag, C-sag, D-sag, E-sag eller Lukket"
            raise BadQueryError(f"case_type: '{self.case_type[:40]}' er ukendt; brug {known}")
        if self.kle and not KLE.match(self.kle):
            raise BadQueryError(f"kle: '{self.kle[:40]}' er ikke et KLE-nummer; skriv fx 27 eller 27.15")
        for name in ("municipality", "committee", "theme", "entity"):
            value = getattr(self, name)
            if value is not None and len(value) > 200:
                raise BadQueryError(f"{name} er for lang (højst 200 tegn)")

    def check_known(self, db: sqlite3.Connection) -> Filters:
        """Refuse a municipality, committee, theme or KLE number the archive does not hold
        (`UnknownFilterValueError`, listing what it holds). One indexed lookup per given value; the
        known values are read only for the error."""
        for name, column in (("municipality", "municipality"), ("committee", "committee")):
            value = getattr(self, name)
            if (
                value
                and db.execute(f"SELECT 1 FROM meetings WHERE {column} = ? COLLATE NOCASE LIMIT 1", (value,)).fetchone()
                is None
            ):
                known = [r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM meetings ORDER BY {column}")]
                raise UnknownFilterValueError(name, value, known)
        if self.theme:
            from nlp.themes import load_themes

            keys = [t.key for t in load_themes()]
            if self.theme not in keys:
                raise UnknownFilterValueError("theme", self.theme, keys)
        if self.kle:
            found = db.execute("SELECT 1 FROM punkter WHERE kle = ? OR kle LIKE ? LIMIT 1", (self.kle, self.kle + ".%"))
            if found.fetchone() is None:
                known = [
                    r[0] for r in db.execute("SELECT DISTINCT kle FROM punkter WHERE kle IS NOT NULL ORDER BY kle")
                ]
                raise UnknownFilterValueError("kle", self.kle, known)
        return self

    def keeps_meeting(self, meeting: dict) -> bool:
        """Whether a meeting (`Store.meetings()` row) passes the filter's meeting fields: the one
        definition for `/api/meetings`, MCP's `list_meetings` and `referat meetings`."""
        return (
            (not self.municipality or meeting["municipality"].lower() == self.municipality.lower())
            and (not self.committee or meeting["committee"].lower() == self.committee.lower())
            and (not self.date_from or meeting["date"] >= self.date_from)
            and (not self.date_to or meeting["date"] <= self.date_to)
        )

    def sql(self) -> tuple[str, list]:
        """A WHERE clause over `punkter p` and its parameters; ("", []) when nothing is filtered."""
        clauses: list[str] = []
        params: list = []
        if self.municipality:
            clauses.append("p.municipality = ? COLLATE NOCASE")
            params.append(self.municipality)
        if self.committee:
            clauses.append("p.committee = ? COLLATE NOCASE")
            params.append(self.committee)
        if self.date_from:
            clauses.append("p.date >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("p.date <= ?")
            params.append(self.date_to)
        if self.case_type:
            clauses.append("p.case_type = ? COLLATE NOCASE")
            params.append(self.case_type)
        if self.theme:
            clauses.append("EXISTS (SELECT 1 FROM themes t WHERE t.punkt = p.id AND t.key = ?)")
            params.append(self.theme)
        if self.kle:
            clauses.append("(p.kle = ? OR p.kle LIKE ?)")
            params += [self.kle, self.kle + ".%"]
        if self.entity:
            clauses.append(
                "EXISTS (SELECT 1 FROM entities e WHERE e.punkt = p.id AND e.shown AND "
                "(e.canonical = ? COLLATE NOCASE OR e.label || ':' || e.canonical = ? COLLATE NOCASE))"
            )
            params += [self.entity, self.entity]
        if self.has_decision is not None:
            clauses.append("p.has_decision = ?")
            params.append(int(self.has_decision))
        return " AND ".join(clauses), params

    def punkt_mask(self, db: sqlite3.Connection) -> np.ndarray | None:
        """Allowed punkt ids as a boolean array indexed by punkt id; None when nothing is filtered."""
        where, params = self.sql()
        if not where:
            return None
        top = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM punkter").fetchone()[0])
        mask = np.zeros(top + 1, dtype=bool)
        ids = [r[0] for r in db.execute(f"SELECT p.id FROM punkter p WHERE {where}", params)]
        mask[np.asarray(ids, dtype=np.int64)] = True
        return mask
