"""Amounts in Danish official prose: money normalised to DKK, percentages, counts, years.

Danish writes `1.250.000,50 kr.`: the dot groups thousands, the comma is the decimal mark.
Scales come as words (`mio.`, `mia.`, `t.kr.`) or from a table header (`(1.000 kr.)`, `Mio. kr.`).
"""

from __future__ import annotations

import re

from nlp.model import Amount

NUMBER = r"[-−–]?[ ]?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?)"
_SCALE_WORDS = {
    "mio": 1e6,
    "mio.": 1e6,
    "million": 1e6,
    "millioner": 1e6,
    "mill.": 1e6,
    "mia": 1e9,
    "mia.": 1e9,
    "milliard": 1e9,
    "milliarder": 1e9,
    "mrd.": 1e9,
    "t.kr.": 1e3,
    "t. kr.": 1e3,
    "tkr.": 1e3,
    "tkr": 1e3,
    "tusind": 1e3,
    "tus.": 1e3,
    "t.": 1e3,
}
_MONEY = re.compile(
    rf"(?P<num>{NUMBER})[ \u00a0]?"
    r"(?P<scale>mio\.?|mia\.?|millioner|million|mill\.|milliarder|milliard|mrd\.|tusind|t\.[ \u00a0]?kr\.|tkr\.?)?"
    r"[ \u00a0]?(?P<cur>kr\.?|kroner|DKK)(?![a-zæøå])",
    re.IGNORECASE,
)
# Prefix form (`kr. 5.000`) only with a grouped or decimal number: `Mio. kr. 2025-pl` is a header.
_MONEY_PREFIX = re.compile(
    r"(?:kr\.|DKK)[ \u00a0]?(?P<num>[-−]?[ \u00a0]?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+))"
    r"(?:[ \u00a0]?(?P<scale>mio\.|mia\.))?(?![\d-])",
    re.IGNORECASE,
)
_SCALE_ONLY = re.compile(rf"(?P<num>{NUMBER})\s?(?P<scale>mio\.|mia\.|t\.kr\.|tkr\.)(?!\s?(?:kr|DKK))", re.IGNORECASE)
_PERCENT_POINT = re.compile(
    rf"(?P<num>{NUMBER})\s?(?:procentpoint|procent-point|%-point|%-points|pct\.?-point|pct\.? point)", re.IGNORECASE
)
_PERCENT = re.compile(rf"(?P<num>{NUMBER})\s?(?:%|pct\.?(?![-\w])|procent(?!point|-point))", re.IGNORECASE)
_PERIOD = re.compile(r"(?<![\d.,])(?P<a>(?:19|20)\d{2})\s?[-–]\s?(?P<b>(?:19|20)\d{2})(?![\d.,])")
_YEAR = re.compile(r"(?<![\d.,§-])(?P<y>(?:19|20)\d{2})(?![\d.,%-]|\s?(?:kr|mio|mia|procent|pct|t\.kr))")
_COUNT = re.compile(r"(?<![\d.,§/-])(?P<num>\d{1,3}(?:\.\d{3})+|\d+)\s(?P<what>[a-zæøå][a-zæøå\-]{2,})(?![\w])")
_NOT_COUNTED = set(
    """kr kroner mio mia procent pct procentpoint januar februar marts april maj juni juli august september
    oktober november december år måneder måned uger uge dage dag timer time minutter kvartal halvår gange gang
    og eller til af i på for med om fra ved under over mod samt stk nr jf pr ca mv klasse klasser""".split()
)
# Words after a number that are verbs or participles, not things counted ("55 reducerer", "3 vedrørende").
_VERB_LIKE = re.compile(r"(?:erer|ende|ede|ret)$|^(?:er|har|var|kan|skal|vil|får|bliver|blev|arbejder|gik|fik|ses)$")
_UNIT_HEADER = re.compile(r"\(?\s*(?P<scale>1\.000|1\.000\.000|mio\.|mia\.|t\.)\s?kr\.?\s*\)?", re.IGNORECASE)


def parse_number(text: str) -> float | None:
    text = text.replace("−", "-").replace("–", "-").replace(" ", "")
    try:
        return float(text.replace(".", "").replace(",", "."))
    except ValueError:
        return None


def _scale(word: str | None) -> float:
    if not word:
        return 1.0
    key = re.sub(r"\s+", " ", word.lower().strip())
    return _SCALE_WORDS.get(key, _SCALE_WORDS.get(key.replace(" ", ""), 1.0))


def find_amounts(text: str, section: str = "") -> list[Amount]:
    """Every amount in a text, non-overlapping, leftmost-longest, with character offsets."""
    found: list[Amount] = []
    taken = bytearray(len(text))

    def add(match: re.Match[str], value: float | None, unit: str, kind: str, what: str | None = None) -> None:
        start, end = match.span()
        while start < end and text[start] in " \t":
            start += 1
        if value is None or any(taken[start:end]):
            return
        taken[start:end] = b"\x01" * (end - start)
        found.append(Amount(text[start:end], value, unit, kind, start, end, section, what))

    for m in _MONEY.finditer(text):
        n = parse_number(m.group("num"))
        add(m, None if n is None else n * _scale(m.group("scale")), "DKK", "money")
    for m in _MONEY_PREFIX.finditer(text):
        n = parse_number(m.group("num"))
        add(m, None if n is None else n * _scale(m.group("scale")), "DKK", "money")
    for m in _SCALE_ONLY.finditer(text):
        n = parse_number(m.group("num"))
        add(m, None if n is None else n * _scale(m.group("scale")), "DKK", "money")
    for m in _PERCENT_POINT.finditer(text):
        add(m, parse_number(m.group("num")), "procentpoint", "percentage_point")
    for m in _PERCENT.finditer(text):
        add(m, parse_number(m.group("num")), "%", "percent")
    for m in _PERIOD.finditer(text):
        if int(m.group("b")) > int(m.group("a")):
            add(m, float(m.group("a")), "år", "period", f"{m.group('a')}-{m.group('b')}")
    for m in _YEAR.finditer(text):
        add(m, float(m.group("y")), "år", "year")
    for m in _COUNT.finditer(text):
        what = m.group("what")
        if what.lower() in _NOT_COUNTED or _VERB_LIKE.search(what.lower()):
            continue
        value = parse_number(m.group("num"))
        if value is not None and not (1900 <= value <= 2100 and "." not in m.group("num")):
            add(m, value, "antal", "count", what)
    found.extend(_table_amounts(text, section, taken))
    found.sort(key=lambda a: a.start)
    return found


def _table_amounts(text: str, section: str, taken: bytearray) -> list[Amount]:
    """Bare numbers in tab-separated table rows whose header row names the money unit."""
    out: list[Amount] = []
    offset = 0
    scale: float | None = None
    for line in text.split("\n"):
        if "\t" not in line:
            scale = None
        else:
            unit = _UNIT_HEADER.search(line) if scale is None else None
            if unit:
                raw = unit.group("scale").lower()
                scale = {"1.000": 1e3, "1.000.000": 1e6, "mio.": 1e6, "mia.": 1e9, "t.": 1e3}[raw]
            elif scale is not None:
                col = offset
                for cell in line.split("\t"):
                    stripped = cell.strip()
                    if re.fullmatch(NUMBER, stripped) and not any(taken[col : col + len(cell)]):
                        value = parse_number(stripped)
                        start = col + cell.index(stripped)
                        if value is not None:
                            out.append(
                                Amount(stripped, value * scale, "DKK", "money", start, start + len(stripped), section)
                            )
                    col += len(cell) + 1
        offset += len(line) + 1
    return out
