"""Canonical section names and the small facts readers extract from punkter.

One place decides what counts as a section heading, a case-type prefix, a journal number and
an absence sentence, so that every reader agrees.
"""

from __future__ import annotations

import re

from nlp.model import JournalNumber

# Heading as written (lower-cased, trailing colon removed) -> canonical name.
CANONICAL_SECTIONS: dict[str, str] = {
    "resume": "Resume",
    "resumé": "Resume",
    "sagsresume": "Resume",
    "sagsresumé": "Resume",
    "effekt": "Effekt",
    "indstilling": "Indstilling",
    "beslutning": "Beslutning",
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
_ABSENT = re.compile(r"(?P<who>(?:[A-ZÆØÅ][\w.\-]+(?:\s+(?:[A-ZÆØÅ][\w.\-]+|og|,))*?))\s+deltog\s+ikke\b[^.\n]*\.?")
_ABSENT_TITLES = re.compile(
    r"^(?:Udvalgsmedlem(?:merne|met)?|Medlem(?:merne)?|Rådmand(?:en)?|Rådmændene|Borgmester(?:en)?|"
    r"Formand(?:en)?|Næstformand(?:en)?|Byrådsmedlem(?:merne)?)\s+"
)
_FRAVAERENDE = re.compile(r"(?:Fraværende|Afbud)\s*:\s*(?P<who>[^\n]+)", re.IGNORECASE)


def canonical_section(heading: str, vocabulary: dict[str, str] = CANONICAL_SECTIONS) -> str | None:
    key = re.sub(r"\s+", " ", heading.strip().rstrip(":").strip()).lower()
    return vocabulary.get(key)


def split_case_type(title: str) -> tuple[str | None, str]:
    """`B-sag: Afrapportering ...` -> ("B-sag", title). The title keeps its prefix, as written."""
    match = CASE_TYPE.match(title)
    if not match:
        return None, title
    kind = match.group("type")
    kind = "Lukket" if kind.lower() == "lukket" else kind[0].upper() + "-sag"
    return kind, title


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
        for match in _ABSENT.finditer(line):
            names = _split_names(match.group("who"))
            if names:
                found.append((match.group(0).strip(), names))
        for match in _FRAVAERENDE.finditer(line):
            names = _split_names(match.group("who"))
            if names:
                found.append((match.group(0).strip(), names))
    return found


def absent_names(text: str) -> tuple[list[str], list[str]]:
    """Names absent according to a decision text, and the sentences that say so, in order."""
    names: list[str] = []
    notes: list[str] = []
    for sentence, who in absence_sentences(text):
        notes.append(sentence)
        names.extend(n for n in who if n not in names)
    return names, notes
