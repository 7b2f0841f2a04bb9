"""Danish month names and dates as Danish prose: one owner for every reader, parser and page."""

from __future__ import annotations

import re

#: The month names in order, January first.
MONTH_NAMES = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
               "november", "december")  # fmt: skip
#: Month name -> number (1-12).
MONTHS = {name: i + 1 for i, name in enumerate(MONTH_NAMES)}
#: Danish abbreviations, as minutes write them (`4. dec. 2012`).
SHORT_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "okt": 10,
                "nov": 11, "dec": 12}  # fmt: skip
#: English names and abbreviations, for questions asked in English ("in March 2024").
ENGLISH_MONTHS = {"january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "october": 10, "oct": 10}
#: A regex alternative of the Danish month names (`januar|februar|...`).
MONTH_NAME_ALT = "|".join(MONTH_NAMES)
#: Seasons and half-years -> (first month, last month, the Danish name a label uses). Winter is
#: taken as January-February of the year named.
SEASONS = {
    "foråret": (3, 5, "foråret"), "forår": (3, 5, "foråret"),
    "sommeren": (6, 8, "sommeren"), "sommer": (6, 8, "sommeren"),
    "efteråret": (9, 11, "efteråret"), "efterår": (9, 11, "efteråret"),
    "vinteren": (1, 2, "vinteren"), "vinter": (1, 2, "vinteren"),
    "første halvår": (1, 6, "første halvår"), "andet halvår": (7, 12, "andet halvår"),
}  # fmt: skip
#: The same in English, for questions asked in English ("autumn 2024").
ENGLISH_SEASONS = {
    "spring": SEASONS["foråret"], "summer": SEASONS["sommeren"], "autumn": SEASONS["efteråret"],
    "fall": SEASONS["efteråret"], "winter": SEASONS["vinteren"],
    "first half of": SEASONS["første halvår"], "second half of": SEASONS["andet halvår"],
}  # fmt: skip

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def danish_date(iso: str | None) -> str:
    """`2025-11-25` -> `25. november 2025`; anything that is no ISO date is returned as it is."""
    if not iso or not _ISO.match(iso):
        return iso or ""
    y, m, d = iso.split("-")
    return f"{int(d)}. {MONTH_NAMES[int(m) - 1]} {y}"


_MONTH_ALT = MONTH_NAME_ALT + "|" + "|".join(SHORT_MONTHS)
#: Every form a Danish meeting date takes: `tirsdag den 4. december 2012`, `4. dec. 2012`,
#: `04.12.2012`, `4-12-2012`, `04/12 2012`, `2012-12-04`. Linear: no nested repetition.
DATE = re.compile(
    rf"(?<!\d)(?:(?P<d1>\d{{1,2}})\.?\s*(?P<month>{_MONTH_ALT})\.?\s+(?P<y1>\d{{4}})"
    r"|(?P<d2>\d{1,2})\s?[-./]\s?(?P<m2>\d{1,2})\s?[-./ ]\s?(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))(?!\d)",
    re.IGNORECASE,
)
#: `kl. 13:00`, `Kl. 10.30`, `klokken 16`: the meeting's start.
TIME = re.compile(r"\bkl(?:\.|okken)?\s*(?P<h>\d{1,2})(?:[:.](?P<min>\d{2}))?(?!\d)", re.IGNORECASE)


def find_date(text: str) -> str | None:
    """The first valid date in `text` as ISO, in any Danish form (see `DATE`)."""
    import datetime as dt

    for match in DATE.finditer(text[:2000]):
        if match.group("y1"):
            name = match.group("month").lower()
            month = MONTHS.get(name) or SHORT_MONTHS.get(name)
            y, m, d = int(match.group("y1")), month, int(match.group("d1"))
        elif match.group("y2"):
            y, m, d = int(match.group("y2")), int(match.group("m2")), int(match.group("d2"))
        else:
            y, m, d = int(match.group("y3")), int(match.group("m3")), int(match.group("d3"))
        try:
            if m and 1900 <= y <= 2200:
                return dt.date(y, m, d).isoformat()
        except ValueError:
            continue
    return None


_SEASON_YEAR = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(sorted([*(w for w in SEASONS if " " not in w), "primo", "medio", "ultimo"], key=len, reverse=True))
    + r")\s+(?P<year>(?:19|20)\d{2})(?!\d)",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(rf"(?<![\w.])(?P<month>{MONTH_NAME_ALT})\s+(?P<year>(?:19|20)\d{{2}})(?!\d)", re.IGNORECASE)


def dates_in(text: str) -> list[tuple[str, str, str]]:
    """Every date a sentence names, as precise as it names it, with the words it is written in:
    `1. august 2023` -> 2023-08-01, `februar 2025` -> 2025-02, `foråret 2025` -> 2025 (a date,
    if only to the year). A day without a year names no date. (value, as written, "dato")."""
    out: list[tuple[str, str, str]] = []
    taken = bytearray(len(text))
    for m in DATE.finditer(text):
        iso = find_date(m.group(0))
        if iso:
            out.append((iso, m.group(0), "dato"))
            taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for m in _SEASON_YEAR.finditer(text):
        out.append((m.group("year"), m.group(0), "dato"))
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for m in _MONTH_YEAR.finditer(text):
        if not any(taken[m.start() : m.end()]):
            out.append((f"{m.group('year')}-{MONTHS[m.group('month').lower()]:02d}", m.group(0), "dato"))
    return out


def find_time(text: str) -> str | None:
    """`HH:MM` of the first `kl. 13:00` in `text`."""
    match = TIME.search(text[:2000])
    if not match or int(match.group("h")) > 23:
        return None
    return f"{int(match.group('h')):02d}:{match.group('min') or '00'}"
