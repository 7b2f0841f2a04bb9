"""Canonical section names and the small facts readers extract from punkter.

One place decides what counts as a section heading, a case-type prefix, a journal number and
an absence sentence, so that every reader agrees.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from nlp import closed
from nlp.model import JournalNumber, Punkt

# Heading as written (lower-cased, trailing colon removed) -> canonical name.
CANONICAL_SECTIONS: dict[str, str] = {
    "resume": "Resume",
    "resumé": "Resume",
    "sagsresume": "Resume",
    "sagsresumé": "Resume",
    "effekt": "Effekt",
    "indstilling": "Indstilling",
    "beslutning": "Beslutning",
    "beslutninger": "Beslutning",
    "sagsfremstilling": "Sagsfremstilling",
    "økonomi": "Økonomi",
    "bilag": "Bilag",
    "initiativretsforslag": "Initiativretsforslag",
    "indstilling fra forslagsstiller": "Indstilling fra forslagsstiller",
    "forvaltningens belysning": "Forvaltningens belysning",
}

# FirstAgenda headings that mean the same as an Odense section.
FIRSTAGENDA_SECTIONS: dict[str, str] = {
    **CANONICAL_SECTIONS,
    "sagsbeskrivelse": "Sagsfremstilling",
    "fremstilling": "Sagsfremstilling",
    "økonomiske konsekvenser": "Økonomi",
}

CASE_TYPE = re.compile(r"^(?P<type>[A-E]-sag|Lukket)\s*:\s*", re.IGNORECASE)

JOURNAL = re.compile(
    r"(?<![\d.])(?P<kle>\d{2}\.\d{2}\.\d{2})-(?P<facet>[A-ZÆØÅ]\d{2})-(?P<serial>\d+)-(?P<year>\d{2})(?!\d)"
)
#: `deltog ikke` is found first; the names are then read backwards from it (see `_names_before`).
#: The one-regex form `(?:Name(?:\s+(?:Name|og|,))*?)\s+deltog` was quadratic: 8,000
#: capitalised words without a `deltog` took 10 s.
_DELTOG_IKKE = re.compile(r"\s+deltog\s+ikke\b[^.\n]*\.?")
_NAME_TOKEN = re.compile(r"[A-ZÆØÅ][\w.\-]+|og|,")
_TOKEN = re.compile(r"\S+")
#: Names of absent members are never more than this many words before `deltog ikke`.
_MAX_NAME_TOKENS = 40
_ABSENT_TITLES = re.compile(
    r"^(?:Udvalgsmedlem(?:merne|met)?|Medlem(?:merne)?|Rådmand(?:en)?|Rådmændene|Borgmester(?:en)?|"
    r"Formand(?:en)?|Næstformand(?:en)?|Byrådsmedlem(?:merne)?)\s+"
)
_FRAVAERENDE = re.compile(r"(?:Fraværende|Afbud)\s*:\s*(?P<who>[^\n]+)", re.IGNORECASE)


# -- the vocabulary of Danish minutes in general (data: nlp/resources/minutes/) ------------------
_MINUTES_DIR = Path(__file__).resolve().parent / "resources" / "minutes"


@lru_cache(maxsize=1)
def _minutes_vocabulary() -> tuple[dict[str, str], tuple[tuple[re.Pattern[str], str], ...]]:
    exact = {k: v[0] for k, v in _read_tsv(_MINUTES_DIR / "sections.tsv")}
    patterns = tuple((re.compile(k), v[0]) for k, v in _read_tsv(_MINUTES_DIR / "section_patterns.tsv"))
    return exact, patterns


def _read_tsv(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("\t")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{path.name}, linje {number}: forventede 'overskrift<TAB>navn'")
        rows.append((key.strip(), (value.strip(),)))
    return rows


def minutes_section(heading: str, *, exact_only: bool = False) -> str | None:
    """The canonical section a heading of any Danish minutes names (`Beslutninger`, `Udvalgets
    beslutning den 04.12.2012`, `Sagsbeskrivelse` ...), or None; the vocabulary is data.
    `exact_only`: only a heading of the list as it stands, not one of the patterns."""
    key = re.sub(r"\s+", " ", heading.strip().rstrip(":").strip()).lower()
    if not key or len(key) > 200:
        return None
    exact, patterns = _minutes_vocabulary()
    if key in exact or exact_only:
        return exact.get(key)
    for pattern, name in patterns:
        if pattern.match(key):
            return name
    return None


# -- case numbers of every system ------------------------------------------------------------------
#: KLE journal numbers (Odense `27.15.12-Ø40-53-19`), FirstAgenda/Aarhus `EMN-2025-008308`, eDoc
#: `2012-28504` (and document numbers `2012-203438`), Acadre `12/27845`.
CASE_NUMBER = re.compile(
    r"(?<![\w.-])(?:"
    r"(?P<kle>\d{2}\.\d{2}\.\d{2})-(?P<facet>[A-ZÆØÅ]\d{2})-(?P<serial>\d+)-(?P<year>\d{2})(?!\d)"
    r"|[A-ZÆØÅ]{2,5}-(?:19|20)\d{2}-\d{3,9}(?:-\d{1,4})?(?![\d-])"
    r"|(?:19|20)\d{2}-(?!(?:19|20)\d{2}(?!\d))\d{3,9}(?:-\d{1,4})?(?![\d.-])"
    r"|\d{2}/\d{3,9}(?![\d/])"
    r")"
)
#: The label a case number stands after: `Sagsnr.:`, `Sagsnummer`, `J.nr.`, `Emnenr.`.
CASE_LABEL = re.compile(
    r"^(?:sags?\s?nr|sagsnummer|sag nr|j\.\s?nr|journal\s?nr|journalnummer|emne\s?nr|acadre\s?nr|dok\.?\s?nr)"
    r"\.?\s*:?\s*",
    re.IGNORECASE,
)


_LABELLED_ID = re.compile(r"[\w./-]*\d[\w./-]*")


def parse_case_number(text: str) -> JournalNumber | None:
    """The first case number of any system in `text`; a KLE journal number keeps its parts. After
    a label (`Sagsnr.: 200906126`) the id is whatever the system wrote there."""
    text = text[:500].strip()
    match = CASE_NUMBER.search(text)
    rest = CASE_LABEL.sub("", text, count=1)
    if (
        rest is not text
        and (labelled := _LABELLED_ID.match(rest))
        and not (match and match.start() == len(text) - len(rest))
    ):
        return JournalNumber(raw=labelled.group(0).rstrip(".,"))
    if not match:
        return None
    if match.group("kle"):
        return JournalNumber(raw=match.group(0), **{k: match.group(k) for k in ("kle", "facet", "serial", "year")})
    return JournalNumber(raw=match.group(0))


def is_case_line(line: str) -> bool:
    """A short line that holds a punkt's case number: `EMN-2025-008308`, `Sagsnr.: 2012-28504`."""
    line = line.strip()
    if not line or len(line) > 120:
        return False
    rest = CASE_LABEL.sub("", line, count=1)
    if rest is not line and not rest and line.rstrip().endswith(":"):
        return True  # `Sagsnr.:` with the number left empty still marks a punkt's case line
    if rest is not line:
        return bool(_LABELLED_ID.match(rest))  # after a label, the id is what the system wrote
    match = CASE_NUMBER.match(rest)
    return bool(match) and len(rest) - match.end() < 40


