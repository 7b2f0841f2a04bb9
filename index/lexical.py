"""The lexical index: BM25 over each punkt's Danish index terms, in SQLite's FTS5.

The terms (`nlp.analysis`: stems, folded æøå, compound parts) are written with the punkt, in
the same transaction, so the lexical index is always exactly the store. A query's words become
terms the same way; a word the archive does not know is replaced by its nearest known terms
(typos), looked up among the vocabulary's terms that share its first letters, not by scanning it.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache

from index.store import in_list
from nlp import glossary, synonyms
from nlp.analysis import STOPWORDS, compound_parts, fold, stem, words

#: Lexical candidates per query (ranked by BM25 inside SQLite, filters applied first).
MAX_CANDIDATES = 1000


def is_postgres(db) -> bool:
    """Whether `db` (a connection, or a query's `Vocabulary` over one) is a PostgreSQL store's
    (`index.pgsql`): its lexical index is rows, not FTS5."""
    return not isinstance(_connection(db), sqlite3.Connection)


@dataclass
class TermStats:
    """What a searcher remembers of the lexical index at one `lexical_version` (meta) of the store:
    the terms' document frequencies read so far, and the number of punkter BM25 counts."""

    df: dict[str, int] = field(default_factory=dict)
    size: int | None = None


class Vocabulary:
    """The archive's terms as one query reads them: each term's document frequency looked up once.

    A lookup counts the term's whole posting list (FTS5's vocabulary table, Postgres' term rows), up to
    ~10 ms for a term most punkter hold at 1M passages; a query asks for the same term several times
    (as typed, as a part, as a synonym, when scoring). Made per query (`index.query.parse`) over
    that query's snapshot; `stats` is a searcher's memory of the same `lexical_version` of the
    store, which every change of the lexical index moves on."""

    def __init__(self, db, stats: TermStats | None = None) -> None:
        self.db = db
        self.stats = stats if stats is not None else TermStats()

    @property
    def df(self) -> dict[str, int]:
        return self.stats.df

    def size(self) -> int:
        """The number of punkter BM25 counts, as the engine counts them; read once per version."""
        if self.stats.size is None:
            if is_postgres(self.db):
                from index import pgsql

                self.stats.size = pgsql.collection_size(self.db)
            else:  # the rows FTS5 counts
                self.stats.size = int(self.db.execute("SELECT count(*) FROM punkt_terms_docsize").fetchone()[0])
        return self.stats.size


def _connection(db):
    return db.db if isinstance(db, Vocabulary) else db


def _lookup(db, term: str) -> int:
    if is_postgres(db):
        from index import pgsql

        return pgsql.document_frequency(db, term)
    row = db.execute("SELECT doc FROM punkt_vocab WHERE term = ?", (term,)).fetchone()
    return int(row[0]) if row else 0


def _known(db, term: str) -> int:
    """Punkter holding the term; `db` a connection or a query's `Vocabulary` (which remembers)."""
    if not isinstance(db, Vocabulary):
        return _lookup(db, term)
    if term not in db.df:
        db.df[term] = _lookup(db.db, term)
    return db.df[term]


def document_frequency(db: sqlite3.Connection, term: str) -> int:
    return _known(db, term)


def _near(db: sqlite3.Connection, term: str) -> list[str]:
    """Known terms within a small edit distance of an unknown one, best first."""
    from rapidfuzz import fuzz, process

    prefix = term[:2]
    choices = _vocabulary(db, prefix, len(term) - 2, len(term) + 2, None)
    if term[:1]:  # a typo in the second letter: same first letter, any second
        choices += _vocabulary(db, term[:1], len(term) - 1, len(term) + 1, 20000)
    cutoff = 80 if len(term) >= 7 else 85
    found = process.extract(term, list(dict.fromkeys(choices)), scorer=fuzz.ratio, limit=3, score_cutoff=cutoff)
    return [m[0] for m in found]


def _vocabulary(db, prefix: str, shortest: int, longest: int, limit: int | None) -> list[str]:
    """Known terms that begin with `prefix`, of a length in [shortest, longest], in term order."""
    db = _connection(db)
    if is_postgres(db):
        from index import pgsql

        return pgsql.vocabulary_range(db, prefix, prefix + "\uffff", shortest, longest, limit)
    sql = "SELECT term FROM punkt_vocab WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?"
    rows = db.execute(
        sql + (" LIMIT ?" if limit else ""),
        (prefix, prefix + "\uffff", shortest, longest, *((limit,) if limit else ())),
    )
    return [r[0] for r in rows]


@dataclass(frozen=True)
class QueryWord:
    """One word of a query as the index sees it: its alternative terms and whether it was known.

    `status` is `known` (the archive holds the word or it is too short to correct), `corrected`
    (replaced by near known terms: a typo), `translated` (an English word found by its Danish
    words, `english_words`), `parts` (only its compound parts are known:
    `fugleinfluenza` -> fugl, influenza) or `unknown` (nothing near it: likely a subject the archive
    does not hold). `whole` are the terms that stand for the word itself (its stem or corrections,
    not its parts); `df` is the number of punkter holding the word itself (0 for parts or unknown).
    """

    word: str
    terms: tuple[str, ...]
    status: str
    df: int
    whole: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()
    danish: tuple[str, ...] = ()  # for a translated English word: its Danish words the archive holds


def english_words(db: sqlite3.Connection, query: str) -> list[QueryWord]:
    """An English query's content words, each found by the Danish words the glossary gives for it
    (`translated`), or as itself when the archive holds it (a name, a loanword), else `unknown`.
    No typo correction: the nearest Danish word to an English one is noise."""
    out: list[QueryWord] = []
    for item in glossary.translate(query):
        own = [t for t in dict.fromkeys(stem(w) for w in item.english.split()) if _known(db, t)]
        whole = list(dict.fromkeys([*_danish_terms(db, item.danish), *own]))
        # A compound's parts only when the archive holds none of the words: "indkvartering" -> "ring" is noise.
        parts = [] if whole else [p for d in item.danish for p in compound_parts(d) if _known(db, p)]
        if item.danish and (whole or parts):
            status = "translated" if whole else "parts"
            df = max((_known(db, t) for t in whole), default=0)
            held = tuple(d for d in item.danish if _danish_terms(db, (d,)))
            terms = tuple(dict.fromkeys([*whole, *parts]))
            out.append(QueryWord(item.english, terms, status, df, tuple(whole), danish=held))
            continue
        if own:
            out.append(QueryWord(item.english, tuple(own), "known", max(_known(db, t) for t in own), tuple(own)))
        else:
            out.append(QueryWord(item.english, (stem(item.english.replace(" ", "")),), "unknown", 0))
    return out


def _content_words(query: str) -> list[str]:
    """The query's words that carry content: no stop words, no single letters, each once."""
    return list(dict.fromkeys(w for w in words(query) if w not in STOPWORDS and len(w) >= 2))


@dataclass(frozen=True)
class TypedWord:
    """A content word of a query as typed: its stem, the punkter holding it, and whether it counts
    as known (held, or too short to correct). Looked up once per query (`typed_words`)."""

    word: str
    term: str
    df: int
    known: bool


def typed_words(db: sqlite3.Connection, query: str) -> list[TypedWord]:
    """The query's content words (no stop words, no single letters, each once), each looked up once."""
    out = []
    for w in _content_words(query):
        t = stem(w)
        df = _known(db, t)
        out.append(TypedWord(w, t, df, bool(df) or len(t) < 4))
    return out


def all_known(typed: list[TypedWord]) -> bool:
    """Whether every content word is `known` as typed (what `query_words` would say, without
    looking for corrections)."""
    return all(w.known for w in typed)


def query_words(
    db: sqlite3.Connection,
    query: str,
    *,
    expand: bool = False,
    official: bool = False,
    typed: list[TypedWord] | None = None,
) -> list[QueryWord]:
    """The query's content words with their index terms (stems, compound parts, typo corrections;
    with `expand` the stems of the word's thesaurus synonyms the archive holds; with `official` the
    words minutes use for a citizen's word, `nlp.glossary.officialese`). `typed`: the query's
    `typed_words`, when the caller has them already."""
    out: list[QueryWord] = []
    for typed_word in typed_words(db, query) if typed is None else typed:
        w, t, df, known = typed_word.word, typed_word.term, typed_word.df, typed_word.known
        parts = [p for p in compound_parts(w) if _known(db, p)]
        if known:
            extra = [x for x in map(stem, synonyms.expand(w)) if _known(db, x)] if expand else []
            out.append(QueryWord(w, tuple(dict.fromkeys([t, *parts, *extra])), "known", df, (t,)))
            continue
        fixed = _near(db, t)
        if fixed:
            terms = tuple(dict.fromkeys([*fixed[:2], *parts]))
            df = max(_known(db, x) for x in fixed[:2])
            out.append(QueryWord(w, terms, "corrected", df, tuple(fixed[:2]), tuple(fixed)))
        elif parts:
            out.append(QueryWord(w, tuple(parts), "parts", 0))
        else:
            out.append(QueryWord(w, (t,), "unknown", 0))
    return _with_official_words(db, query, out) if official else out


def terms_of(found: list[QueryWord]) -> list[str]:
    """Every index term of the query's words, once, in order: what BM25 and the snippets look for."""
    return list(dict.fromkeys(t for w in found for t in w.terms))


def corrections_of(found: list[QueryWord]) -> dict[str, list[str]]:
    """Typed word -> the known words it was corrected to (shown as "Søgte også efter")."""
    return {w.word: list(w.corrections) for w in found if w.status == "corrected"}


def _danish_terms(db: sqlite3.Connection, danish: tuple[str, ...]) -> list[str]:
    """The archive's terms for the given Danish words ("co2-fangst": co2, fangst, co2fangst)."""
    return [t for t in dict.fromkeys(stem(w) for d in danish for w in words(d) if len(w) >= 2) if _known(db, t)]


def _with_official_words(db: sqlite3.Connection, query: str, found: list[QueryWord]) -> list[QueryWord]:
    """A citizen's word also finds the minutes' words for it ("gadelys" -> vejbelysning; a listed
    phrase's words join its first word). They widen what the word matches, not what it is: the
    word's own terms (`whole`), which judge "nothing relevant", stay as they were."""
    by_word = {w.word: i for i, w in enumerate(found)}
    out = list(found)
    for item in glossary.officialese(query):
        extra = _danish_terms(db, item.danish)
        owner = next((by_word[w] for w in item.english.split() if w in by_word), None)
        if not extra or owner is None:
            continue
        w = out[owner]  # its status stays: a word the archive lacks as typed is still unknown to it
        out[owner] = QueryWord(w.word, tuple(dict.fromkeys([*w.terms, *extra])), w.status, w.df, w.whole, w.corrections)
    return out


def query_terms(db: sqlite3.Connection, query: str) -> tuple[list[str], dict[str, list[str]]]:
    """Index terms of a query, and the corrections made for words the archive does not know."""
    found = query_words(db, query)
    return terms_of(found), corrections_of(found)


def scores(
    db,
    terms: list[str],
    where: str = "",
    params: list | None = None,
    limit: int = MAX_CANDIDATES,
    within: list[int] | None = None,
) -> dict[int, float]:
    """BM25 score per punkt id for the punkter that contain any of the terms (and pass the filter).

    `db` a connection or the query's `Vocabulary`. A term that half the punkter or more hold weighs
    nothing in BM25 (its IDF is at FTS5's floor of 1e-6, and so in the Postgres copy): it cannot order
    anything, but scoring it means scoring most of the archive (~90 ms at 100,000 punkter). With other
    terms beside it, it is left out of the scores. A query of only such terms is scored on them, and,
    given `within` (the dense side's candidates), only over those punkter: among the half of the
    archive that holds such a word, BM25 can only say which of what the meaning found says it most
    often. Coverage (`index.ranking`) still counts every term."""
    vocabulary = db if isinstance(db, Vocabulary) else None
    db = _connection(db)
    usable = [t for t in terms if re.fullmatch(r"[a-z0-9]+", t)]
    if not usable:
        return {}
    only_floor = False
    if vocabulary is not None:
        above = _above_floor(vocabulary, usable)
        only_floor = above is not None and not above
        usable = above or usable
    if not only_floor:
        within = None
    if is_postgres(db):  # the same BM25 over the terms as rows
        from index import pgsql

        df = [_known(vocabulary, t) for t in usable] if vocabulary is not None else None
        return pgsql.bm25(db, usable, where, params or [], limit, within, df)
    match = " OR ".join(f'"{t}"' for t in usable)
    # `+rowid`: filter the matches by the list; a bare `rowid IN` makes FTS5 run one query per id.
    among = f" AND +f.rowid IN ({in_list(within)})" if within is not None else ""
    if where:
        sql = (
            "SELECT f.rowid, -bm25(punkt_terms) AS s FROM punkt_terms f JOIN punkter p ON p.id = f.rowid "
            f"WHERE punkt_terms MATCH ? AND {where}{among} ORDER BY s DESC LIMIT ?"
        )
        rows = db.execute(sql, [match, *(params or []), limit])
    else:
        rows = db.execute(
            f"SELECT f.rowid, -bm25(punkt_terms) AS s FROM punkt_terms f WHERE punkt_terms MATCH ?{among} "
            "ORDER BY s DESC LIMIT ?",
            (match, limit),
        )
    return {int(r[0]): float(r[1]) for r in rows}


def _above_floor(vocabulary: Vocabulary, terms: list[str]) -> list[str] | None:
    """The terms whose BM25 weight is above FTS5's IDF floor (maybe none); None when the archive
    holds none of the terms at all (nothing to tell)."""
    counts = {t: _known(vocabulary, t) for t in terms}
    if not any(counts.values()):
        return None
    n = vocabulary.size()
    # FTS5: idf = log((N - n + 0.5) / (n + 0.5)), clamped to 1e-6 where that is <= 0, i.e. where 2n >= N.
    return [t for t in terms if 2 * counts[t] < n]


_WORD = re.compile(r"[A-Za-zÆØÅæøåéÉ0-9§]+")


@lru_cache(maxsize=200_000)
def _keys(word: str) -> tuple[str, str] | None:
    """(stem, folded form) of a lower-case word, or None for a stop word: the hot path of snippets."""
    if word in STOPWORDS or len(word) < 2:
        return None
    return stem(word), fold(word)


@dataclass(frozen=True)
class TextKeys:
    """Every stem and folded form of a text's words: what a query word must equal to be in it."""

    keys: frozenset[str]
    joined: str  # the keys, each followed by NUL: a suffix test over all of them is one substring search

    def holds(self, term: str) -> bool:
        """The term is a key itself, or, from six letters, the head of one (`pension` in
        `førtidspension`)."""
        return term in self.keys or (len(term) >= 6 and f"{term}\0" in self.joined)


def best_cover(texts: list[str], whole: list[tuple[str, ...]], weights) -> float:
    """The largest weight of query words that one text holds: a word is held by any of its terms
    (`whole`, per word) as a key or a key's head (`TextKeys.holds`); `weights` are per word."""
    best = 0.0
    for text in texts:
        keys = _text_keys(text)
        held = 0.0
        for weight, terms in zip(weights, whole, strict=True):
            if any(keys.holds(t) for t in terms):
                held += weight
        best = max(best, held)
    return best


@lru_cache(maxsize=4096)
def _text_keys(text: str) -> TextKeys:
    """Cached: the passages of the top punkter come back in query after query."""
    keys: set[str] = set()
    for m in _WORD.finditer(text):
        found = _keys(m.group(0).lower())
        if found is not None:
            keys.update(found)
    return TextKeys(frozenset(keys), "".join(f"{k}\0" for k in keys))


def term_matches(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words in `text` whose index term (or compound part) is in `terms`."""
    parts = [t for t in terms if len(t) >= 4]
    spans = []
    for m in _WORD.finditer(text):
        keys = _keys(m.group(0).lower())
        if keys is None:
            continue
        s, f = keys
        if s in terms or f in terms or any(t in s for t in parts):
            spans.append(m.span())
    return spans
