"""References from a punkt to earlier treatment of its case, as written in the text.

"På udvalgsmødet den 12. november 2024 drøftede udvalget ..." or "den forrige afrapportering, som
udvalget modtog den 17. juni 2025": a date next to words of meeting and treatment. The index layer
resolves the date to a meeting and punkt in the store.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from nlp.dates import MONTH_NAME_ALT, MONTHS

_DATE = re.compile(
    rf"(?:den\s)?(?P<d>\d{{1,2}})\.\s?(?P<m>{MONTH_NAME_ALT})"
    r"(?:\s(?P<y>(?:19|20)\d{2}))?",
    re.IGNORECASE,
)
_MEETING_WORDS = re.compile(
    r"\b(?:mødet|møde|udvalgsmødet|byrådsmødet|byrådet|udvalget|behandle\w*|drøfte\w*|godkend\w*|besluttede|"
    r"orienteret|modtog|vedtog|vedtaget|tiltrådte|anbefalede|sag(?:en)?|temamøde\w*|afrapportering\w*)\b",
    re.IGNORECASE,
)


@dataclass
class DateReference:
    date: str  # ISO
    evidence: str  # the sentence that says so


def find_meeting_references(text: str, meeting_date: str) -> list[DateReference]:
    """Dates of earlier meetings the text refers to (the year defaults to the meeting's year)."""
    refs: list[DateReference] = []
    seen: set[str] = set()
    year_default = int(meeting_date[:4])
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ])|\n", text):
        if not _MEETING_WORDS.search(sentence):
            continue
        for m in _DATE.finditer(sentence):
            year = int(m.group("y")) if m.group("y") else year_default
            try:
                iso = dt.date(year, MONTHS[m.group("m").lower()], int(m.group("d"))).isoformat()
            except ValueError:  # "31. februar", "0. juni": not a date, so no reference
                continue
            if iso < meeting_date and iso not in seen:
                seen.add(iso)
                refs.append(DateReference(iso, sentence.strip()[:300]))
    return refs
