"""The lexical index: bm25s over Danish index terms (`index.analysis`), with typo-tolerant queries."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path

import bm25s
import numpy as np

from index.analysis import STOPWORDS, Analyzer, build_vocabulary, fold, stem, words

log = logging.getLogger(__name__)


# Lower length normalisation than the textbook 0.75: a long punkt is long because it treats its
# subject at length, not because it rambles (tuned on the development queries).
K1, B = 1.2, 0.5


class LexicalIndex:
    """BM25 over a list of documents; `scores(query)` gives one score per document."""

    def __init__(self, retriever: bm25s.BM25, analyzer: Analyzer, n_docs: int) -> None:
        self.retriever = retriever
        self.analyzer = analyzer
        self.n_docs = n_docs
        self._known = {t for t in retriever.vocab_dict} if hasattr(retriever, "vocab_dict") else set()
        self._choices = sorted(self._known)

    @classmethod
    def build(cls, texts: list[str], analyzer: Analyzer | None = None) -> LexicalIndex:
        analyzer = analyzer or Analyzer(build_vocabulary(texts))
        # An empty archive still gets a (one placeholder document) index, so that search just finds nothing.
        corpus = [analyzer.terms(t) or ["∅"] for t in texts] or [["∅"]]
        retriever = bm25s.BM25(k1=K1, b=B)
        retriever.index(corpus, show_progress=False)
        return cls(retriever, analyzer, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(folder))
        (folder / "vocabulary.json").write_text(json.dumps(self.analyzer.vocabulary, ensure_ascii=False))
        (folder / "n_docs.json").write_text(json.dumps(self.n_docs))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder))
        vocab = Counter(json.loads((folder / "vocabulary.json").read_text()))
        return cls(retriever, Analyzer(vocab), json.loads((folder / "n_docs.json").read_text()))

    def query_terms(self, query: str) -> tuple[list[str], dict[str, list[str]]]:
        """Index terms of a query; unknown words are replaced by the nearest known terms (typos)."""
        from rapidfuzz import fuzz, process

        terms: list[str] = []
        corrections: dict[str, list[str]] = {}
        for w in words(query):
            if w in STOPWORDS or len(w) < 2:
                continue
            t = stem(w)
            if t in self._known or not self._choices or len(t) < 4:
                terms.append(t)
                terms.extend(p for p in self.analyzer.compound_parts(w) if p in self._known)
                continue
            cutoff = 80 if len(t) >= 7 else 85
            near = process.extract(t, self._choices, scorer=fuzz.ratio, limit=3, score_cutoff=cutoff)
            fixed = [m[0] for m in near if abs(len(m[0]) - len(t)) <= 2]
            parts = [p for p in self.analyzer.compound_parts(w) if p in self._known]
            if fixed:
                corrections[w] = fixed
                terms.extend(fixed[:2])
            terms.extend(parts)
            if not fixed and not parts:
                terms.append(t)
        return terms, corrections

    def document_frequency(self, term: str) -> int:
        return int((self.scores([term]) > 0).sum()) if term in self._known else 0

    def scores(self, terms: list[str]) -> np.ndarray:
        known = [t for t in terms if t in self._known]
        if not known or not self.n_docs:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)


def term_matches(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of the words in `text` whose index term (or compound part) is in `terms`."""
    spans = []
    for m in re.finditer(r"[A-Za-zÆØÅæøåéÉ0-9§]+", text):
        w = m.group(0).lower()
        if w in STOPWORDS or len(w) < 2:
            continue
        s = stem(w)
        if s in terms or fold(w) in terms or any(len(t) >= 4 and t in s for t in terms):
            spans.append(m.span())
    return spans
