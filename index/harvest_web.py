"""Harvest a FirstAgenda web site (its listing page and meeting pages), for a site without the JSON API.

The listing page (`nlp.readers.firstagenda_html.listing_entries`, and the pages its `rel="next"`
links lead to) gives the meetings with what it says of each: link, date, committee, kind. Each
meeting page is fetched through the same careful client as the JSON harvest (`index.harvest_client.Client`),
read by the FirstAgenda page reader, and kept as `<home>/raw/<slug>/<id>.html` with every closed
punkt's row cut to its number, title and a `Lukket punkt` heading (closed as the reader decides,
which asks `nlp.closed`); the saved page is read again and must come out closed the same way, or it
is not saved.

Incremental without ETag or Last-Modified: the state keeps each meeting's listing fingerprint (its
link, date, committee and kind) and whether a referat is stored. A meeting whose referat is stored
and whose entry is unchanged is not asked for at all; a changed entry, or a meeting that has only
its dagsorden so far (its referat may have appeared), is fetched again, conditionally when the site
gave an ETag or Last-Modified.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

from index.harvest_client import NOT_FETCHED, Client, Fetched, MeetingRef, atomic_write, conditional_request
from nlp.errors import HarvestError, HarvestRefusedError, NotAReferatError
from nlp.readers import decode, read_bytes
from nlp.readers.firstagenda_html import ListingEntry, listing_entries, row_heading, row_starts
from nlp.text import sanitise

#: A listing longer than this many pages is no listing to follow (a loop, or a trap).
MAX_LISTING_PAGES = 100
_NEXT = re.compile(r"<(?:a|link)\b[^>]{0,500}\brel=\"next\"[^>]{0,500}>", re.IGNORECASE)
_HREF = re.compile(r"\bhref=\"([^\"]{1,2000})\"", re.IGNORECASE)
_ID = re.compile(r"[A-Za-z0-9-]{1,80}")  # it becomes a file name
_SAVED_TAIL = "</tbody>\n</table>\n</body></html>\n"


@dataclass
class WebMeetingRef(MeetingRef):
    url: str = ""
    kind: str = ""  # what the listing calls it: dagsorden, referat, ...


def is_listing(response: Fetched) -> bool:
    """A FirstAgenda listing page: HTML with at least one meeting entry."""
    if response.status != 200 or response.body.lstrip()[:1] != b"<":
        return False
    try:
        return bool(listing_entries(decode(response.body, strict=False)))
    except NotAReferatError:
        return False


def meeting_refs(client: Client, first: Fetched) -> tuple[list[WebMeetingRef], list[tuple[str, str]]]:
    """The meetings the listing page(s) offer, each once, and the entries that name no meeting."""
    refs: dict[str, WebMeetingRef] = {}
    failures: list[tuple[str, str]] = []
    for page_url, entries in _listing_pages(client, first):
        for entry in entries:
            url = urljoin(page_url, html.unescape(entry.href))
            ident = _meeting_id(url)
            if ident is None:
                why = f"{url[:200]}: listepunktet har intet møde-id, Referat kan bruge som filnavn"
                failures.append((entry.label or url[:100], why))
                continue
            refs.setdefault(ident, _ref(ident, url, entry))
    return sorted(refs.values(), key=lambda m: (m.date, m.id)), failures


def _ref(ident: str, url: str, entry: ListingEntry) -> WebMeetingRef:
    fingerprint = hashlib.sha256(
        json.dumps([url, entry.date, entry.committee, entry.kind], ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return WebMeetingRef(ident, entry.committee, entry.date or "", url=url, kind=entry.kind, fingerprint=fingerprint)


def _meeting_id(url: str) -> str | None:
    """FirstAgenda's meeting id (`/vis?…&id=<uuid>`), else the last path segment of a link without a query."""
    parts = urlsplit(url)
    ids = parse_qs(parts.query).get("id", [])
    if not ids and not parts.query:
        ids = [parts.path.rstrip("/").rsplit("/", 1)[-1]]
    ident = ids[0].strip() if ids else ""
    return ident if _ID.fullmatch(ident) else None


