"""Danish text analysis, one owner for every layer: what a word becomes before BM25 sees it, the
Snowball stemmers the glossary keys with, and the light stemmer answers match sentences with.

Danish needs more than a stemmer:
- compounds: `førtidspension` must be found by `pension`, so a long word also yields its head
  (and modifier) when both are Danish words. "Danish word" means a stem of the fixed lexicon in
  `nlp/resources/lexicon` (not the collection's vocabulary), so a document's index terms depend
  on the document alone and the index grows one document at a time;
- æ, ø, å typed as `ae`, `oe`, `aa` or plain `a`, `o` (`hjemlose`): every term is folded the same
  way in documents and queries;
- typos: a query word the collection does not know is replaced by its nearest known words
  (`index.lexical`).
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import Stemmer

from nlp.wordlist import spacy_stop_words

LEXICON = Path(__file__).resolve().parent / "resources" / "lexicon" / "da_stems.txt"
_TOKEN = re.compile(r"[a-zæøåéäöü0-9§]+(?:-[a-zæøå0-9]+)*", re.IGNORECASE)
_FOLD = str.maketrans({"æ": "a", "ø": "o", "å": "a", "é": "e", "ä": "a", "ö": "o", "ü": "u"})
_DANISH_STOP = spacy_stop_words("da")
STOPWORDS = frozenset(w.lower() for w in _DANISH_STOP) | {"kr", "mio", "mia", "pct", "jf", "bl", "mv", "ca", "stk"}
#: Numbers written as words in Danish ("i ni år", "halvandet år"), as minutes and questions write them.
DANISH_NUMBER_WORDS = {
    "en": 1.0, "et": 1.0, "to": 2.0, "tre": 3.0, "fire": 4.0, "fem": 5.0, "seks": 6.0, "syv": 7.0, "otte": 8.0,
    "ni": 9.0, "ti": 10.0, "elleve": 11.0, "tolv": 12.0, "halvandet": 1.5,
}  # fmt: skip
#: ... and in English, for questions asked in English ("the past two years").
NUMBER_WORDS = {
    **DANISH_NUMBER_WORDS,
    "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0, "seven": 7.0, "eight": 8.0,
    "nine": 9.0, "ten": 10.0, "eleven": 11.0, "twelve": 12.0,
}  # fmt: skip
_LINKING = ("s", "e")
MIN_PART = 4


@lru_cache(maxsize=4)
def snowball(language: str = "danish") -> Stemmer.Stemmer:
    """The Snowball stemmer of a language: Danish for the index, English for the glossary's keys."""
    return Stemmer.Stemmer(language)


#: Inflection endings `light_stem` takes off, longest first.
_ENDINGS = ("erne", "ende", "ene", "ede", "ets", "ers", "er", "en", "et", "es", "e", "s", "t")


def light_stem(word: str) -> str:
    """Danish inflection endings off ("borgerne" -> "borg", "rammebesparelsen" -> "rammebesparels"),
    never below four letters: for finding a question's words in a sentence (`index.answers`), where
    a prefix match on this stem is safer than Snowball's shorter stems. Never a cut to a fixed
    length: "budgetgaranti" must not meet "budgettet"."""
    word = word.lower()
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=1)
def lexicon() -> frozenset[str]:
    """Folded stems of Danish lemmas: the words a compound may be split into."""
    return frozenset(LEXICON.read_text(encoding="utf-8").split())


@lru_cache(maxsize=200_000)
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
    return fold(snowball().stemWord(word))


@lru_cache(maxsize=200_000)
def compound_split(word: str) -> int:
    """Where a long word's head begins (`førtidspension` -> 7, at `pension`); 0 if it is no compound.

    The head is the longest Danish word the compound ends with; a short head (< 5 letters) also
    needs a Danish modifier, since short words end many words by chance.
    """
    lower = word.lower()
    if len(lower) < 2 * MIN_PART:
        return 0
    known = lexicon()
    for i in range(MIN_PART, len(lower) - MIN_PART + 1):
        head_stem = stem(lower[i:])
        if len(head_stem) < MIN_PART or head_stem not in known or head_stem == stem(lower):
            continue
        if len(head_stem) >= 5 or stem(_modifier(lower[:i])) in known:
            return i
    return 0


def _modifier(part: str) -> str:
    return part[:-1] if part.endswith(_LINKING) and len(part) > MIN_PART else part


@lru_cache(maxsize=200_000)
def compound_parts(word: str) -> tuple[str, ...]:
    """Stems a long word is made of, head first: `førtidspension` -> (pension, fortid); () if none."""
    lower = word.lower()
    i = compound_split(lower)
    return (stem(lower[i:]), stem(_modifier(lower[:i]))) if i else ()


def compound_head(word: str, *, known_modifier: bool = False) -> str | None:
    """A compound's head as written (`valgperioden` -> `perioden`), None for no compound; with
    `known_modifier`, only where the modifier is a Danish word too (not `fundamental` -> `mental`)."""
    i = compound_split(word)
    if not i or (known_modifier and stem(_modifier(word[:i])) not in lexicon()):
        return None
    return word[i:]


def compound_heads(text: str) -> list[str]:
    """The heads of the text's compounds as written (`anlægsbevilling` -> `bevilling`), where the
    modifier is a Danish word too: what a word list matched at word starts finds inside a compound
    as well."""
    return [h for w in words(text) if (h := compound_head(w, known_modifier=True))]


def terms(text: str) -> list[str]:
    """Index terms of a text: each word's stem, then its compound parts."""
    out: list[str] = []
    for w in words(text):
        if w in STOPWORDS or len(w) < 2:
            continue
        out.append(stem(w))
        out.extend(compound_parts(w))
    return out


def build_lexicon() -> int:
    """Regenerate `da_stems.txt` from spacy-lookups-data's Danish lemma table (MIT)."""
    from spacy.lookups import load_lookups

    table = load_lookups("da", ["lemma_lookup"]).get_table("lemma_lookup")
    lemmas = {v.lower() for v in table.values() if isinstance(v, str) and v.isalpha() and len(v) >= 3}
    stems = sorted({stem(w) for w in lemmas if len(stem(w)) >= 3})
    LEXICON.write_text("\n".join(stems) + "\n", encoding="utf-8")
    return len(stems)


if __name__ == "__main__" and "--build-lexicon" in sys.argv:
    print(f"stems={build_lexicon()}")
