"""Danish synonyms for query expansion, from a small bundled list.

`expand("højvande")` -> `["oversvømmelse"]`: words a referat may use for what the user typed. The
list (`nlp/resources/synonyms-da.tsv`) is derived by `bench/derive_synonyms.py` from LibreOffice's
Danish thesaurus (Debian `mythes-da`), restricted to mutual single-word pairs whose added word is
used in municipal text; see `nlp/resources/NOTICE.md` for its licence. Expansion is for recall on
paraphrases; a caller should weight expanded words below the user's own (see the figures in
`nlp/resources/README-synonyms.md` before turning it on by default).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from nlp.errors import ReferatError
from nlp.wordlist import read_word_list

RESOURCE = Path(__file__).resolve().parent / "resources" / "synonyms-da.tsv"


class SynonymResourceError(ReferatError):
    """The bundled synonym list is missing or malformed."""

    status_code = 500


@lru_cache(maxsize=4)
def load(path: Path = RESOURCE) -> dict[str, tuple[str, ...]]:
    """Word -> synonyms. Lines: `word<TAB>syn,syn`; `#` starts a comment."""
    rows = read_word_list(
        path,
        error=SynonymResourceError,
        label="synonymlisten",
        hint="installér pakken igen eller dan den med bench/derive_synonyms.py",
    )
    return {word.lower(): synonyms for word, synonyms in rows}


def expand(word: str, *, path: Path = RESOURCE) -> list[str]:
    """Synonyms of `word` (case-insensitive), best first; `[]` when it has none."""
    return list(load(path).get(word.strip().lower(), ()))
