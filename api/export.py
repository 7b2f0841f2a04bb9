"""A search to take home: every hit of a result set as CSV (for a spreadsheet) or JSON.

One owner for the export's rows and columns, used by `/api/search.csv`, `/api/search.json`, the
web page's download links and `referat search --csv`. A search's result set is bounded (the best
candidates of each side), so the whole set fits in one file; it is read page by page through the
ordinary search, so that an export holds exactly what the pages show, in the same order.
Closed punkter keep their title only: no snippet, no decision.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from api.feeds import plain
from index.search import MAX_LIMIT

#: The most hits one export holds; a search's result set is smaller than this in practice.
EXPORT_MAX = 1000
COLUMNS = (
    "id",
    "url",
    "source_url",
    "municipality",
    "committee",
    "meeting_id",
    "meeting_date",
    "number",
    "title",
    "case_type",
    "closed",
    "decision",
    "journal_number",
    "kle",
    "themes",
    "score",
    "snippet_section",
    "snippet",
)
#: A cell a spreadsheet would read as a formula (CSV injection) gets a leading apostrophe.
_FORMULA_START = ("=", "+", "@", "\t", "\r", "-")


def search_all(archive, query: str, *, filters=None, sort: str | None = "relevance", cap: int = EXPORT_MAX):
    """(the first page's result, every relevant hit up to `cap`): the search run page by page. An
    export is the answer (`total`), never the loosely related listed after it."""
    first = archive.search(query, limit=MAX_LIMIT, offset=0, filters=filters, sort=sort)
    hits = list(first.hits)
    while len(hits) < min(first.total, cap) and len(hits) % MAX_LIMIT == 0:
        page = archive.search(query, limit=MAX_LIMIT, offset=len(hits), filters=filters, sort=sort)
        if not page.hits:
            break
        hits.extend(page.hits)
    return first, [h for h in hits if h.get("relevant", True)][: min(first.total, cap)]


def rows(hits: list[dict], base_url: str) -> list[dict]:
    """One flat row per hit, in COLUMNS order; text as plain text (no HTML marks)."""
    out = []
    for h in hits:
        closed = bool(h.get("closed"))
        out.append(
            {
                "id": h["id"],
                "url": f"{base_url}/punkt/{quote(h['id'], safe='/')}",
                "source_url": h.get("source_url") or "",
                "municipality": h.get("municipality") or "",
                "committee": h.get("committee") or "",
                "meeting_id": h.get("meeting_id") or "",
                "meeting_date": h.get("meeting_date") or "",
                "number": h.get("number"),
                "title": h.get("title") or "",
                "case_type": h.get("case_type") or "",
                "closed": closed,
                "decision": "" if closed else (h.get("decision") or ""),
                "journal_number": h.get("journal_number") or "",
                "kle": h.get("kle") or "",
                "themes": " ".join(h.get("themes") or []),
                "score": h.get("score"),
                "snippet_section": "" if closed else (h.get("snippet_section") or ""),
                "snippet": "" if closed else plain(h.get("snippet") or ""),
            }
        )
    return out


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(table: list[dict]) -> str:
    """CSV with a header row, comma-separated, every field quoted where needed (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return buffer.getvalue()


def to_json(result, table: list[dict], *, sort: str, filters: dict) -> dict:
    """The export as one JSON object: what was searched, how it was ordered, and every row."""
    return {
        "query": result.query,
        "sort": sort or "relevance",
        "filters": filters,
        "total": result.total,
        "exported": len(table),
        "low_confidence": result.low_confidence,
        "understood": result.understood,
        "hits": table,
    }


def filename(query: str, extension: str) -> str:
    """A safe ASCII file name for the download: `referat-foertidspension.csv`."""
    from nlp.model import slugify

    return f"referat-{slugify(query)[:60] or 'soegning'}.{extension}"
