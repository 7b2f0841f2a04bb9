"""Hybrid search: Danish BM25 and e5 embeddings, ranked per punkt by a fitted model, with filters,
facets and snippets.

Ranking, in short:
1. the filter compiles once into SQL (lexical) and a bitmap of allowed passages (dense);
2. the query is read (`nlp.query_understanding`): its language, and what it names besides its
   subject (a period, a committee or municipality, a wish for decisions), which become preferences;
3. the subject's index terms (stemmed, folded, decompounded, typo-corrected; an English word's
   Danish words, a citizen's word's official ones) score the allowed punkter with BM25 in FTS5;
4. the query embedding finds the nearest allowed passages in the vector index;
5. for the best candidates of both, every passage's cosine is computed from the stored vectors,
   and each candidate is described by evidence that means the same in every query
   (`index.ranking`: BM25 against the query's best, word coverage, its best passages', title's and
   lead's cosines); a linear model fitted on the development queries scores it, the preferences
   nudge the order, and a second model judges whether anything relevant was found at all;
6. each hit shows its best passage, where lexical and dense evidence agree most, with the
   query's words marked.
Every step works on candidates or SQL-indexed rows; nothing loops over the collection in Python.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from index import answers, lexical, ranking
from index.filters import Filters
from index.query import ParsedQuery, parse
from index.ranking import Evidence
from index.store import Store, in_list
from index.vectors import VectorView
from nlp.analysis import STOPWORDS, compound_parts, fold, stem
from nlp.errors import BadQueryError, NotFoundError
from nlp.settings import settings

MAX_QUERY_CHARS = settings.max_query_chars
MAX_LIMIT = settings.max_limit

#: How a result may be ordered: by the ranker (best first) or by meeting date (newest first).
SORTS = ("relevance", "date")

__all__ = [
    "Filters",
    "PageOutOfRangeError",
    "SORTS",
    "SearchResult",
    "Searcher",
    "highlight",
    "validate_query",
    "validate_paging",
    "validate_sort",
]


@dataclass
class SearchResult:
    query: str
    hits: list[dict]
    total: int
    low_confidence: bool
    facets: dict = field(default_factory=dict)
    corrections: dict = field(default_factory=dict)
    language: str = "da"
    understood: str = ""  # what the query was read to prefer, in Danish ("Foretrækker resultater fra 2024")
    answer: dict | None = None  # a direct answer with its source sentence (index/answers.py), or None
    sort: str = "relevance"  # how the hits are ordered: "relevance" or "date" (newest first)

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "sort": self.sort,
            "total": self.total,
            "low_confidence": self.low_confidence,
            "language": self.language,
            "understood": self.understood,
            "corrections": self.corrections,
            "answer": self.answer,
            "hits": self.hits,
            "facets": self.facets,
        }


def validate_query(query: str) -> str:
    from nlp.query import normalise_query

    return normalise_query(query)


def validate_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQueryError(f"limit skal være mellem 1 og {MAX_LIMIT}")
    if offset < 0 or offset > 10_000:
        raise BadQueryError("offset skal være mellem 0 og 10000")


def validate_sort(sort: str | None) -> str:
    """`relevance` (the default) or `date`; anything else is refused in Danish, never guessed."""
    if sort in (None, ""):
        return "relevance"
    if sort not in SORTS:
        raise BadQueryError(f"sort skal være 'relevance' eller 'date', ikke '{str(sort)[:40]}'")
    return sort


def order_by_date(db: sqlite3.Connection, kept: list[tuple]) -> list[tuple]:
    """The same result set, newest meeting first; within a meeting (or a date), the ranker's order.

    `kept` is (score, punkt id, …) best first, whatever set search decided to return: sorting by date
    changes the order only, never which punkter are in it.
    """
    if not kept:
        return kept
    when = {
        r["id"]: (r["date"], r["time"] or "")
        for r in db.execute(
            "SELECT p.id, p.date, m.time FROM punkter p JOIN meetings m ON m.id = p.meeting "
            f"WHERE p.id IN ({in_list(k[1] for k in kept)})"
        )
    }
    return sorted(kept, key=lambda s: when.get(s[1], ("", "")), reverse=True)  # stable: ties keep the ranker's order


class PageOutOfRangeError(BadQueryError):
    """An offset at or past the last hit: said plainly (a 422), not answered with an empty page.
    `total` is the answer's size (the relevant hits), `listed` every hit search can list."""

    def __init__(self, offset: int, total: int, listed: int | None = None) -> None:
        self.offset = offset
        self.total = total
        listed = total if listed is None else listed
        super().__init__(
            f"offset: {offset} ligger efter det sidste hit; søgningen har {listed} hit"
            + ("s" if listed != 1 else "")
            + (f" ({total} relevante)" if listed != total else "")
            + (f", brug offset under {listed}" if listed else "")
        )


