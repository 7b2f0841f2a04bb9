"""The bundled word lists' one file format: `word or phrase<TAB>word,word,...`, `#` starts a comment.

Used by the synonym list (`nlp/synonyms.py`) and the two query word lists (`nlp/glossary.py`), so a
malformed line is reported the same way, with its file and line number, whichever list it is in.
"""

from __future__ import annotations

from pathlib import Path

from nlp.errors import ReferatError


def read_word_list(
    path: Path, *, error: type[ReferatError], label: str, hint: str
) -> list[tuple[str, tuple[str, ...]]]:
    """(left side, right-side words) per line, stripped; `error` for an unreadable file or a bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{label} {path} kan ikke læses ({exc.strerror}); {hint}") from exc
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        source, sep, rest = line.partition("\t")
        targets = tuple(t.strip() for t in rest.split(",") if t.strip())
        if not sep or not source.strip() or not targets:
            raise error(f"{label} {path.name}, linje {number}: forventede 'ord<TAB>ord,...'")
        rows.append((source.strip(), targets))
    return rows


def spacy_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop word list for `lang`, read from its source file without importing spaCy: importing
    spaCy imports thinc and torch (over a second), which a search or `referat show` never needs."""
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        raise ReferatError("spaCy er ikke installeret; installer Referat igen med 'pip install -e .'")
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / lang / "stop_words.py"
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # a set literal, no imports
    return frozenset(namespace["STOP_WORDS"])
