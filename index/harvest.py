"""Harvest a municipality's FirstAgenda publication site into the archive.

`GET {site}/api/agenda/udvalgsliste` lists committees and their meetings; `GET
{site}/api/agenda/dagsorden/{id}` is one meeting in the JSON the FirstAgenda reader reads. Each
meeting is kept raw under `<home>/raw/<slug>/<id>.json` (closed punkter's bodies removed before
anything is written), then the raw folder is ingested, which is idempotent: the raw folder is the
resume point, so an interrupted harvest loses nothing and the next run finishes the job.

Polite by default: one request at a time, a pause between requests, a User-Agent that names
Referat, conditional requests (ETag / Last-Modified) and exponential back-off on 429 and 5xx. A
meeting whose referat is stored and whose entry in the committee list is unchanged (its hash is
kept in the state) is not asked for at all, so a site without ETags is not downloaded again.
Careful, because the site is input like any other: the client (`index.harvest_client`) reads
only from the site itself, caps, times and retries every request, and the harvest writes only
under `<home>/raw/`, in a folder named by a slug that cannot leave it. Every failure is one
Danish line (`HarvestError`).

A site without the JSON API whose address is a FirstAgenda listing page is harvested from its web
pages instead, through the same client (`index.harvest_web`: meeting pages kept as
`<id>.html`, closed rows cut, the same rule for what is asked for again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from index import harvest_web as web
from index.harvest_client import (
    NOT_FETCHED,
    Client,
    Fetched,
    MeetingRef,
    atomic_write,
    conditional_request,
    site_origin,
)
from nlp.errors import HarvestError, HarvestRefusedError, ReferatError
from nlp.model import slugify
from nlp.readers import read_bytes
from nlp.readers.firstagenda import closed_items, json_depth
from nlp.settings import settings

__all__ = ["HarvestError", "HarvestRefusedError", "HarvestReport", "MeetingRef", "harvest", "strip_closed"]

log = logging.getLogger(__name__)

STATE_FILE = "harvest-state.json"  # <home>/raw/<slug>.harvest-state.json
#: What a closed item keeps (with the types the reader accepts): its title and numbers, nothing else.
_CLOSED_KEEP: dict[str, tuple[type, ...]] = {
    "Id": (str, int),
    "Navn": (str,),
    "Caption": (str,),
    "Punktnummer": (str, int),
    "Number": (str, int),
    "SagsNummer": (str, int),
    "CaseNumber": (str, int),
}
#: A closed item's Felter: a heading the reader reads as closed, so the raw copy stays closed when read again.
CLOSED_FELTER = [{"Html": "<h3>Lukket punkt</h3>"}]


@dataclass
class HarvestReport:
    offered: int = 0  # meetings the site lists after --since/--committee
    downloaded: int = 0  # meetings whose body was fetched and was new or changed
    unchanged: int = 0  # 304, fetched with the same content as the raw copy, or not fetched
    not_fetched: int = 0  # of those, not asked for: referat stored, listing entry unchanged
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted: str | None = None  # why the run stopped early; the next run resumes
    ingested_meetings: int = 0
    ingested_punkter: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and self.interrupted is None


def municipality_slug(url: str) -> str:
    """`https://dagsordener.greve.dk` -> `greve`; another host -> its name as a slug."""
    host = (urlsplit(url).hostname or "").lower()
    if match := re.match(r"^(?:www\.)?(?:dagsordener|dagsorden|referater)\.([a-z0-9æøå-]+)\.dk$", host):
        return slugify(match.group(1))
    return slugify(host)


def folder_slug(municipality: str) -> str:
    """The folder under `<home>/raw/` that `--municipality` names (`Høje-Taastrup` -> `hoeje-taastrup`).

    A name that holds a path is refused, never cleaned into one: `../../x` is a mistake to report.
    """
    if re.search(r"[/\\\x00]|\.\.", municipality) or not re.search(r"[^\W_]", municipality):
        shown = municipality.encode("unicode_escape").decode("ascii")[:80]
        raise HarvestError(
            f"--municipality '{shown}' kan ikke bruges som mappenavn under raw/ (ingen /, \\ eller ..); "
            "skriv kommunens navn, fx Greve"
        )
    return slugify(municipality)


def strip_closed(data: Any) -> Any:
    """The meeting with every closed item cut to its title and numbers, before anything is written.

    Closed is what the FirstAgenda reader decides (`closed_items`: markers in the title, a `Lukket
    punkt` heading, everything after `Lukket dagsorden`; an item it cannot parse counts as closed).
    Keeping only known fields, rather than removing known body fields, drops bodies under names
    Referat has never seen too.
    """
    if not isinstance(data, dict) or not isinstance(data.get("Dagsordenpunkter"), list):
        return data
    items = data["Dagsordenpunkter"]
    for index, closed in enumerate(closed_items(data)):
        if not closed:
            continue
        item = items[index] if isinstance(items[index], dict) else {}
        kept = {
            key: item[key]
            for key, kinds in _CLOSED_KEEP.items()
            if isinstance(item.get(key), kinds) and not isinstance(item.get(key), bool)
        }
        items[index] = {**kept, "Felter": [dict(felt) for felt in CLOSED_FELTER], "Bilag": []}
    return data


def parse_udvalgsliste(data: Any) -> list[MeetingRef]:
    """Every meeting of every committee group (current and historical), each once."""
    if not isinstance(data, dict) or not isinstance(data.get("Udvalg"), dict):
        raise HarvestError("udvalgslisten har ikke FirstAgenda-formen {'Udvalg': {gruppe: [udvalg…]}}")
    seen: dict[str, MeetingRef] = {}
    for committees in data["Udvalg"].values():
        for committee in committees or []:
            if not isinstance(committee, dict):
                continue
            name = str(committee.get("Navn") or "").strip()
            for moede in committee.get("Moeder") or []:
                if not isinstance(moede, dict) or not moede.get("Id"):
                    continue
                ident = str(moede["Id"]).strip()
                if not re.fullmatch(r"[A-Za-z0-9-]{1,80}", ident):  # it becomes a file name
                    log.warning("springer møde med mærkeligt id over: %r", ident[:100])
                    continue
                entry = json.dumps([name, moede], ensure_ascii=False, sort_keys=True, default=str)
                fingerprint = hashlib.sha256(entry.encode("utf-8")).hexdigest()
                seen.setdefault(ident, MeetingRef(ident, name, str(moede.get("Dato") or "")[:10], fingerprint))
    return sorted(seen.values(), key=lambda m: (m.date, m.id))


def select(
    meetings: Iterable[MeetingRef], since: str | None = None, committees: Iterable[str] | None = None
) -> list[MeetingRef]:
    from nlp.committees import canonical_committee

    wanted = {canonical_committee(c)[0].casefold() for c in committees or []} | {
        c.strip().casefold() for c in committees or []
    }
    out = []
    for m in meetings:
        if since and m.date < since:
            continue
        if (
            wanted
            and m.committee.casefold() not in wanted
            and canonical_committee(m.committee)[0].casefold() not in wanted
        ):
            continue
        out.append(m)
    return out


def _json(response: Fetched, what: str) -> Any:
    """The body as JSON, no deeper than the reader accepts."""
    try:
        data = json.loads(response.body)
    except (ValueError, RecursionError):
        raise HarvestRefusedError(f"{what} svarede ikke med JSON") from None
    if json_depth(data) > settings.max_json_depth:
        raise HarvestRefusedError(f"{what} svarede med JSON indlejret dybere end {settings.max_json_depth} niveauer")
    return data


def _no_api(response: Fetched) -> bool:
    """No FirstAgenda JSON API at the address: not found there, or a web page in its place."""
    return response.status in (404, 410) or (response.status == 200 and response.body.lstrip()[:1] == b"<")


def _checked_url(url: str) -> str:
    origin = site_origin(url)
    if origin is None or origin[0] not in ("http", "https") or not origin[1] or "?" in url or "#" in url:
        raise HarvestError(
            f"'{url[:200]}' er ikke en http(s)-adresse på et site; skriv fx https://dagsordener.greve.dk"
        )
    return url


def harvest(
    archive,
    url: str,
    *,
    since: str | None = None,
    committees: Iterable[str] | None = None,
    municipality: str | None = None,
    delay: float | None = None,
    retries: int | None = None,
    enrich: bool = True,
    progress: Callable[[MeetingRef, str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> HarvestReport:
    """Download new or changed meetings of the site into `<home>/raw/<slug>/` and ingest them.

    A site without the JSON API whose address is a listing page of meetings is harvested as a web
    site (`index.harvest_web`), through the same client.
    """
    url = _checked_url(url)
    if since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        raise HarvestError(f"--since skal være en dato ÅÅÅÅ-MM-DD, ikke '{since}'")
    slug = folder_slug(municipality) if municipality is not None else municipality_slug(url)
    raw = Path(archive.home) / "raw" / slug
    raw.mkdir(parents=True, exist_ok=True)
    # Beside the folder, so that `referat ingest raw/<slug>` reads only meetings.
    state_path = raw.parent / f"{slug}.{STATE_FILE}"
    state: dict[str, dict] = json.loads(state_path.read_text("utf-8")) if state_path.exists() else {}
    report = HarvestReport()
    client = Client(
        url,
        delay=settings.harvest_delay_s if delay is None else delay,
        retries=settings.harvest_retries if retries is None else retries,
        sleep=sleep,
    )
    try:
        listing_url = f"{client.base_url}/api/agenda/udvalgsliste"
        response = client.get("/api/agenda/udvalgsliste")
        fetch: Callable[[Any], str]
        page = client.get_url(url if urlsplit(url).path else f"{url}/") if _no_api(response) else None
        if page is not None and web.is_listing(page):  # a FirstAgenda web site
            refs, report.failures = web.meeting_refs(client, page)
            meetings: list[MeetingRef] = select(refs, since, committees)
            fetch = partial(web.fetch_page, client, raw=raw, state=state)
        else:
            if response.status != 200:
                raise HarvestError(
                    f"{listing_url} svarede {response.status}: er det et FirstAgenda-site? "
                    "(hverken FirstAgendas JSON eller en oversigt over møder på adressen selv)"
                )
            listing = _json(response, f"{listing_url} (er det et FirstAgenda-site?)")
            meetings = select(parse_udvalgsliste(listing), since, committees)
            fetch = partial(_fetch_meeting, client, raw=raw, state=state)
        report.offered = len(meetings)
        for ref in meetings:
            try:
                outcome = fetch(ref)
            except HarvestError as exc:  # the site stopped answering: keep what we have, resume next time
                report.interrupted = str(exc)
                break
            if outcome == "downloaded":
                report.downloaded += 1
            elif outcome in ("unchanged", NOT_FETCHED):
                report.unchanged += 1
                report.not_fetched += outcome == NOT_FETCHED
            else:
                report.failures.append((ref.id, outcome))
            atomic_write(state_path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))
            if progress:
                progress(ref, outcome)
    finally:
        client.close()
    # Ingest the whole raw folder: idempotent, and it picks up meetings an interrupted run fetched.
    files = sorted(raw.glob("*.json")) + sorted(raw.glob("*.html"))
    if files:
        ingest = archive.ingest(files, enrich=enrich)
        report.ingested_meetings = ingest.meetings
        report.ingested_punkter = ingest.punkter
        report.failures.extend(ingest.failures)
    return report


def _fetch_meeting(client: Client, ref: MeetingRef, raw: Path, state: dict[str, dict]) -> str:
    """'downloaded', 'unchanged', NOT_FETCHED, or a one-line reason it failed (HarvestError: the run must stop)."""
    target = raw / f"{ref.id}.json"
    asked = conditional_request(target, ref.id, ref.fingerprint, state)
    if asked is None:
        return NOT_FETCHED
    known, headers = asked
    try:
        response = client.get(f"/api/agenda/dagsorden/{ref.id}", headers)
        if response.status == 304 and known:
            state[ref.id] = {**known, "listing": ref.fingerprint}
            return "unchanged"
        if response.status != 200:
            return f"mødet {ref.id} svarede {response.status}"
        data = strip_closed(_json(response, f"mødet {ref.id}"))
    except HarvestRefusedError as exc:
        return str(exc)
    if isinstance(data, dict):  # where it came from: the reader builds the meeting's page URL from it
        data["ReferatSite"] = client.base_url
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    entry = {
        "committee": ref.committee,
        "date": ref.date,
        "listing": ref.fingerprint,
        "referat": _kind(body, ref.id) == "referat",
        "sha256": digest,
        "etag": response.headers.get("etag"),
        "last_modified": response.headers.get("last-modified"),
    }
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        state[ref.id] = entry
        return "unchanged"
    atomic_write(target, body)
    state[ref.id] = entry
    return "downloaded"


def _kind(body: bytes, ident: str) -> str:
    """The meeting's kind as the reader reads the kept copy; unreadable counts as no referat (asked again)."""
    try:
        return read_bytes(body, source=f"{ident}.json").kind
    except ReferatError:
        return ""
