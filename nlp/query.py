"""The one gate every search query passes: Unicode-normalised, cleaned and bounded.

A query is short text from anyone. NFKC comes before any length check, because one character
can expand to many (U+FDFA becomes 18), and those expansions once crashed the encoder. Control,
format, private-use and surrogate characters carry no meaning for search and are removed.
"""

from __future__ import annotations

import re
import unicodedata

from nlp.errors import BadQueryError
from nlp.settings import settings

_DROP_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}
_WHITESPACE = re.compile(r"\s+")


def normalise_query(text: str | None, *, max_chars: int | None = None, max_words: int | None = None) -> str:
    """NFKC, no control/format characters, whitespace collapsed; refused when empty or too long."""
    max_chars = settings.max_query_chars if max_chars is None else max_chars
    max_words = settings.max_query_words if max_words is None else max_words
    raw = text or ""
    if len(raw) > 4 * max_chars:  # do not even normalise a megabyte
        raise BadQueryError(f"søgningen er for lang ({len(raw)} tegn; højst {max_chars})")
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(
        " " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch) not in _DROP_CATEGORIES
    )
    text = _WHITESPACE.sub(" ", text).strip()
    if not text:
        raise BadQueryError("søgningen er tom: skriv et eller flere ord")
    if len(text) > max_chars:
        raise BadQueryError(f"søgningen er for lang ({len(text)} tegn efter normalisering; højst {max_chars})")
    words = len(text.split(" "))
    if words > max_words:
        raise BadQueryError(f"søgningen har for mange ord ({words}; højst {max_words})")
    return text
