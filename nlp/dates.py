"""Danish month names and dates as Danish prose: one owner for every reader, parser and page."""

from __future__ import annotations

import re

#: The month names in order, January first.
MONTH_NAMES = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
               "november", "december")  # fmt: skip
#: Month name -> number (1-12).
MONTHS = {name: i + 1 for i, name in enumerate(MONTH_NAMES)}

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def danish_date(iso: str | None) -> str:
    """`2025-11-25` -> `25. november 2025`; anything that is no ISO date is returned as it is."""
    if not iso or not _ISO.match(iso):
        return iso or ""
    y, m, d = iso.split("-")
    return f"{int(d)}. {MONTH_NAMES[int(m) - 1]} {y}"