class Searcher:
    """Search over one store and one generation of its vector index."""

    def __init__(self, store: Store, embedder, view: VectorView | None, generation: str | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.view = view
        self.generation = generation
        self._names_cache: tuple[list[str], list[str]] | None = None  # per generation: names change with it
        self._count_cache: int | None = None
        #: (lexical version, what was read of the lexical index at it): one tuple, swapped whole, so
        #: that a reader on another thread never pairs one version with another's (`_term_stats`).
        self._term_state: tuple[str | None, lexical.TermStats] | None = None
        self.ranker = ranking.load()

    # -- scoring ----------------------------------------------------------------------------

    def _dense(self, db: sqlite3.Connection, qvec: np.ndarray, punkt_mask) -> dict[int, float]:
        """Best cosine per punkt among the nearest allowed passages."""
        if self.view is None:
            return {}
        allowed = self.view.allowed(punkt_mask)
        cos, pids = self.view.search(qvec, settings.dense_k, allowed)
        out: dict[int, float] = {}
        for c, punkt in zip(cos.tolist(), self.view.passage_punkt[pids].tolist(), strict=True):
            if punkt >= 0 and punkt not in out:
                out[punkt] = c
        return out

    def _dense_candidates(self, db, qvec: np.ndarray, parsed: ParsedQuery) -> dict[int, float]:
        """The dense side's first candidates under the query's filter (the Postgres searcher filters in SQL)."""
        return self._dense(db, qvec, parsed.filters.punkt_mask(db))

    def _passage_cosines(self, db: sqlite3.Connection, punkter: list[int], qvec: np.ndarray) -> dict[int, list]:
        """Cosines of every passage of the given punkter: punkt -> [(cos, passage id)], best first
        (ties by id). Exact, from the vectors the index stores (`VectorView.punkt_cosines`): nothing
        is read back from SQLite."""
        out: dict[int, list] = {p: [] for p in punkter}
        if not punkter or self.view is None:
            return out
        cos, pids = self.view.punkt_cosines(qvec, punkter)
        punkt_of = self.view.passage_punkt[pids]
        order = np.lexsort((pids, -cos, punkt_of))  # grouped by punkt, each group best first
        punkt_of, cos_list, pid_list = punkt_of[order], cos[order].tolist(), pids[order].tolist()
        starts = np.flatnonzero(np.r_[True, punkt_of[1:] != punkt_of[:-1]]).tolist()
        for a, b in zip(starts, [*starts[1:], len(pid_list)], strict=True):
            out[int(punkt_of[a])] = list(zip(cos_list[a:b], pid_list[a:b], strict=True))
        return out

    @staticmethod
    def _passage_texts(db: sqlite3.Connection, punkter: list[int]) -> dict[int, list[tuple[int, str, str]]]:
        """punkt -> [(passage id, section, text)] in document order, for the punkter shown on a page."""
        out: dict[int, list[tuple[int, str, str]]] = {p: [] for p in punkter}
        if punkter:
            sql = f"SELECT punkt, id, section, text FROM passages WHERE punkt IN ({in_list(punkter)}) ORDER BY id"
            for r in db.execute(sql):
                out[r["punkt"]].append((r["id"], r["section"], r["text"]))
        return out

    # -- public -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
        sort: str | None = "relevance",
    ) -> SearchResult:
        query = validate_query(query)
        validate_paging(limit, offset)
        sort = validate_sort(sort)
        filters = filters or Filters()
        with self.store.snapshot() as db:
            result = self._search(db, self._parse(db, query, filters), limit, offset, sort)
        result.sort = sort
        return result

    def _parse(self, db, query: str, filters: Filters) -> ParsedQuery:
        """The one reading of a validated query, handed to everything below (`index.query`)."""
        return parse(db, query, filters, *self._names(db), stats=self._term_stats(db))

    def _term_stats(self, db) -> lexical.TermStats:
        """What this searcher has read of the lexical index at the snapshot's version (meta
        `lexical_version`, moved on by every change of it): document frequencies (a lookup counts a
        posting list, ~10 ms for a common term at 1M passages) and the collection's size (a count
        of every punkt's row); a new version starts afresh."""
        row = db.execute("SELECT value FROM meta WHERE key = 'lexical_version'").fetchone()
        version = row[0] if row else None
        state = self._term_state
        if state is None or state[0] != version:
            state = (version, lexical.TermStats())
            self._term_state = state
        return state[1]

    def _names(self, db) -> tuple[list[str], list[str]]:
        """Committee and municipality names of the archive, for reading them out of queries."""
        if self._names_cache is None:
            committees = [r[0] for r in db.execute("SELECT DISTINCT committee FROM meetings")]
            municipalities = [r[0] for r in db.execute("SELECT DISTINCT municipality FROM meetings")]
            self._names_cache = (committees, municipalities)
        return self._names_cache

    @staticmethod
    def _named_elsewhere(db, intent, evidence: Evidence, spread: float) -> bool:
        """The query names a municipality whose best punkt, by evidence alone (before it is
        preferred), falls below the best by more than half the spread of the top ten: whatever the
        archive holds on the subject, it holds little from there ("busruter i Odense" among Greve's
        bus routes)."""
        if not intent.municipalities or not len(evidence.scores):
            return False
        marks = ",".join("?" * len(intent.municipalities))
        where = f"id IN ({in_list(evidence.candidates)}) AND lower(municipality) IN ({marks})"
        sql = f"SELECT id FROM punkter WHERE {where}"
        named = {r[0] for r in db.execute(sql, [m.lower() for m in intent.municipalities])}
        scores = [s for s, p in zip(evidence.scores, evidence.candidates, strict=True) if p in named]
        return not scores or max(scores) < evidence.scores.max() - settings.named_margin * spread

    def _preferences(self, db, intent, candidates: list[int]) -> dict[int, float]:
        """Preference per candidate from what the query says besides its subject, in shares of the
        top-ten spread (0: none)."""
        if not intent.has_preferences or not candidates:
            return {}
        lo = f"{int(intent.date_from[:4]) - 1}{intent.date_from[4:]}" if intent.date_from else None
        hi = f"{int(intent.date_to[:4]) + 1}{intent.date_to[4:]}" if intent.date_to else None
        committees = {c.lower() for c in intent.committees}
        municipalities = {m.lower() for m in intent.municipalities}
        boosts: dict[int, float] = {}
        for r in db.execute(
            f"SELECT id, date, committee, municipality, has_decision FROM punkter WHERE id IN ({in_list(candidates)})"
        ):
            boost = 0.0
            if (lo or hi) and (not lo or r["date"] >= lo) and (not hi or r["date"] <= hi):
                boost += settings.preference_share
            if r["committee"].lower() in committees or r["municipality"].lower() in municipalities:
                boost += settings.preference_share
            if intent.wants_decision and r["has_decision"]:
                boost += settings.decision_share
            boosts[r["id"]] = boost
        return boosts

    def _punkt_count(self, db) -> int:
        if self._count_cache is None:
            self._count_cache = int(db.execute("SELECT COUNT(*) FROM punkter").fetchone()[0])
        return self._count_cache

    def _evidence(self, db, parsed: ParsedQuery) -> Evidence:
        """Candidates of both sides, every candidate passage's cosine, and the ranking features.

        The words to find are the query's subject (`parsed.words`): a municipality, committee or
        period it names is a preference, not a word ("busruter i Odense" is not about the word
        Odense). The dense side reads the whole query: e5 weighs such words lightly, and the
        committee and decision words helped it (bench/fit_ranker.py: 0.731 against 0.728).
        """
        found = list(parsed.words)
        qvec = self.embedder.queries([parsed.intent.query])[0]
        where, params = parsed.where
        dense_first = self._dense_candidates(db, qvec, parsed)
        lex = lexical.scores(parsed.vocabulary, parsed.terms, where, params, within=list(dense_first))
        top_lex = sorted(lex, key=lex.get, reverse=True)[: settings.candidates_per_side]
        top_dense = sorted(dense_first, key=dense_first.get, reverse=True)[: settings.candidates_per_side]
        candidates = list(dict.fromkeys([*top_dense, *top_lex]))
        passages = self._passage_cosines(db, candidates, qvec)
        matrix = ranking.features(
            db, candidates, lex, passages, dense_first, found, self._punkt_count(db), parsed.vocabulary
        )
        return Evidence(candidates, matrix, passages, found, parsed.english)

    def _read(self, db, parsed: ParsedQuery) -> Evidence:
        """The query's scored evidence: the start of every search."""
        evidence = self._evidence(db, parsed)
        evidence.scores = self.ranker.score(evidence)
        top = [evidence.candidates[i] for i in np.argsort(-evidence.scores, kind="stable")[:10]]
        evidence.passage_cover = ranking.passage_cover(db, top, evidence.words, self._punkt_count(db))
        return evidence

    def explain(self, query: str, filters: Filters | None = None) -> Evidence:
        """The evidence a query's ranking is made from (for benches and for asking why)."""
        query = validate_query(query)
        filters = filters or Filters()
        with self.store.snapshot() as db:
            return self._read(db, self._parse(db, query, filters))

    def _search(self, db, parsed: ParsedQuery, limit: int, offset: int, sort: str = "relevance") -> SearchResult:
        evidence = self._read(db, parsed)
        query, intent, words, corrections = parsed.text, parsed.intent, evidence.words, parsed.corrections
        candidates, passages = evidence.candidates, evidence.passages
        if not candidates:
            if offset:
                raise PageOutOfRangeError(offset, 0)
            return SearchResult(query, [], 0, True, self._facets(db, []), corrections)
        low_confidence, p_none = self.ranker.nothing_relevant(evidence)
        boosts = self._preferences(db, intent, candidates)
        ordered = np.sort(evidence.scores)[::-1]
        spread = float(ordered[0] - ordered[min(9, len(ordered) - 1)])
        # Results are the candidates with real evidence: a word of the query or a cosine above the floor.
        real = (evidence.column("lex") > 0) | (evidence.column("cos1") >= settings.cos_floor)
        probability = self.ranker.relevance(evidence, p_none)
        kept = [
            (float(score) + spread * boosts.get(pid, 0.0), pid, float(p))
            for score, pid, p, ok in zip(evidence.scores, candidates, probability, real, strict=True)
            if ok
        ]
        kept.sort(key=lambda s: (-s[0], s[1]))
        # bool(): the models answer numpy booleans, which JSON (the CLI's --json) cannot write.
        low_confidence = bool(low_confidence or not kept or self._named_elsewhere(db, intent, evidence, spread))
        total = self._answer_size(kept, low_confidence)
        low_confidence = low_confidence or total == 0
        if offset and offset >= len(kept):
            raise PageOutOfRangeError(offset, total, len(kept))
        term_set = set(parsed.terms)
        # By date: the answer newest first, the loosely related after it; the same set either way.
        listed = order_by_date(db, kept[:total]) + kept[total:] if sort == "date" else kept
        page = listed[offset : offset + limit]
        shown = [pid for _, pid, _ in page]
        info = self._info(db, shown)
        by_punkt = self._passage_texts(db, shown)
        texts = {i: (section, text) for found in by_punkt.values() for i, section, text in found}
        hits = []
        for rank, (score, pid, _) in enumerate(page, start=offset):
            if pid in info:
                scored_passages = [(c, *texts[i]) for c, i in passages.get(pid, []) if i in texts]
                hits.append({**self._hit(info[pid], score, scored_passages, term_set), "relevant": rank < total})
        facets = self._facets(db, [pid for _, pid, _ in kept[: min(total, 200)]])
        answer = None
        if offset == 0 and not low_confidence:  # a direct answer only above confident first-page hits
            body = {  # each hit's body passages in document order (the title is the hit's own)
                info[pid]["slug"]: [text for _, section, text in by_punkt[pid] if section != "Titel"]
                for pid in shown[: answers.TOP_HITS]
                if pid in info
            }
            answer = answers.find_answer(intent, hits, body, self._question_weights(parsed))
        return SearchResult(
            query,
            hits,
            total,
            low_confidence,
            facets,
            corrections,
            "en" if evidence.english else "da",
            ". ".join(filter(None, [intent.explanation, _translation_note(words)])),
            answer,
        )

    def _answer_size(self, kept: list[tuple[float, int, float]], low_confidence: bool) -> int:
        """How many of the ranked hits belong to the answer (`total`): the fitted per-hit decision
        (`ranking.members`) over their P(relevant), none when nothing relevant was found. The answer
        is the top of the ranking, so hit `i` is relevant when `i < total`, on every page, in feeds
        and saved searches."""
        if low_confidence or not kept:
            return 0
        ranked = np.array([p for _, _, p in kept])
        return int(ranking.members(ranked, self.ranker.hit_threshold, self.ranker.hit_rule).sum())

    @staticmethod
    def _info(db, ids: list[int]) -> dict[int, sqlite3.Row]:
        if not ids:
            return {}
        rows = db.execute(
            "SELECT p.id, p.slug, p.municipality, p.committee, p.date, p.number, p.title, p.case_type, p.closed, "
            "p.decision, p.journal_number, p.kle, p.source_url, m.slug AS meeting_slug, "
            "(SELECT group_concat(key, ' ') FROM themes t WHERE t.punkt = p.id) AS theme_keys "
            f"FROM punkter p JOIN meetings m ON m.id = p.meeting WHERE p.id IN ({in_list(ids)})"
        ).fetchall()
        return {r["id"]: r for r in rows}

    def _hit(self, p: sqlite3.Row, score: float, passages: list, terms: set[str]) -> dict:
        snippet, section = ("", "") if p["closed"] else self._snippet(passages, terms)
        return {
            "id": p["slug"],
            "municipality": p["municipality"],
            "committee": p["committee"],
            "meeting_id": p["meeting_slug"],
            "meeting_date": p["date"],
            "number": p["number"],
            "title": p["title"],
            "case_type": p["case_type"],
            "closed": bool(p["closed"]),
            "decision": None if p["closed"] else p["decision"],
            "journal_number": p["journal_number"],
            "kle": p["kle"],
            "source_url": p["source_url"],  # the punkt's page on the publisher's site, when the source gives it
            "themes": (p["theme_keys"] or "").split(),
            "score": round(score, 4),
            "snippet": snippet,
            "snippet_section": section,
        }

    @staticmethod
    def _snippet(passages: list, terms: set[str]) -> tuple[str, str]:
        """The passage where the query's words and meaning meet, with the words marked."""
        body = [p for p in passages if p[1] != "Titel"]  # (cos, section, text)
        if not body:
            return "", ""
        # A passage that contains none of the terms as a substring of its folded text has no match:
        # checked in C before the word-by-word matching.
        folded = [fold(p[2]) for p in body] if terms else []
        lex = np.array(
            [len(marked_words(p[2], terms)) if any(t in f for t in terms) else 0 for p, f in zip(body, folded)]
            if terms
            else [0] * len(body),
            dtype=np.float32,
        )
        lex_n = lex / lex.max() if lex.max() > 0 else lex
        cos = np.array([p[0] for p in body], dtype=np.float32)
        dense_n = np.clip((cos - settings.cos_floor) / (settings.cos_ceil - settings.cos_floor), 0, 1)
        best = body[int(np.argmax(0.5 * lex_n + 0.5 * dense_n - 1e-6 * np.arange(len(body))))]
        return highlight(best[2], terms), best[1]

    @staticmethod
    def _question_weights(parsed: ParsedQuery) -> dict[str, float]:
        """How much each word of a question tells, for the answer's evidence: its IDF in the archive
        (read through the query's vocabulary, which has most of them already); a word the archive
        does not hold weighs as the rarest."""
        vocabulary = parsed.vocabulary
        n = max(vocabulary.size(), 1)
        out = {}
        for word in parsed.intent.question_words:
            df = lexical.document_frequency(vocabulary, stem(word))
            out[word] = float(np.log((n + 1) / (df + 0.5)))
        return out

    @staticmethod
    def _facets(db, ids: list[int]) -> dict:
        counts: dict[str, Counter] = {
            k: Counter()
            for k in ("themes", "committees", "years", "case_types", "people", "organisations", "municipalities")
        }
        if ids:
            marks = in_list(ids)
            for r in db.execute(f"SELECT committee, municipality, date, case_type FROM punkter WHERE id IN ({marks})"):
                counts["committees"][r["committee"]] += 1
                counts["municipalities"][r["municipality"]] += 1
                counts["years"][r["date"][:4]] += 1
                counts["case_types"][r["case_type"] or "ingen"] += 1
            for r in db.execute(f"SELECT key, COUNT(*) AS n FROM themes WHERE punkt IN ({marks}) GROUP BY key"):
                counts["themes"][r["key"]] = r["n"]
            for r in db.execute(
                "SELECT label, canonical, COUNT(DISTINCT punkt) AS n FROM entities "
                f"WHERE shown AND confidence >= ? AND label IN ('PER', 'ORG') AND punkt IN ({marks}) "
                "GROUP BY label, canonical",
                (settings.facet_min_confidence,),
            ):
                if r["label"] == "PER" and not _full_name(r["canonical"]):
                    continue
                counts["people" if r["label"] == "PER" else "organisations"][r["canonical"]] = r["n"]
        facets = {k: [{"value": v, "count": c} for v, c in counter.most_common(15)] for k, counter in counts.items()}
        facets["years"] = sorted(facets["years"], key=lambda f: f["value"], reverse=True)
        return facets

    def similar(self, slug: str, limit: int = 5) -> list[dict]:
        """Punkter whose passages lie nearest this punkt's (the centroid of its passage vectors),
        closed ones left out. The engine's part is `_punkt_vectors` and `_nearest_to`."""
        with self.store.snapshot() as db:
            row = db.execute("SELECT id, closed FROM punkter WHERE slug = ?", (slug,)).fetchone()
            if row is None:
                raise NotFoundError(f"intet punkt med id '{slug}'")
            if row["closed"]:
                return []
            vectors = self._punkt_vectors(db, row["id"])
            if not vectors:
                return []
            centroid = np.mean(vectors, axis=0)
            centroid /= np.linalg.norm(centroid) + 1e-9
            best = self._nearest_to(db, centroid, row["id"])
            ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
            info = self._info(db, [pid for pid, _ in ranked])
            return [self._hit(info[pid], score, [], set()) for pid, score in ranked if pid in info]

    def _punkt_vectors(self, db, punkt: int) -> list[np.ndarray]:
        """The first 20 passage vectors of a punkt (none without a vector index)."""
        if self.view is None:
            return []
        sql = "SELECT vector FROM passages WHERE punkt = ? AND vector IS NOT NULL ORDER BY ordinal LIMIT 20"
        return [np.frombuffer(r[0], dtype=np.float32) for r in db.execute(sql, (punkt,))]

    def _nearest_to(self, db, vector: np.ndarray, exclude: int) -> dict[int, float]:
        """Best cosine per open punkt other than `exclude` (empty for a vector of another dimension)."""
        if len(vector) != self.view.dim:
            return {}
        mask = np.ones(int(db.execute("SELECT MAX(id) FROM punkter").fetchone()[0]) + 1, dtype=bool)
        mask[exclude] = False
        closed = [r[0] for r in db.execute("SELECT id FROM punkter WHERE closed")]
        mask[np.asarray(closed, dtype=np.int64)] = False
        return self._dense(db, vector, mask)


