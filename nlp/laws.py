"""Law references: `§ 34 i lov om aktiv socialpolitik`, `servicelovens § 108`, `§ 2, stk. 2, i Forretningsordenen`."""

from __future__ import annotations

import re

from nlp.model import LawRef

_LAW_NAME = (
    r"(?:lov om [a-zæøå][a-zæøå\- ]{2,60}?(?=[.,;:)\n]|\s(?:og|eller|samt|hvor|som|der|at|og)\s|$)"
    r"|(?<![A-ZÆØÅa-zæøå\-])[A-ZÆØÅa-zæøå\-]{0,40}(?:loven|lov|ordningen|bekendtgørelsen|Forretningsorden(?:en)?|styrelsesloven))"
)
_PARAGRAPH = (
    r"§§?\s?(?P<par>\d+[a-z]?(?![a-zæøå])(?:\s?(?:-|–|og)\s?\d+[a-z]?(?![a-zæøå]))?)"
    r"(?:,?\s?stk\.\s?(?P<stk>\d+(?:\s?(?:-|–|og)\s?\d+)?))?"
)
_AFTER = re.compile(_PARAGRAPH + rf"(?:,?\s(?:i|efter|jf\.?|jævnfør|ifølge)\s(?P<law>{_LAW_NAME}))?")
_GENITIVE_BEFORE = re.compile(
    # The word is bounded and starts a word: `[...]+lovens` rescanned a 200,000-letter "word" from
    # every position (quadratic; one hostile section held ingest for over an hour).
    r"(?P<gen>(?<![A-ZÆØÅa-zæøå\-])[A-ZÆØÅa-zæøå\-]{1,40}(?:lovens|ordningens|bekendtgørelsens|forretningsordens))\s"
    + _PARAGRAPH
)


def _base_form(genitive: str) -> str:
    """`servicelovens` -> `serviceloven`."""
    return genitive[:-1] if genitive.endswith("s") else genitive


def find_laws(text: str, section: str = "") -> list[LawRef]:
    refs: list[LawRef] = []
    taken: list[tuple[int, int]] = []
    for m in _GENITIVE_BEFORE.finditer(text):
        refs.append(_ref(m, _base_form(m.group("gen")).lower(), section))
        taken.append(m.span())
    for m in _AFTER.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        law = m.group("law")
        refs.append(_ref(m, law.strip().lower() if law else None, section))
    refs.sort(key=lambda r: r.start)
    return refs


def _ref(m: re.Match[str], law: str | None, section: str) -> LawRef:
    norm = re.sub(r"\s+(?:og|eller|samt)$", "", re.sub(r"\s+", " ", law).strip()) if law else None
    par = re.sub(r"\s+", " ", m.group("par")).strip()
    stk = re.sub(r"\s+", " ", m.group("stk")).strip() if m.group("stk") else None
    return LawRef(m.group(0).strip(), norm, par, stk, m.start(), m.end(), section)
