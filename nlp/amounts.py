"""Amounts in Danish official prose: money normalised to DKK, percentages, counts.

Danish writes `1.250.000,50 kr.`: the dot groups thousands, the comma is the decimal mark.
Scales come as words (`mio.`, `mia.`, `t.kr.`) or from a table (`(1.000 kr.)` in a caption, a
column header or a row label). A bare year is a date, not an amount: it is never emitted; a period
(`2025-2028`) is kept only as a low-confidence candidate. A count needs a counted noun (`52
magtanvendelser`), not a verb (`Figur 3 viser`). Every amount carries a confidence, its evidence and
the words around it; `is_shown` applies the display threshold.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.dates import MONTH_NAMES
from nlp.model import Amount
from nlp.settings import settings

#: Confidence per kind of match: a number with its currency is nearly always money.
CONFIDENCE = {
    "money": 0.97,
    "money_prefix": 0.93,
    "money_scale_only": 0.6,  # `5 mio.` with no `kr.`: money in minutes, but not always
    "money_table": 0.9,
    "percent": 0.97,
    "percentage_point": 0.97,
    "count_known": 0.85,
    "count_lexicon": 0.7,
    "count_unknown": 0.35,
    "period": 0.2,
}

# A number starts where no digit, dot or comma stands before it: without that, a long run of digits
# with no unit after it is tried from every position (quadratic; 8,000 digits took 14 s).
NUMBER = r"(?<![\d.,])[-−–]?[ ]?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?)"
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
# A range (`28 – 42 mio. kr.`, `28-42 mio. kr.`, `fra 10 til 12 mio. kr.`): two amounts with the
# scale and currency they share; the dash is no minus sign of the second.
_UNSIGNED = r"(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?)"
_MONEY_RANGE = re.compile(
    rf"(?<![\d.,])(?P<low>{_UNSIGNED})(?:[ \u00a0]?[-–—][ \u00a0]?|[ \u00a0]til[ \u00a0])(?P<high>{_UNSIGNED})"
    r"[ \u00a0]?"
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
    """kr kroner mio mia procent pct procentpoint år måneder måned uger uge dage dag timer time minutter
    kvartal halvår gange gang og eller til af i på for med om fra ved under over mod samt stk nr jf pr ca mv
    klasse klasser""".split()
) | set(MONTH_NAMES)
# Words after a number that are verbs or participles, not things counted ("55 reducerer", "3 vedrørende").
_VERB_LIKE = re.compile(
    r"(?:erer|ende|ede|ret|ste)$|^(?:er|har|var|kan|skal|vil|får|bliver|blev|arbejder|gik|fik|ses|viser|udgør|går|står|"
    r"ligger|kommer|giver|tager|gør|betyder|mener|omfatter|modtager|deltager|indgår|fremgår|svarer|dækker|bor|"
    r"mangler|venter|søger|opfylder|består|skyldes|forventes|vurderes|ønsker|bruger|stiger|falder|hedder)$"
)
# A number after these words is a reference (`Figur 3 viser`, `bilag 2`, `punkt 4`), never a count.
_REFERENCE_BEFORE = re.compile(
    r"(?:figur|tabel|bilag|punkt|pkt\.|afsnit|side|kapitel|nr\.|stk\.|§|trin|fase|niveau|model|boks|kolonne|"
    r"linje|note|spor|kategori|klasse|version|uge|lov|lovforslag|år)\s*$",
    re.IGNORECASE,
)
_UNIT_HEADER = re.compile(
    r"(?<![\d.,])(?P<scale>1\.000|1\.000\.000|mio\.?|mia\.?|t\.|mill\.)?\s?(?:kr\.?|kroner|DKK)(?![a-zæøå])",
    re.IGNORECASE,
)
_NOT_MONEY_HEADER = re.compile(
    r"antal|%|pct|procent|personer|årsværk|helårs|stk\.|timer|dage|uger|sager", re.IGNORECASE
)
_UNIT_LABEL = re.compile(r"(?:\bi|\()\s*$")
_UNITS = {"1.000", "1.000.000", "1000"}


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


class _Span:
    """A part of a match (one end of a range) where `add` expects a match."""

    def __init__(self, start: int, end: int) -> None:
        self._span = (start, end)

    def span(self) -> tuple[int, int]:
        return self._span


def find_amounts(text: str, section: str = "") -> list[Amount]:
    """Every amount in a text, non-overlapping, leftmost-longest, with character offsets, a
    confidence, its evidence and its context. Years are matched (so no count or table cell takes
    them) but not emitted."""
    found: list[Amount] = []
    taken = bytearray(len(text))

    def add(
        match: re.Match[str] | _Span, value: float | None, unit: str, kind: str, evidence: str, what: str | None = None
    ) -> None:
        start, end = match.span()
        while start < end and text[start] in " \t":
            start += 1
        if value is None or any(taken[start:end]):
            return
        taken[start:end] = b"\x01" * (end - start)
        if kind == "year":
            return
        conf = CONFIDENCE[evidence]
        found.append(
            Amount(
                text[start:end], value, unit, kind, start, end, section, what, conf,
                "table" if evidence == "money_table" else "rule", context_of(text, start, end),
            )
        )  # fmt: skip

    for m in _MONEY_RANGE.finditer(text):
        low, high = parse_number(m.group("low")), parse_number(m.group("high"))
        years = all(_YEAR.fullmatch(m.group(g)) for g in ("low", "high"))
        if low is None or high is None or low >= high or years or any(taken[m.start() : m.end()]):
            continue  # `2025-2028 kr.` is a period before an amount; a falling pair is a subtraction
        scale = _scale(m.group("scale"))
        add(_Span(m.start("low"), m.end("low")), low * scale, "DKK", "money", "money")
        add(_Span(m.start("high"), m.end()), high * scale, "DKK", "money", "money")
    for m in _MONEY.finditer(text):
        n = parse_number(m.group("num"))
        pre = text[max(0, m.start() - 4) : m.start()] + m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
        if _UNIT_LABEL.search(pre) and m.group("num").strip() in _UNITS:
            add(m, n, "DKK", "year", "period")  # `i 1.000 kr.`, `(1.000 kr.)`: a unit label, not an amount
            continue
        add(m, None if n is None else n * _scale(m.group("scale")), "DKK", "money", "money")
    for m in _MONEY_PREFIX.finditer(text):
        n = parse_number(m.group("num"))
        add(m, None if n is None else n * _scale(m.group("scale")), "DKK", "money", "money_prefix")
    for m in _SCALE_ONLY.finditer(text):
        n = parse_number(m.group("num"))
        add(m, None if n is None else n * _scale(m.group("scale")), "DKK", "money", "money_scale_only")
    for m in _PERCENT_POINT.finditer(text):
        add(m, parse_number(m.group("num")), "procentpoint", "percentage_point", "percentage_point")
    for m in _PERCENT.finditer(text):
        add(m, parse_number(m.group("num")), "%", "percent", "percent")
    for m in _PERIOD.finditer(text):
        if int(m.group("b")) > int(m.group("a")):
            add(m, float(m.group("a")), "år", "period", "period", f"{m.group('a')}-{m.group('b')}")
    for m in _YEAR.finditer(text):
        add(m, float(m.group("y")), "år", "year", "period")
    found.extend(_table_amounts(text, section, taken))
    for m in _COUNT.finditer(text):
        what = m.group("what")
        evidence = count_evidence(what, text[max(0, m.start() - 12) : m.start()])
        if evidence is None:
            continue
        value = parse_number(m.group("num"))
        if value is not None and not (1900 <= value <= 2100 and "." not in m.group("num")):
            add(m, value, "antal", "count", evidence, what)
    found.sort(key=lambda a: a.start)
    return found


@lru_cache(maxsize=1)
def count_nouns() -> frozenset[str]:
    """Nouns minutes count (`borgere`, `magtanvendelser`): an editable list in resources."""
    from nlp.entities import RESOURCES

    path = RESOURCES / "wordlists" / "count_nouns.txt"
    return frozenset(ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()[:1] not in "#")


def is_verb(word: str) -> bool:
    """A present-tense verb (`viser`, `stiger`): the word less its `r` makes a present participle
    (`visende`) in the Danish lexicon, which no plural noun does (`magtanvendelser`)."""
    from nlp.entities import common_words

    return bool(_VERB_LIKE.search(word)) or (word.endswith("r") and word[:-1] + "nde" in common_words())


def count_evidence(what: str, before: str) -> str | None:
    """Why `<number> <what>` is a count (`count_known`, `count_lexicon`, `count_unknown`), or None
    when it is not one (a verb, a unit, a reference like `Figur 3`)."""
    from nlp.entities import common_words

    lower = what.lower()
    if lower in _NOT_COUNTED or _REFERENCE_BEFORE.search(before):
        return None
    if lower in count_nouns() or lower.split("-")[-1] in count_nouns():
        return "count_known"
    if is_verb(lower):
        return None
    if lower in common_words():
        return "count_lexicon"
    return "count_unknown"


_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-ZÆØÅ\d])")


def context_of(text: str, start: int, end: int, before: int = 3, after: int = 4) -> str:
    """The amount with a few words either side, within its sentence and line: what a reader needs
    to place it ("afsat 5,8 mio. kr. til Housing First")."""
    lo, hi = max(0, start - 200), min(len(text), end + 200)  # a bounded window: linear on a 1 MB punkt
    line_start = text.rfind("\n", lo, start) + 1 or lo
    line_end = text.find("\n", end, hi)
    line_end = hi if line_end < 0 else line_end
    left_text = text[line_start:start]
    ends = list(_SENTENCE_END.finditer(left_text))
    if ends:
        left_text = left_text[ends[-1].end() :]
    right_text = text[end:line_end]
    stop = _SENTENCE_END.search(right_text)
    if stop:
        right_text = right_text[: stop.start() + 1]
    left = left_text.replace("\t", " | ").split()[-before:] if before else []
    right = right_text.replace("\t", " | ").split()[:after]
    return " ".join([*left, text[start:end].replace("\t", " "), *right]).strip()


def is_shown(amount: Amount, threshold: float | None = None) -> bool:
    """Whether a reader sees the amount (else it is a candidate): its confidence clears the threshold."""
    limit = settings.amount_min_confidence if threshold is None else threshold
    return amount.confidence >= limit


def dedupe(amounts: list[Amount]) -> list[Amount]:
    """One amount per value, unit and context in a punkt; the first mention keeps its offsets."""
    seen: set[tuple[float, str, str, str]] = set()
    out = []
    for a in amounts:
        key = (round(a.value, 6), a.unit, a.kind, a.context)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def _scale_of(cell: str) -> float | None:
    """The money scale a header, caption or row label names (`1.000 kr.` -> 1000), else None."""
    m = _UNIT_HEADER.search(cell)
    if not m:
        return None
    raw = (m.group("scale") or "").lower().rstrip(".")
    return {"": 1.0, "1.000": 1e3, "1.000.000": 1e6, "mio": 1e6, "mia": 1e9, "t": 1e3, "mill": 1e6}.get(raw, 1.0)


def _table_amounts(text: str, section: str, taken: bytearray) -> list[Amount]:
    """Bare numbers in tab-separated table rows whose unit a caption, column header or row label names.

    A row label wins (`Gennemsnitspris i 1.000 kr.` / `Helårspersoner`), then the column header
    (`Udgift, mio. kr.` / `Antal`), then the table's caption or first cell (`Mio. kr.`)."""
    out: list[Amount] = []
    lines = text.split("\n")
    offsets, at = [], 0
    for line in lines:
        offsets.append(at)
        at += len(line) + 1
    i = 0
    while i < len(lines):
        if "\t" not in lines[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and ("\t" in lines[j] or (lines[j].strip().endswith(":") and j + 1 < len(lines))):
            j += 1
        caption = lines[i - 1] if i > 0 else ""
        header = lines[i].split("\t")
        table_scale = _scale_of(header[0]) or (_scale_of(caption) if len(caption) < 120 else None)
        columns: list[float | None] = []
        for cell in header:
            if _NOT_MONEY_HEADER.search(cell):
                columns.append(None)
            else:
                columns.append(_scale_of(cell) or table_scale)
        for k in range(i + 1, j):
            cells = lines[k].split("\t")
            if len(cells) < 2:
                continue
            label = cells[0]
            row_scale = _scale_of(label)
            row_blocked = row_scale is None and bool(_NOT_MONEY_HEADER.search(label))
            col = offsets[k]
            for c, cell in enumerate(cells):
                stripped = cell.strip()
                scale = (
                    row_scale
                    if row_scale is not None
                    else (None if row_blocked else (columns[c] if c < len(columns) else table_scale))
                )
                if c > 0 and scale is not None and stripped and re.fullmatch(NUMBER, stripped):
                    start = col + cell.index(stripped)
                    value = parse_number(stripped)
                    if value is not None and not any(taken[start : start + len(stripped)]):
                        taken[start : start + len(stripped)] = b"\x01" * len(stripped)
                        context = f"{label.strip()}: {stripped}" + (
                            f" ({header[c].strip()})" if c < len(header) else ""
                        )
                        out.append(
                            Amount(
                                stripped, value * scale, "DKK", "money", start, start + len(stripped), section,
                                None, CONFIDENCE["money_table"], "table", context,
                            )
                        )  # fmt: skip
                col += len(cell) + 1
        i = j
    return out
