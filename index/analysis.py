"""Danish text analysis for the lexical index: what a word becomes before BM25 sees it.

Danish needs more than a stemmer:
- compounds: `førtidspension` must be found by `pension`, so a long word also yields its head
  (and modifier) when both parts are words of the collection;
- æ, ø, å typed as `ae`, `oe`, `aa` or plain `a`, `o` (`hjemlose`): every term is folded the same
  way in documents and queries;
- typos: a query word the collection does not know is replaced by its nearest known words.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import Stemmer
from spacy.lang.da.stop_words import STOP_WORDS

_TOKEN = re.compile(r"[a-zæøåéäöü0-9§]+(?:-[a-zæøå0-9]+)*", re.IGNORECASE)
_FOLD = str.maketrans({"æ": "a", "ø": "o", "å": "a", "é": "e", "ä": "a", "ö": "o", "ü": "u"})
STOPWORDS = frozenset(w.lower() for w in STOP_WORDS) | {"kr", "mio", "mia", "pct", "jf", "bl", "mv", "ca", "stk"}
_LINKING = ("s", "e")
MIN_PART = 4


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("danish")


def fold(term: str) -> str:
    """`hjemløse`, `hjemloese` and `hjemlose` all become `hjemlose`."""
    term = term.lower()
    term = term.replace("aa", "a").replace("ae", "a").replace("oe", "o")
    return term.translate(_FOLD)


def words(text: str) -> list[str]:
    """Lower-case word tokens; hyphenated words are kept and also split into their parts."""
    out: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        word = match.group(0)
        if "-" in word:
            out.extend(p for p in word.split("-") if p)
            out.append(word.replace("-", ""))
        else:
            out.append(word)
    return out


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return fold(_stemmer().stemWord(word))


class Analyzer:
    """Turns text into index terms. `vocabulary` (stem -> count) enables decompounding."""

    def __init__(self, vocabulary: Counter[str] | None = None) -> None:
        self.vocabulary: Counter[str] = vocabulary or Counter()
        self._split_cache: dict[str, list[str]] = {}

    @staticmethod
    def base_terms(text: str) -> list[str]:
        return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]

    def compound_parts(self, word: str) -> list[str]:
        """Known stems a long word is made of: head first. `førtidspension` -> [pension, fortid]."""
        if len(word) < 2 * MIN_PART or not self.vocabulary:
            return []
        cached = self._split_cache.get(word)
        if cached is not None:
            return cached
        parts: list[str] = []
        lower = word.lower()
        for i in range(MIN_PART, len(lower) - MIN_PART + 1):
            head, modifier = lower[i:], lower[:i]
            head_stem = stem(head)
            if self.vocabulary.get(head_stem, 0) < 2:
                continue
            mod = modifier[:-1] if modifier.endswith(_LINKING) and len(modifier) > MIN_PART else modifier
            mod_stem = stem(mod)
            # A known head of five letters or more is evidence enough; a short head needs a known modifier.
            if len(head_stem) >= 5 or self.vocabulary.get(mod_stem, 0) >= 1:
                parts = [head_stem, mod_stem]
                break
        self._split_cache[word] = parts
        return parts

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        for w in words(text):
            if w in STOPWORDS or len(w) < 2:
                continue
            out.append(stem(w))
            out.extend(self.compound_parts(w))
        return out


def build_vocabulary(texts: list[str]) -> Counter[str]:
    vocab: Counter[str] = Counter()
    for text in texts:
        vocab.update(set(Analyzer.base_terms(text)))
    return vocab