def _listing_pages(client: Client, first: Fetched) -> Iterator[tuple[str, list[ListingEntry]]]:
    """The first listing page and those its `rel="next"` links lead to, each once."""
    seen: set[str] = set()
    page: Fetched | None = first
    while page is not None:
        seen.add(page.url)
        text = decode(page.body, strict=False)
        yield page.url, listing_entries(text)
        following = _next_page(text, page.url)
        if following is None or following in seen:
            return
        if len(seen) >= MAX_LISTING_PAGES:
            raise HarvestError(f"oversigten har mere end {MAX_LISTING_PAGES} sider; Referat følger ikke flere")
        page = client.get_url(following)
        if page.status != 200:
            raise HarvestError(f"{following} svarede {page.status}; oversigtens næste side kunne ikke hentes")


def _next_page(text: str, url: str) -> str | None:
    for tag in _NEXT.findall(text):
        if match := _HREF.search(tag):
            return urljoin(url, html.unescape(match.group(1)))
    return None


def fetch_page(client: Client, ref: WebMeetingRef, raw: Path, state: dict[str, dict]) -> str:
    """'downloaded', 'unchanged', NOT_FETCHED, or a one-line reason it failed (HarvestError: the run must stop)."""
    target = raw / f"{ref.id}.html"
    asked = conditional_request(target, ref.id, ref.fingerprint, state)
    if asked is None:
        return NOT_FETCHED
    known, headers = asked
    try:
        response = client.get_url(ref.url, headers)
        if response.status == 304 and known:
            state[ref.id] = {**known, "listing": ref.fingerprint}
            return "unchanged"
        if response.status != 200:
            return f"mødet {ref.id} svarede {response.status}"
        body, kind = saved_page(response.body, ref.url)
    except HarvestRefusedError as exc:
        return str(exc)
    except NotAReferatError as exc:  # named by the page's address, as the reader says it
        return str(exc)
    digest = hashlib.sha256(body).hexdigest()
    entry = {
        "committee": ref.committee,
        "date": ref.date,
        "url": ref.url,
        "listing": ref.fingerprint,
        "kind": kind,
        "referat": kind == "referat",
        "sha256": digest,
        "etag": response.headers.get("etag"),
        "last_modified": response.headers.get("last-modified"),
    }
    unchanged = target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest
    if not unchanged:
        atomic_write(target, body)
    state[ref.id] = entry
    return "unchanged" if unchanged else "downloaded"


def saved_page(data: bytes, url: str) -> tuple[bytes, str]:
    """The page as it is kept (closed rows cut, where it came from named) and its kind as read.

    NotAReferatError when it is no FirstAgenda meeting page, or when the cut page would not read
    closed the same way: then nothing is saved (when in doubt, closed).
    """
    meeting = read_bytes(data, source=url)
    if meeting.source_format != "firstagenda-html":
        raise NotAReferatError(f"{url[:200]}: ikke en FirstAgenda-mødeside (læst som {meeting.source_format})")
    page = sanitise(decode(data))
    starts = row_starts(page)
    closed = [p.closed for p in meeting.punkter]
    if len(starts) != len(closed):
        raise NotAReferatError(f"{url[:200]}: mødesidens punkter kunne ikke parres med dens rækker; siden gemmes ikke")
    pieces = [_with_source(page[: starts[0]], url)]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(page)
        if closed[k]:
            number, title = row_heading(page[start:end])
            pieces.append(_closed_row(number or meeting.punkter[k].number, title or meeting.punkter[k].title))
            if k + 1 == len(starts):
                pieces.append(_SAVED_TAIL)
        else:
            pieces.append(page[start:end])
    body = "".join(pieces).encode("utf-8")
    again = read_bytes(body, source=url)
    if [p.closed for p in again.punkter] != closed:
        raise NotAReferatError(f"{url[:200]}: mødesiden kunne ikke renses for lukkede punkter; den gemmes ikke")
    return body, meeting.kind


def _closed_row(number: int, title: str) -> str:
    """A closed punkt's row as kept: number, title and a heading the reader reads as closed again."""
    return (
        f'<tr class="punktrow"><td class="text-center punkt-tabel"><span class="label label-default">{number}</span>'
        f'</td><td class="punkt-tabel"><h2 class="overskrift text-left">{html.escape(title, quote=False)}</h2>'
        '<div class="details"><div class="punkt"><h3>Lukket punkt</h3></div></div></td></tr>\n'
    )


def _with_source(head: str, url: str) -> str:
    """The page's head with where it came from first: the reader takes the meeting's `source_url` from it."""
    link = f'<link rel="canonical" href="{html.escape(url, quote=True)}">'
    at = re.search(r"<head\b[^>]{0,500}>", head[:20_000], re.IGNORECASE)
    return f"{head[: at.end()]}{link}{head[at.end() :]}" if at else f"{link}\n{head}"
