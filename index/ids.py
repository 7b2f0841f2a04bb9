"""The readable ids users cite, in one place (see DESIGN.md, "Identifiers").

A meeting's id is `<municipality>/<committee>/<date>` (`Meeting.base_id`); when the committee holds
a meeting of that date already, the second gets its start time or a counter. A punkt's id is its
meeting's id and its number. An id once given is never changed, so citations keep working.
"""

from __future__ import annotations

import sqlite3

from nlp.model import Meeting


def punkt_slug(meeting_slug: str, number: str | int) -> str:
    """`greve/byraadet/2025-09-08` and 7 -> `greve/byraadet/2025-09-08/7`."""
    return f"{meeting_slug}/{number}"


def new_meeting_slug(db: sqlite3.Connection, meeting: Meeting) -> str:
    """The first free id of the meeting: its base id, then with its start time, then with a counter."""
    base = meeting.base_id
    candidates = [base]
    if meeting.time:
        candidates.append(f"{base}-{meeting.time.replace(':', '')}")
    candidates += [f"{base}-{n}" for n in range(2, 1000)]
    for slug in candidates:
        if db.execute("SELECT 1 FROM meetings WHERE slug = ?", (slug,)).fetchone() is None:
            return slug
    raise RuntimeError(f"no free id for {base}")  # pragma: no cover - a thousand meetings a day
