"""Harvest a municipality's FirstAgenda publication site into the archive.

`GET {site}/api/agenda/udvalgsliste` lists committees and their meetings; `GET
{site}/api/agenda/dagsorden/{id}` is one meeting in the JSON the FirstAgenda reader reads. Each
meeting is kept raw under `<home>/raw/<municipality>/<id>.json` (closed punkter's bodies removed
before anything is written), then the raw folder is ingested, which is idempotent: the raw folder
is the resume point, so an interrupted harvest loses nothing and the next run finishes the job.

Polite by default: one request at a time, a pause between requests, a User-Agent that names
Referat, conditional requests (ETag / Last-Modified) and exponential back-off on 429 and 5xx
(honouring Retry-After).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from nlp.errors import ReferatError
from nlp.settings import settings

log = logging.getLogger(__name__)

CLOSED_TITLE = re.compile(r"^\s*\(?\s*lukket\b|\(\s*lukket\s*\)|\blukket\s+punkt\b", re.IGNORECASE)
RETRY_STATUSES = {429, 500, 502, 503, 504}
STATE_FILE = "harvest-state.json"  # <home>/raw/<municipality>.harvest-state.json


class HarvestError(ReferatError):
    """The site could not be read (wrong address, not FirstAgenda, or it stopped answering)."""

    status_code = 502


@dataclass
class MeetingRef:
    id: str
    committee: str
    date: str  # ISO date (the first 10 characters of FirstAgenda's Dato)


@dataclass
class HarvestReport:
    offered: int = 0  # meetings the site lists after --since/--committee
    downloaded: int = 0  # meetings whose body was fetched and was new or changed
    unchanged: int = 0  # 304, or fetched with the same content as the raw copy
    failures: list[tuple[str, str]] = field(default_factory=list)
    interrupted: str | None = None  # why the run stopped early; the next run resumes
    ingested_meetings: int = 0
    ingested_punkter: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and self.interrupted is None


def municipality_slug(url: str) -> str:
    """`https://dagsordener.greve.dk` -> `greve`; another host -> its name without dots."""
    host = urlsplit(url).hostname or "ukendt"
    if match := re.match(r"^(?:www\.)?(?:dagsordener|dagsorden|referater)\.([a-z0-9æøå-]+)\.dk$", host):
        return match.group(1)
    return re.sub(r"[^a-z0-9æøå-]+", "-", host.lower()).strip("-") or "ukendt"


def is_closed_item(item: dict) -> bool:
    """ "Lukket: …", "Lukket punkt", "… (Lukket)" in the item's Navn or Caption, in any case."""
    return any(CLOSED_TITLE.search(str(item.get(key) or "")) for key in ("Navn", "Caption"))


def strip_closed(data: Any) -> Any:
    """The meeting with closed punkter's bodies (Felter, Bilag and the like) removed: never stored at all."""
    if not isinstance(data, dict):
        return data
    for item in data.get("Dagsordenpunkter") or []:
        if isinstance(item, dict) and is_closed_item(item):
            for key in ("Felter", "Bilag", "Documents", "Presentations", "Ressourcer", "Lydfiler"):
                if key in item and item[key]:
                    item[key] = [] if isinstance(item[key], list) else None
            item["ItemDecision"] = None
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
                if not re.fullmatch(r"[A-Za-z0-9-]{1,80}", ident):
                    log.warning("springer møde med mærkeligt id over: %r", ident)
                    continue
                seen.setdefault(ident, MeetingRef(ident, name, str(moede.get("Dato") or "")[:10]))
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