def _full_name(name: str) -> bool:
    """A person facet names a person: two or more capitalised words of two letters or more
    ("Mads Thomsen"), not a first name alone ("Elisabet") or a capital letter and a word ("A Flere")."""
    parts = name.split()
    names = [p for p in parts if p not in _NAME_PARTICLES] if len(parts) > 2 else parts
    return len(parts) >= 2 and parts[-1] not in _NAME_PARTICLES and all(len(p) >= 2 and p[0].isupper() for p in names)


_NAME_PARTICLES = frozenset({"af", "von", "van", "de", "der", "den", "la", "le", "du", "el"})


def _translation_note(words) -> str:
    """What an English query was searched for in Danish, for the result page."""
    pairs = [f"{w.word} → {', '.join(w.danish)}" for w in words if w.danish]
    return f"Engelske ord søgt på dansk: {'; '.join(pairs)}" if pairs else ""


_WORD = re.compile(r"[A-Za-zÆØÅæøåéÉ0-9§]+")
#: Function words spaCy's Danish stop list lacks: searched (BM25 weighs them down), never marked.
_NOT_CONTENT = frozenset({"mod", "hos", "inden", "per", "pr", "samt", "ift", "ifm", "hhv", "mv", "osv", "fx", "dvs"})


def marked_words(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Spans of the whole words of `text` that a query term names: a content word whose stem or folded
    form is a term, or one of whose compound parts (the fixed lexicon's, `compound_parts`) is. Never
    part of a word by chance ("borg" is not in "Aalborg"), never a function word ("mod"). A name (a
    capitalised word inside a sentence) is matched whole only: "Silkeborg" splits into silke + borg
    in the lexicon, but it is no word about citizens (borgere)."""
    if not terms:
        return []
    spans, index = _word_index(text)
    return [spans[i] for i in sorted({i for t in terms for i in index.get(t, ())})]


@lru_cache(maxsize=8192)
def _word_index(text: str) -> tuple[tuple[tuple[int, int], ...], dict[str, tuple[int, ...]]]:
    """A text's content words (their spans) and, for each key a term may be, the words it names
    (stem and folded form; compound parts, of a word that is no name). Made once per passage and
    cached: the top punkter's passages come back query after query, and a query then costs a few
    lookups per passage instead of a walk over its words."""
    spans: list[tuple[int, int]] = []
    index: dict[str, list[int]] = {}
    for m in _WORD.finditer(text):
        keys = _content_keys(m.group(0).lower())
        if keys is None:
            continue
        i = len(spans)
        spans.append(m.span())
        stemmed, folded, parts = keys
        for key in {stemmed, folded}:
            index.setdefault(key, []).append(i)
        if parts and not _is_name(text, m.start()):
            for part in dict.fromkeys(parts):
                index.setdefault(part, []).append(i)
    return tuple(spans), {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=200_000)
def _content_keys(word: str) -> tuple[str, str, tuple[str, ...]] | None:
    """(stem, folded form, compound parts) of a lower-case content word; None for a function word.
    Cached: every snippet of every search walks its passage word by word."""
    if len(word) < 2 or word in STOPWORDS or word in _NOT_CONTENT:
        return None
    return stem(word), fold(word), compound_parts(word)


def _is_name(text: str, start: int) -> bool:
    """A capitalised word that does not begin a sentence: a name, matched only as a whole word."""
    if not text[start].isupper():
        return False
    before = text[:start].rstrip()
    return bool(before) and before[-1] not in ".!?:;•-–*\n"


def highlight(text: str, terms: set[str], max_chars: int = 420) -> str:
    """HTML-escaped snippet around the first matched word, matched words in <mark>."""
    spans = marked_words(text, terms)
    start = 0
    if spans and spans[0][0] > max_chars // 3:
        start = text.rfind(" ", 0, spans[0][0] - max_chars // 4) + 1
    end = min(len(text), start + max_chars)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    out: list[str] = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return re.sub(r"\s+", " ", "".join(out)).strip()
