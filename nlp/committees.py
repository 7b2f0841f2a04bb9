"""One name per committee, whatever period or spelling a source gives it.

FirstAgenda names a council by its election period ("Byråd 2022-2025"), text referater say
"Byrådet"; a filter or facet must see one committee. The period is kept apart, not thrown away.
"""

from __future__ import annotations

import re

# "Byråd 2022-2025", "Økonomiudvalget 2018–2021", "Byrådet (2022-2025)", "Byråd, periode 2022-25"
_PERIOD = re.compile(
    r"[\s,]*\(?\s*(?:periode\s+|valgperiode\s+)?(?P<start>(?:19|20)\d{2})\s*[-–/]\s*(?P<end>(?:19|20)?\d{2})\s*\)?\s*$",
    re.IGNORECASE,
)
# Council names that mean the same body.
_COUNCIL = re.compile(r"^(?:by|kommunal)råd(?:et)?$", re.IGNORECASE)


def canonical_committee(name: str) -> tuple[str, str | None]:
    """(canonical name, period or None): 'Byråd 2022-2025' -> ('Byrådet', '2022-2025')."""
    text = re.sub(r"\s+", " ", (name or "").strip()).lstrip(".").strip()
    period = None
    if match := _PERIOD.search(text):
        start, end = match.group("start"), match.group("end")
        if len(end) == 2:
            end = start[:2] + end
        if start <= end:
            period = f"{start}-{end}"
            text = text[: match.start()].strip(" ,-–")
    if _COUNCIL.match(text):
        text = "Byrådet" if text.lower().startswith("by") else "Kommunalbestyrelsen"
    return text or (name or "").strip(), period