class Client:
    """One polite HTTP client: sequential, paced, retrying, conditional."""

    def __init__(self, base_url: str, *, delay: float, retries: int, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.delay = delay
        self.retries = retries
        self.sleep = sleep
        self._last = 0.0
        self.http = httpx.Client(
            headers={"User-Agent": settings.harvest_user_agent, "Accept": "application/json"},
            timeout=httpx.Timeout(60.0, connect=15.0),
            follow_redirects=True,
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        url = f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            wait = self.delay - (time.monotonic() - self._last)
            if wait > 0:
                self.sleep(wait)
            try:
                response = self.http.get(url, headers=headers or {})
            except httpx.TransportError as exc:
                self._last = time.monotonic()
                if attempt == self.retries:
                    raise HarvestError(
                        f"{url}: ingen forbindelse ({exc.__class__.__name__}); kør igen senere"
                    ) from None
                self.sleep(self._backoff(attempt, None))
                continue
            self._last = time.monotonic()
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                log.info("%s svarede %s; prøver igen", url, response.status_code)
                self.sleep(self._backoff(attempt, response.headers.get("Retry-After")))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        base = settings.harvest_backoff_s * (2**attempt)
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), settings.harvest_max_wait_s)
            except ValueError:
                try:
                    when = parsedate_to_datetime(retry_after).timestamp()
                    return min(max(when - time.time(), 0.0), settings.harvest_max_wait_s)
                except (TypeError, ValueError):
                    pass
        return min(base, settings.harvest_max_wait_s)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


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
    """Download new or changed meetings of the site into `<home>/raw/<municipality>/` and ingest them."""
    if not re.match(r"^https?://", url):
        raise HarvestError(f"'{url}' er ikke en http(s)-adresse; skriv fx https://dagsordener.greve.dk")
    if since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        raise HarvestError(f"--since skal være en dato ÅÅÅÅ-MM-DD, ikke '{since}'")
    slug = municipality or municipality_slug(url)
    raw = Path(archive.home) / "raw" / slug
    raw.mkdir(parents=True, exist_ok=True)
    state_path = (
        raw.parent / f"{slug}.{STATE_FILE}"
    )  # beside the folder, so that `referat ingest raw/` reads only meetings
    state: dict[str, dict] = json.loads(state_path.read_text("utf-8")) if state_path.exists() else {}
    report = HarvestReport()
    client = Client(
        url,
        delay=settings.harvest_delay_s if delay is None else delay,
        retries=settings.harvest_retries if retries is None else retries,
        sleep=sleep,
    )
    try:
        response = client.get("/api/agenda/udvalgsliste")
        if response.status_code != 200:
            raise HarvestError(
                f"{url}/api/agenda/udvalgsliste svarede {response.status_code}: er det et FirstAgenda-site?"
            )
        try:
            listing = response.json()
        except ValueError:
            raise HarvestError(
                f"{url}/api/agenda/udvalgsliste svarede ikke med JSON: er det et FirstAgenda-site?"
            ) from None
        meetings = select(parse_udvalgsliste(listing), since, committees)
        report.offered = len(meetings)
        for ref in meetings:
            try:
                outcome = _fetch_meeting(client, ref, raw, state)
            except HarvestError as exc:  # the site stopped answering: keep what we have, resume next time
                report.interrupted = str(exc)
                break
            if outcome == "downloaded":
                report.downloaded += 1
            elif outcome == "unchanged":
                report.unchanged += 1
            else:
                report.failures.append((ref.id, outcome))
            _atomic_write(state_path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))
            if progress:
                progress(ref, outcome)
    finally:
        client.close()
    # Ingest the whole raw folder: idempotent, and it picks up meetings an interrupted run fetched.
    files = sorted(raw.glob("*.json"))
    if files:
        ingest = archive.ingest(files, enrich=enrich)
        report.ingested_meetings = ingest.meetings
        report.ingested_punkter = ingest.punkter
        report.failures.extend(ingest.failures)
    return report


def _fetch_meeting(client: Client, ref: MeetingRef, raw: Path, state: dict[str, dict]) -> str:
    """'downloaded', 'unchanged', or a one-line reason it failed."""
    target = raw / f"{ref.id}.json"
    known = state.get(ref.id, {}) if target.exists() else {}
    headers = {}
    if known.get("etag"):
        headers["If-None-Match"] = known["etag"]
    if known.get("last_modified"):
        headers["If-Modified-Since"] = known["last_modified"]
    response = client.get(f"/api/agenda/dagsorden/{ref.id}", headers)
    if response.status_code == 304 and target.exists():
        return "unchanged"
    if response.status_code != 200:
        return f"mødet {ref.id} svarede {response.status_code}"
    try:
        data = strip_closed(response.json())
    except ValueError:
        return f"mødet {ref.id} svarede ikke med JSON"
    if isinstance(data, dict):  # where it came from: the reader builds the meeting's page URL from it
        data["ReferatSite"] = client.base_url
    body = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    entry = {
        "committee": ref.committee,
        "date": ref.date,
        "sha256": digest,
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
    }
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        state[ref.id] = entry
        return "unchanged"
    _atomic_write(target, body)
    state[ref.id] = entry
    return "downloaded"
