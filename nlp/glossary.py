"""English words and phrases of municipal life, with the Danish words a referat uses for them.

An English query over Danish minutes shares few words with them ("traffic noise from the
motorway" / "trafikstøj fra motorvejen"); the dense side understands some of it, the lexical side
none. `translate` turns an English query into its words with their Danish translations from the
bundled glossary (`nlp/resources/glossary-en-da.tsv`, written for the project), matching two-word
phrases before single words and comparing English words by their Snowball stem ("fees" finds
"fee"). English stop words are left out; a word the glossary lacks stays as it is (a name, or a
loanword such as "Housing First").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import Stemmer
from spacy.lang.en.stop_words import STOP_WORDS

from nlp.errors import ReferatError

RESOURCE = Path(__file__).resolve().parent / "resources" / "glossary-en-da.tsv"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: spaCy's English stop words, less those that name things in a municipality ("Housing First",
#: "amount", "a water well", "the first/last meeting").
STOP = frozenset(STOP_WORDS) - {
    "amount", "back", "bottom", "call", "empty", "first", "front", "full", "keep", "last", "move", "name",
    "part", "serious", "show", "side", "top", "well",
}  # fmt: skip


class GlossaryError(ReferatError):
    """The bundled glossary is missing or malformed."""

    status_code = 500


@dataclass(frozen=True)
class Translated:
    """One English word or phrase of a query and its Danish words (empty: not in the glossary)."""

    english: str
    danish: tuple[str, ...]


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _key(words: list[str]) -> str:
    return " ".join(_stemmer().stemWords(words))


@lru_cache(maxsize=4)
def load(path: Path = RESOURCE) -> dict[str, tuple[str, ...]]:
    """Stemmed English key (one or two words) -> Danish words. Lines: `english<TAB>dansk,dansk`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GlossaryError(f"ordlisten {path} kan ikke læses ({exc.strerror}); installér pakken igen") from exc
    table: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        english, sep, rest = line.partition("\t")
        danish = tuple(d.strip().lower() for d in rest.split(",") if d.strip())
        if not sep or not english.strip() or not danish:
            raise GlossaryError(f"ordlisten {path.name}, linje {number}: forventede 'english<TAB>dansk,...'")
        key = _key(_WORD.findall(english.lower()))
        table[key] = tuple(dict.fromkeys([*table.get(key, ()), *danish]))
    return table


def translate(query: str, *, path: Path = RESOURCE) -> list[Translated]:
    """The query's content words (two-word glossary phrases joined), each with its Danish words."""
    table = load(path)
    tokens = _WORD.findall(query.lower())
    out: list[Translated] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens):
            pair = _key(tokens[i : i + 2])
            if pair in table:
                out.append(Translated(" ".join(tokens[i : i + 2]), table[pair]))
                i += 2
                continue
        word = tokens[i].split("'")[0]  # "greve's" -> "greve"
        i += 1
        if word in STOP:
            continue
        out.append(Translated(word, table.get(_key([word]), ())))
    return out