def canonical_section(heading: str, vocabulary: dict[str, str] = CANONICAL_SECTIONS) -> str | None:
    key = re.sub(r"\s+", " ", heading.strip().rstrip(":").strip()).lower()
    return vocabulary.get(key)


def split_case_type(title: str) -> tuple[str | None, str]:
    """`B-sag: Afrapportering ...` -> ("B-sag", title). The title keeps its prefix, as written."""
    if closed.is_closed(title):
        return "Lukket", title
    match = CASE_TYPE.match(title)
    if not match:
        return None, title
    kind = match.group("type")
    kind = "Lukket" if kind.lower() == "lukket" else kind[0].upper() + "-sag"
    return kind, title


def cap_sections(punkt: Punkt, limit: int | None = None, total: int | None = None) -> list[str]:
    """Cut sections longer than `limit` characters and stop the punkt at `total`, noting each cut
    in the text and returning one warning per cut. Nothing larger reaches the NLP pipeline
    (spaCy refuses texts over a million characters; a 50 MB text once ended in a traceback)."""
    from nlp.settings import settings
    from nlp.text import cap_text

    limit = settings.max_section_chars if limit is None else limit
    total = settings.max_punkt_chars if total is None else total
    warnings: list[str] = []
    used = 0
    for section in punkt.sections:
        room = max(0, min(limit, total - used))
        section.text, left_out = cap_text(section.text, max(room, 1000))
        if left_out:
            warnings.append(f"punkt {punkt.number}, {section.name}: afsnittet er afkortet ({left_out} tegn udeladt)")
        used += len(section.text)
    return warnings


def parse_journal(text: str) -> JournalNumber | None:
    match = JOURNAL.search(text)
    if not match:
        return None
    return JournalNumber(raw=match.group(0), **{k: match.group(k) for k in ("kle", "facet", "serial", "year")})


def _split_names(who: str) -> list[str]:
    who = _ABSENT_TITLES.sub("", who.strip())
    parts = re.split(r"\s*,\s*|\s+og\s+", who)
    return [p.strip(" .") for p in parts if p.strip(" .") and p[:1].isupper()]


def absence_sentences(text: str) -> list[tuple[str, list[str]]]:
    """Sentences saying who did not take part, with the names: `X og Y deltog ikke i mødet.`"""
    found: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        for match in _DELTOG_IKKE.finditer(line):
            start = _names_before(line, match.start())
            if start is None:
                continue
            names = _split_names(line[start : match.start()])
            if names:
                found.append((line[start : match.end()].strip(), names))
        for match in _FRAVAERENDE.finditer(line):
            names = _split_names(match.group("who"))
            if names:
                found.append((match.group(0).strip(), names))
    return found


def _names_before(line: str, end: int) -> int | None:
    """Where the run of names (capitalised words, `og`, commas) that ends at `end` starts.

    Reads at most `_MAX_NAME_TOKENS` words back, so each `deltog ikke` costs a bounded amount.
    """
    window_start = max(0, end - 40 * _MAX_NAME_TOKENS)
    tokens = list(_TOKEN.finditer(line, window_start, end))[-_MAX_NAME_TOKENS:]
    start = None
    for token in reversed(tokens):
        parts = [t for t in re.split(r"(,)", token.group()) if t]
        if not all(_NAME_TOKEN.fullmatch(p) for p in parts):
            break
        # The run starts at a name, never at `og` or a comma.
        offset = token.start()
        for part in parts:
            if part[:1].isupper():
                start = offset
                break
            offset += len(part)
    return start


def absent_names(text: str) -> tuple[list[str], list[str]]:
    """Names absent according to a decision text, and the sentences that say so, in order."""
    names: list[str] = []
    notes: list[str] = []
    for sentence, who in absence_sentences(text):
        notes.append(sentence)
        names.extend(n for n in who if n not in names)
    return names, notes
