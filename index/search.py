"""Hybrid search: Danish BM25 and e5 embeddings fused per punkt, with filters, facets and snippets.

Ranking, in short:
1. the query's index terms (stemmed, folded, decompounded, typo-corrected) score every punkt with
   BM25 over its whole text, and every passage with BM25 over the passage;
2. the query embedding finds the nearest passages in FAISS; a punkt's dense score is its best
   passage's cosine;
3. both are normalised to [0, 1] (BM25 by the best score of the query, cosine by a fixed scale,
   since cosines are comparable across queries) and combined with weights;
4. each hit shows its best passage, the one where lexical and dense evidence agree most, with the
   query's words marked.

A query whose best dense cosine and lexical coverage are both weak is flagged low_confidence.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from index.lexical import term_matches
from index.search_index import PunktInfo, SearchIndex
from nlp.errors import BadQueryError, NotFoundError

MAX_QUERY_CHARS = 500
MAX_LIMIT = 100
DENSE_K = 400
# e5-small cosines are compressed: unrelated text ~0.75-0.78, on topic ~0.86+. A fixed scale keeps
# the dense evidence comparable across queries (tuned on the development queries, bench/search.py).
COS_FLOOR, COS_CEIL = 0.78, 0.86
W_LEX, W_DENSE = 0.3, 0.7
LOW_CONFIDENCE_KNOWN = 0.5  # share of a Danish query's words the archive contains at all
LOW_CONFIDENCE_ENGLISH_COS = 0.80
_ENGLISH = {
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "for",
    "and",
    "how",
    "what",
    "which",
    "who",
    "did",
    "does",
    "is",
    "are",
    "into",
    "with",
    "on",
    "about",
    "when",
    "where",
    "much",
    "many",
    "people",
    "was",
    "were",
}


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

    def active(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}

    def accepts(self, p: PunktInfo) -> bool:
        if self.municipality and p.municipality.lower() != self.municipality.lower():
            return False
        if self.committee and p.committee.lower() != self.committee.lower():
            return False
        if self.date_from and p.meeting_date < self.date_from:
            return False
        if self.date_to and p.meeting_date > self.date_to:
            return False
        if self.case_type and (p.case_type or "").lower() != self.case_type.lower():
            return False
        if self.theme and self.theme not in p.themes:
            return False
        if self.kle and not (p.kle or "").startswith(self.kle):
            return False
        if self.entity:
            wanted = self.entity.lower()
            if not any(e.lower() == wanted or e.split(":", 1)[-1].lower() == wanted for e in p.entities):
                return False
        if self.has_decision is not None and bool(p.decision) != self.has_decision:
            return False
        return True


@dataclass
class SearchResult:
    query: str
    hits: list[dict]
    total: int
    low_confidence: bool
    facets: dict = field(default_factory=dict)
    corrections: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "total": self.total,
            "low_confidence": self.low_confidence,
            "corrections": self.corrections,
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


class Searcher:
    def __init__(self, index: SearchIndex, embedder) -> None:
        self.index = index
        self.embedder = embedder

    # -- scoring ----------------------------------------------------------------------------

    def _scores(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], dict]:
        ix = self.index
        terms, corrections = ix.punkt_lexical.query_terms(query)
        lex = ix.punkt_lexical.scores(terms)
        lex_norm = lex / lex.max() if lex.size and lex.max() > 0 else np.zeros_like(lex)
        qvec = self.embedder.queries([query])[0]
        cos, vids = ix.vectors.search(qvec, DENSE_K)
        ids = ix.passage_of_vector(vids)
        passage_cos = np.full(len(ix.passages), np.nan, dtype=np.float32)
        passage_cos[ids] = cos
        # A punkt's dense score: the mean of its two best passages (one strong passage alone is
        # often a passing mention; two agreeing passages mean the punkt is about it).
        best: dict[int, list[float]] = {}
        for c, row in zip(cos, ix.passage_punkt[ids], strict=True):
            got = best.setdefault(int(row), [])
            if len(got) < 2:
                got.append(float(c))
        dense = np.zeros(len(ix.punkter), dtype=np.float32)
        for row, values in best.items():
            dense[row] = sum(values) / len(values)
        dense_norm = np.clip((dense - COS_FLOOR) / (COS_CEIL - COS_FLOOR), 0, 1)
        return lex_norm, dense_norm, dense, passage_cos, terms, corrections

    def _low_confidence(self, query: str, best_cos: float) -> bool:
        """Flag a query the archive probably cannot answer.

        In Danish: most of its words never occur in the archive. In English (no lexical
        evidence to judge by): even the best passage is far from it.
        """
        from index.analysis import Analyzer, words

        tokens = words(query)
        if tokens and sum(t in _ENGLISH for t in tokens) >= max(1, len(tokens) // 4) and not re.search("[æøå]", query):
            return best_cos < LOW_CONFIDENCE_ENGLISH_COS
        distinct = list(dict.fromkeys(Analyzer.base_terms(query)))  # as typed, before typo correction
        if not distinct:
            return best_cos < LOW_CONFIDENCE_ENGLISH_COS
        known = sum(1 for t in distinct if self.index.punkt_lexical.document_frequency(t) > 0)
        return known / len(distinct) < LOW_CONFIDENCE_KNOWN

    # -- public -----------------------------------------------------------------------------

    def search(self, query: str, *, limit: int = 10, offset: int = 0, filters: Filters | None = None) -> SearchResult:
        query = validate_query(query)
        validate_paging(limit, offset)
        filters = filters or Filters()
        ix = self.index
        if not ix.punkter:
            return SearchResult(query, [], 0, True)
        lex_norm, dense_norm, dense, passage_cos, terms, corrections = self._scores(query)
        combined = W_LEX * lex_norm + W_DENSE * dense_norm
        allowed = np.array([filters.accepts(p) for p in ix.punkter], dtype=bool)
        candidates = np.where(allowed & ((lex_norm > 0) | (dense_norm > 0)))[0]
        order = candidates[np.argsort(-combined[candidates], kind="stable")]
        # Results are those with some real evidence; a long tail of near-zero scores is noise.
        top = combined[order[0]] if len(order) else 0.0
        order = order[combined[order] >= max(0.05, 0.15 * top)]
        best_cos = float(dense[candidates].max()) if len(candidates) else 0.0
        low_confidence = not len(order) or self._low_confidence(query, best_cos)
        term_set = set(terms)
        page = order[offset : offset + limit]
        passage_lex = ix.passage_lexical.scores(terms) if terms else np.zeros(len(ix.passages), dtype=np.float32)
        hits = [self._hit(int(i), float(combined[i]), passage_cos, passage_lex, term_set) for i in page]
        facets = self._facets(order)
        return SearchResult(query, hits, int(len(order)), low_confidence, facets, corrections)

    def _hit(self, row: int, score: float, passage_cos: np.ndarray, passage_lex: np.ndarray, terms: set[str]) -> dict:
        p = self.index.punkter[row]
        snippet, section = ("", "") if p.closed else self._snippet(row, passage_cos, passage_lex, terms)
        return {
            "id": p.id,
            "municipality": p.municipality,
            "committee": p.committee,
            "meeting_id": p.meeting_id,
            "meeting_date": p.meeting_date,
            "number": p.number,
            "title": p.title,
            "case_type": p.case_type,
            "closed": p.closed,
            "decision": p.decision,
            "journal_number": p.journal_number,
            "kle": p.kle,
            "themes": p.themes,
            "score": round(score, 4),
            "snippet": snippet,
            "snippet_section": section,
        }

    def _snippet(self, row: int, passage_cos: np.ndarray, passage_lex: np.ndarray, terms: set[str]) -> tuple[str, str]:
        ix = self.index
        rows = [j for j in ix.passages_of.get(row, []) if ix.passages[j].section != "Titel"]
        if not rows:
            return "", ""
        local_lex = passage_lex[rows]
        lex_n = local_lex / local_lex.max() if local_lex.max() > 0 else local_lex
        cos = np.nan_to_num(passage_cos[rows], nan=0.0)
        dense_n = np.clip((cos - COS_FLOOR) / (COS_CEIL - COS_FLOOR), 0, 1)
        best = rows[int(np.argmax(0.5 * lex_n + 0.5 * dense_n + 1e-6 * -np.arange(len(rows))))]
        passage = ix.passages[best]
        return highlight(passage.text, terms), passage.section

    def _facets(self, order: np.ndarray, top_n: int = 200) -> dict:
        counts: dict[str, Counter] = {
            k: Counter()
            for k in ("themes", "committees", "years", "case_types", "people", "organisations", "municipalities")
        }
        for i in order[:top_n]:
            p = self.index.punkter[int(i)]
            counts["themes"].update(p.themes)
            counts["committees"][p.committee] += 1
            counts["municipalities"][p.municipality] += 1
            counts["years"][p.meeting_date[:4]] += 1
            counts["case_types"][p.case_type or "ingen"] += 1
            for e in set(p.entities):
                label, _, name = e.partition(":")
                if label == "PER":
                    counts["people"][name] += 1
                elif label == "ORG":
                    counts["organisations"][name] += 1
        return {k: [{"value": v, "count": c} for v, c in counter.most_common(15)] for k, counter in counts.items()}

    def similar(self, punkt_id: str, limit: int = 5) -> list[dict]:
        ix = self.index
        row = ix.punkt_row.get(punkt_id)
        if row is None:
            raise NotFoundError(f"intet punkt med id '{punkt_id}'")
        if ix.punkter[row].closed:
            return []
        mine = set(ix.passages_of.get(row, []))
        vector_rows = [v for v, j in enumerate(ix.vector_passage) if int(j) in mine]
        if not vector_rows:
            return []
        centroid = np.mean([ix.vectors.reconstruct(v) for v in vector_rows[:20]], axis=0)
        centroid /= np.linalg.norm(centroid) + 1e-9
        cos, vids = ix.vectors.search(centroid, DENSE_K)
        ids = ix.passage_of_vector(vids)
        best: dict[int, float] = {}
        for c, j in zip(cos, ids, strict=True):
            other = int(ix.passage_punkt[j])
            if other != row and not ix.punkter[other].closed:
                best[other] = max(best.get(other, -1.0), float(c))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
        nothing = np.full(len(ix.passages), np.nan, dtype=np.float32)
        return [self._hit(i, s, nothing, np.zeros(len(ix.passages), dtype=np.float32), set()) for i, s in ranked]


def highlight(text: str, terms: set[str], max_chars: int = 420) -> str:
    """HTML-escaped snippet around the first matched word, matched words in <mark>."""
    spans = term_matches(text, terms) if terms else []
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
