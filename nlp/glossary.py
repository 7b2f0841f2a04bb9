"""Word lists that give a query the words municipal minutes use: English -> Danish, everyday -> official.

A query often shares few words with the minutes it is after: in English ("traffic noise from the
motorway" / "trafikstøj fra motorvejen") or in a citizen's Danish ("gadelys" / "vejbelysning",
"ombudsmand" / "borgerrådgiver"). The dense side understands some of it, the lexical side none.
Two bundled lists, both written for the project, close part of the gap:
- `glossary-en-da.tsv`: English words and phrases with their Danish words (`translate`);
- `paraphrases-da.tsv`: everyday Danish words and phrases with the words of minutes (`officialese`).
Both match phrases of up to three words before single words and compare words by their Snowball
stem ("fees" finds "fee", "gadelyset" finds "gadelys"). Stop words are left out of `translate`; a
word a list lacks stays as it is (a name, or a loanword such as "Housing First").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.analysis import snowball
from nlp.errors import ReferatError
from nlp.wordlist import read_word_list, spacy_stop_words

RESOURCES = Path(__file__).resolve().parent / "resources"
RESOURCE = RESOURCES / "glossary-en-da.tsv"
PARAPHRASES = RESOURCES / "paraphrases-da.tsv"
_WORD = re.compile(r"[a-zæøåéäöü0-9]+(?:'[a-z]+)?")
#: spaCy's English stop words, less those that name things in a municipality ("Housing First",
#: "amount", "a water well", "the first/last meeting").
STOP = spacy_stop_words("en") - {
    "amount", "back", "bottom", "call", "empty", "first", "front", "full", "keep", "last", "move", "name",
    "part", "serious", "show", "side", "top", "well",
}  # fmt: skip
MAX_PHRASE = 3


class GlossaryError(ReferatError):
    """A bundled word list is missing or malformed."""

    status_code = 500


@dataclass(frozen=True)
class Translated:
    """One word or phrase of a query and the words the minutes use for it (empty: not in the list)."""

    english: str  # the query's own word or phrase (English for `translate`, Danish for `officialese`)
    danish: tuple[str, ...]


def _key(words: list[str], language: str) -> str:
    return " ".join(snowball(language).stemWords(words))


@lru_cache(maxsize=8)
def load(path: Path = RESOURCE, language: str = "english") -> dict[str, tuple[str, ...]]:
    """Stemmed key (one to three words) -> the minutes' words. Lines: `word or phrase<TAB>ord,ord`."""
    table: dict[str, tuple[str, ...]] = {}
    for source, targets in read_word_list(path, error=GlossaryError, label="ordlisten", hint="installér pakken igen"):
        target = tuple(t.lower() for t in targets)
        words = _WORD.findall(source.lower())
        # Snowball stems a base form and its inflections apart at times ("gadelys" -> gadely, but
        # "gadelyset" -> gadelys): the list's words are kept both as written and stemmed.
        for key in dict.fromkeys([" ".join(words), _key(words, language)]):
            table[key] = tuple(dict.fromkeys([*table.get(key, ()), *target]))
    return table


def _match(tokens: list[str], table: dict[str, tuple[str, ...]], language: str) -> list[tuple[int, int, tuple]]:
    """(start, end, words) of the longest listed phrase at each position, left to right."""
    found = []
    i = 0
    while i < len(tokens):
        for n in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
            words = tokens[i : i + n]
            key = next((k for k in (" ".join(words), _key(words, language)) if k in table), None)
            if key is not None:
                found.append((i, i + n, table[key]))
                i += n
                break
        else:
            found.append((i, i + 1, ()))
            i += 1
    return found


def translate(query: str, *, path: Path = RESOURCE) -> list[Translated]:
    """An English query's content words (listed phrases joined), each with its Danish words."""
    tokens = [w.split("'")[0] for w in _WORD.findall(query.lower())]  # "greve's" -> "greve"
    table = load(path, "english")
    out = []
    for start, end, danish in _match(tokens, table, "english"):
        words = tokens[start:end]
        if not danish and words[0] in STOP:
            continue
        out.append(Translated(" ".join(words), danish))
    return out


def officialese(query: str, *, path: Path = PARAPHRASES) -> list[Translated]:
    """The everyday Danish words and phrases of a query that minutes say otherwise, with their words."""
    tokens = _WORD.findall(query.lower())
    table = load(path, "danish")
    return [Translated(" ".join(tokens[s:e]), words) for s, e, words in _match(tokens, table, "danish") if words]
