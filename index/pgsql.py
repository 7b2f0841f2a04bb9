"""PostgreSQL under the shared search code: a connection that reads like sqlite3's, and the lexical
index's queries over the `punkt_terms` rows.

Kept apart from `index.pgsearch` (the store and the searcher) so that `index.lexical` and
`index.ranking`, which the searcher imports, can reach the PostgreSQL side without importing the
searcher back.
"""

from __future__ import annotations

import re

K1, B = 1.2, 0.75  # FTS5's bm25() constants


class Row(tuple):
    """A result row read by position or by column name, as sqlite3.Row is."""

    _names: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor):
    names = {c.name: i for i, c in enumerate(cursor.description or [])}
    cls = type("PgRow", (Row,), {"_names": names})
    return lambda values: cls(values)


_NOCASE = re.compile(r"((?:[\w.]+|'[^']*')(?: \|\| (?:[\w.]+|'[^']*'))*) = \? COLLATE NOCASE")


def translate_sql(sql: str) -> str:
    """The shared queries' SQLite spellings in PostgreSQL's."""
    sql = sql.replace("%", "%%")
    sql = _NOCASE.sub(r"lower(\1) = lower(?)", sql)
    sql = re.sub(r"\bgroup_concat\(", "string_agg(", sql)
    sql = sql.replace("p.has_decision = ?", "p.has_decision = (?)::int::boolean")
    return sql.replace("?", "%s")


class PgConnection:
    """What the shared search code calls on a connection: `execute(sql, params)` -> rows."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.published: str | None = None  # the publish the current snapshot sees (`PgSearchStore.snapshot`)

    def execute(self, sql: str, params=()):
        cur = self.conn.cursor(row_factory=_row_factory)
        cur.execute(translate_sql(sql), tuple(params) if params else None)
        return cur

    def native(self, sql: str, params=()):
        """A query written for PostgreSQL (`%s` placeholders), rows as `Row`."""
        cur = self.conn.cursor(row_factory=_row_factory)
        cur.execute(sql, params or None)
        return cur


def document_frequency(db: PgConnection, term: str) -> int:
    return int(db.native("SELECT count(*) FROM punkt_terms WHERE term = %s", (term,)).fetchone()[0])


def vocabulary_range(db: PgConnection, low: str, high: str, shortest: int, longest: int, limit: int | None) -> list:
    """Known terms in [low, high) of a length between shortest and longest, in term order."""
    sql = (
        "SELECT DISTINCT term FROM punkt_terms WHERE term >= %s AND term < %s AND length(term) BETWEEN %s AND %s "
        "ORDER BY term" + (" LIMIT %s" if limit else "")
    )
    params = (low, high, shortest, longest, *((limit,) if limit else ()))
    return [r[0] for r in db.native(sql, params)]


def collection_size(db: PgConnection) -> int:
    """The number of punkter BM25 counts: from the last publish (`bm25_stats`), else counted."""
    row = db.native("SELECT split_part(value, ' ', 1)::float8 FROM meta WHERE key = 'bm25_stats'").fetchone()
    if row is not None:
        return int(row[0])
    return int(db.native("SELECT count(*) FROM punkt_len").fetchone()[0])


def bm25(
    db: PgConnection,
    terms: list[str],
    where: str,
    params: list,
    limit: int,
    within: list[int] | None = None,
    df: list[int] | None = None,
) -> dict[int, float]:
    """BM25 per punkt as FTS5 computes it, over the punkter that pass the filter (`where` over `p`)
    and, given `within`, are among those (`index.lexical.scores` says when).
    `df`, the terms' document frequencies in this snapshot as the query's vocabulary has them, spares
    counting every posting of each term once more (a common term's list is the bulk of the work);
    without it they are counted here. Each posting carries its punkt's length (`punkt_terms.len`):
    no join. The collection's size and mean length come from the last publish (`bm25_stats`),
    counted here only for a store published before they were kept."""
    join = f"JOIN punkter p ON p.id = t.punkt AND {translate_sql(where)}" if where else ""
    among = " AND t.punkt = ANY(%s)" if within is not None else ""
    if df is None:
        df_sql, df_params = (
            "SELECT term, count(*)::float8 AS hits FROM punkt_terms WHERE term = ANY(%s) GROUP BY term",
            [terms],
        )
    else:  # a term no punkt holds has no postings to score: left out, as the count would leave it
        kept = [(t, n) for t, n in zip(terms, df, strict=True) if n > 0]
        df_sql = "SELECT * FROM unnest(%s::text[], %s::float8[]) AS d(term, hits)"
        df_params = [[t for t, _ in kept], [float(n) for _, n in kept]]
    sql = f"""
        WITH counted AS (SELECT value FROM meta WHERE key = 'bm25_stats'),
        stats AS (SELECT coalesce((SELECT split_part(value, ' ', 1)::float8 FROM counted),
                                  (SELECT count(*)::float8 FROM punkt_len)) AS n,
                         coalesce((SELECT split_part(value, ' ', 2)::float8 FROM counted),
                                  (SELECT coalesce(avg(len), 0)::float8 FROM punkt_len)) AS avgdl),
        df AS ({df_sql}),
        idf AS (SELECT term, CASE WHEN ln((n - hits + 0.5) / (hits + 0.5)) <= 0 THEN 1e-6
                                  ELSE ln((n - hits + 0.5) / (hits + 0.5)) END AS w FROM df, stats)
        SELECT t.punkt, sum(idf.w * (t.tf * {K1 + 1}) / (t.tf + {K1} * (1 - {B} + {B} * t.len / stats.avgdl))) AS s
        FROM punkt_terms t JOIN idf ON idf.term = t.term {join}
        CROSS JOIN stats
        WHERE t.term = ANY(%s){among}
        GROUP BY t.punkt ORDER BY s DESC, t.punkt LIMIT %s"""
    rows = db.native(sql, (*df_params, *(params or []), terms, *([list(within)] if within is not None else []), limit))
    return {int(r[0]): float(r[1]) for r in rows}


def holders(db: PgConnection, terms: list[str], candidates: list[int]) -> dict[str, set[int]]:
    """Which of the candidates hold each of the terms, asked once for all of a query's terms (a
    round trip a word was most of the coverage's time over PostgreSQL); a term none holds is absent."""
    out: dict[str, set[int]] = {}
    if terms and candidates:
        sql = "SELECT term, punkt FROM punkt_terms WHERE term = ANY(%s) AND punkt = ANY(%s)"
        rows = db.native(sql, (terms, candidates))
        for term, punkt in rows:
            out.setdefault(term, set()).add(int(punkt))
    return out
