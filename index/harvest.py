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
Careful, because the site is input like any other: it reads only from the site itself (a redirect
to another host is refused), caps every response in decompressed bytes while it streams, gives each
request and each run a deadline that no trickle can stretch, waits out a Retry-After only up to
`harvest_max_retry_after_s` (and says so), and writes only under `<home>/raw/`, in a folder named by
a slug that cannot leave it. Every failure is one Danish line (`HarvestError`).

A site without the JSON API whose address is a FirstAgenda listing page is harvested from its web
pages instead, through the same client (`index.harvest_web`: meeting pages kept as
`<id>.html`, closed rows cut, the same rule for what is asked for again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore

from nlp.errors import HarvestError, HarvestRefusedError, ReferatError
from nlp.model import slugify
from nlp.readers import read_bytes
from nlp.readers.firstagenda import closed_items, json_depth
from nlp.settings import settings

__all__ = ["HarvestError", "HarvestRefusedError", "HarvestReport", "MeetingRef", "harvest", "strip_closed"]

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
NOT_FETCHED = "not fetched"  # the outcome of a meeting whose referat is stored and whose listing entry is unchanged
STATE_FILE = "harvest-state.json"  # <home>/raw/<slug>.harvest-state.json
CONNECT_TIMEOUT_S = 15.0
_PIECE = 64 * 1024  # the most bytes one decompression step may produce: a gzip bomb is read in these
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
class MeetingRef:
    id: str
    committee: str
    date: str  # ISO date (the first 10 characters of FirstAgenda's Dato)
    #: What the listing says of it, hashed: with its referat stored, an unchanged one is not asked for again.
    fingerprint: str = ""


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


# -- the careful client ------------------------------------------------------------------------------


def _num(value: float) -> str:
    """`0.5` -> `0,5`, `120.0` -> `120`: numbers in Danish messages."""
    return f"{value:g}".replace(".", ",")


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with default ports filled in; None for an address that does not parse."""
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port
    except ValueError:
        return None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


class _Deadline:
    """When the request under way must be done. Every socket operation gets at most what is left, so
    no trickle (in the headers or the body) stretches a request past it; a read timeout alone would
    restart with every byte."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.hit = False

    def run(self, operation: Callable[[float | None], Any], timeout: float | None, error: type[Exception]) -> Any:
        if self.at is None:
            return operation(timeout)
        left = self.at - time.monotonic()
        if left <= 0:
            self.hit = True
            raise error("deadline")
        bound = left if timeout is None else min(timeout, left)
        try:
            return operation(bound)
        except httpcore.TimeoutException:
            self.hit = self.hit or bound != timeout
            raise


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self.inner, self.deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.deadline.run(lambda t: self.inner.read(max_bytes, t), timeout, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.deadline.run(lambda t: self.inner.write(buffer, t), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        tls = self.deadline.run(
            lambda t: self.inner.start_tls(ssl_context, server_hostname, t), timeout, httpcore.ConnectTimeout
        )
        return _Stream(tls, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's own sockets, each operation bounded by the request's deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        self.inner, self.deadline = httpcore.SyncBackend(), deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self.deadline.run(
            lambda t: self.inner.connect_tcp(host, port, t, local_address, socket_options),
            timeout,
            httpcore.ConnectTimeout,
        )
        return _Stream(stream, self.deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover - not used
        stream = self.deadline.run(
            lambda t: self.inner.connect_unix_socket(path, t, socket_options), timeout, httpcore.ConnectTimeout
        )
        return _Stream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore retries are off
        self.inner.sleep(seconds)


@dataclass
class Fetched:
    url: str
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes = b""


def _inflate(chunks: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    """Decompressed pieces of at most `_PIECE` bytes, however much one compressed chunk expands."""
    decoder = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            if decoder.eof:  # a gzip body may hold several members; other bytes after the stream are no content
                if wbits != 31 or not data.startswith(b"\x1f\x8b"):
                    return
                decoder = zlib.decompressobj(wbits)
            piece = decoder.decompress(data, _PIECE)
            if piece:
                yield piece
            data = decoder.unconsumed_tail or (decoder.unused_data if decoder.eof else b"")
    if tail := decoder.flush():
        yield tail


class Client:
    """One careful HTTP client for one site: sequential, paced, retrying, conditional, same-site only,
    capped in bytes and in time (per request and per run)."""

    def __init__(self, base_url: str, *, delay: float, retries: int, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.origin = _origin(self.base_url)
        self.delay = delay
        self.retries = retries
        self.sleep = sleep
        self.run_end = time.monotonic() + settings.harvest_run_deadline_s
        self._last = 0.0
        self._deadline = _Deadline()
        backend = _Backend(self._deadline)
        proxy = urllib.request.getproxies().get(urlsplit(self.base_url).scheme)  # as httpx's trust_env did
        if proxy and not urllib.request.proxy_bypass(urlsplit(self.base_url).hostname or ""):
            self.pool: httpcore.ConnectionPool = httpcore.HTTPProxy(
                proxy_url=proxy, max_connections=1, network_backend=backend
            )
        else:
            self.pool = httpcore.ConnectionPool(max_connections=1, network_backend=backend)
        self.headers = {
            "User-Agent": settings.harvest_user_agent,
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",  # what _body can decompress, under its cap
        }

    def close(self) -> None:
        self.pool.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Fetched:
        """The response to `GET {site}{path}` after same-site redirects and retries; raises
        HarvestRefusedError for this one response, HarvestError when the run must stop."""
        return self.get_url(f"{self.base_url}{path}", headers)

    def get_url(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        """`get` for a whole address (a link on a listing page): one off the site is refused unasked."""
        if not self._same_site(url):
            where = urlsplit(url).netloc[:100] if _origin(url) else url[:100]
            raise HarvestRefusedError(
                f"{url[:200]} ligger på {where}, uden for {urlsplit(self.base_url).netloc}; "
                "Referat henter kun fra sitet selv"
            )
        for attempt in range(self.retries + 1):
            self._wait(self.delay - (time.monotonic() - self._last), url, "")
            try:
                response = self._follow(url, headers or {})
            except httpcore.TimeoutException:
                self._last = time.monotonic()
                if self._deadline.hit:
                    raise self._too_slow(url) from None
                problem = "svarede ikke i tide"
            except (httpcore.UnsupportedProtocol, httpcore.LocalProtocolError, ValueError) as exc:
                raise HarvestRefusedError(f"{url}: adressen kan ikke hentes ({exc.__class__.__name__})") from None
            except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
                self._last = time.monotonic()
                detail = " ".join(str(exc).split())[:160]  # e.g. a certificate that does not verify
                problem = f"ingen forbindelse ({exc.__class__.__name__}{': ' + detail if detail else ''})"
            else:
                self._last = time.monotonic()
                if response.status not in RETRY_STATUSES or attempt == self.retries:
                    return response
                wait = self._retry_after(response)
                self._wait(self._backoff(attempt) if wait is None else wait, url, f"svarede {response.status}")
                continue
            if attempt == self.retries:
                raise HarvestError(f"{url}: {problem}; kør igen senere")
            self._wait(self._backoff(attempt), url, problem)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return min(settings.harvest_backoff_s * (2**attempt), settings.harvest_max_retry_after_s)

    def _retry_after(self, response: Fetched) -> float | None:
        """The seconds Retry-After asks for; over the limit the run stops, and says why."""
        raw = response.headers.get("retry-after", "").strip()
        if not raw:
            return None
        try:
            seconds = float(raw)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(raw).timestamp() - time.time()
            except (TypeError, ValueError, OverflowError):
                return None
        if seconds != seconds:  # NaN
            return None
        seconds = min(max(seconds, 0.0), 1e9)
        limit = settings.harvest_max_retry_after_s
        if seconds > limit:
            raise HarvestError(
                f"{response.url} svarede {response.status} og beder Referat vente {_num(round(seconds))} s "
                f"(Retry-After), mere end de {_num(limit)} s, Referat venter (REFERAT_HARVEST_MAX_RETRY_AFTER_S); "
                "Referat giver op for denne gang"
            )
        return seconds

    def _wait(self, seconds: float, url: str, why: str) -> None:
        """Sleep before the next request, unless it would outlast the run; a retry's wait is said."""
        if time.monotonic() + max(seconds, 0.0) >= self.run_end:
            raise self._run_over()
        if seconds <= 0:
            return
        if why:
            level = logging.WARNING if seconds >= 1 else logging.INFO
            log.log(level, "%s %s; venter %s s, før Referat prøver igen", url, why, _num(round(seconds, 1)))
        self.sleep(seconds)

    def _run_over(self) -> HarvestError:
        return HarvestError(
            f"kørslen har nået sin grænse på {_num(settings.harvest_run_deadline_s)} s (REFERAT_HARVEST_RUN_DEADLINE_S)"
        )

    def _too_slow(self, url: str) -> HarvestError:
        if self._deadline.at is not None and self._deadline.at >= self.run_end:
            return self._run_over()
        return HarvestError(
            f"{url} blev ikke færdig inden for {_num(settings.harvest_request_deadline_s)} s "
            "(REFERAT_HARVEST_REQUEST_DEADLINE_S); sitet svarer for langsomt, prøv igen senere"
        )

    def _same_site(self, url: str) -> bool:
        """The site's own scheme, host and port; http -> https on the same host is the one change allowed."""
        target = _origin(url)
        if target is None or self.origin is None:
            return False
        scheme, host, port = self.origin
        return target == self.origin or (scheme == "http" and port == 80 and target == ("https", host, 443))

    def _follow(self, url: str, headers: dict[str, str]) -> Fetched:
        for _ in range(MAX_REDIRECTS + 1):
            response = self._once(url, headers)
            location = response.headers.get("location", "").strip()
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            target = urljoin(url, location)
            if not self._same_site(target):
                where = urlsplit(target).netloc[:100] if _origin(target) else target[:100]
                raise HarvestRefusedError(
                    f"{url} viderestiller til {where}, uden for {urlsplit(self.base_url).netloc}; "
                    "Referat henter kun fra sitet selv"
                )
            log.info("%s viderestiller til %s", url, target)
            url = target
        raise HarvestRefusedError(f"{url}: mere end {MAX_REDIRECTS} viderestillinger i træk")

    def _once(self, url: str, headers: dict[str, str]) -> Fetched:
        self._deadline.at = min(time.monotonic() + settings.harvest_request_deadline_s, self.run_end)
        self._deadline.hit = False
        try:
            with self.pool.stream(
                "GET",
                url,
                headers={**self.headers, **headers},
                extensions={"timeout": {"connect": CONNECT_TIMEOUT_S}},
            ) as response:
                fetched = Fetched(
                    url,
                    response.status,
                    {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers},
                )
                if response.status == 200:
                    fetched.body = self._body(fetched, response.iter_stream())
                return fetched
        finally:
            self._deadline.at = None

    def _body(self, response: Fetched, chunks: Iterable[bytes]) -> bytes:
        """The body, decompressed while it streams and refused past `harvest_max_response_bytes`."""
        cap = settings.harvest_max_response_bytes
        too_big = HarvestRefusedError(
            f"{response.url}: svaret er større end {_num(cap / 1_000_000)} MB "
            "(REFERAT_HARVEST_MAX_RESPONSE_BYTES); Referat læser ikke videre"
        )
        length = response.headers.get("content-length", "").strip()
        if length.isdigit() and int(length) > cap:
            raise too_big
        raw = response.headers.get("content-encoding", "")
        encodings = [e.strip().lower() for e in raw.split(",") if e.strip().lower() not in ("", "identity")]
        for encoding in reversed(encodings):  # the last applied comes off first
            if encoding not in ("gzip", "x-gzip", "deflate"):
                raise HarvestRefusedError(
                    f"{response.url} svarede med Content-Encoding '{encoding[:40]}', som Referat ikke beder om"
                )
            chunks = _inflate(chunks, 31 if encoding != "deflate" else 15)
        body = bytearray()
        try:
            for piece in chunks:
                body += piece
                if len(body) > cap:
                    raise too_big
        except zlib.error:
            raise HarvestRefusedError(f"{response.url}: svaret kunne ikke pakkes ud ({raw.strip()[:40]})") from None
        return bytes(body)


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


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _checked_url(url: str) -> str:
    origin = _origin(url)
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
    from index import harvest_web as web

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
            _atomic_write(state_path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))
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


def conditional_request(
    target: Path, ident: str, fingerprint: str, state: dict[str, dict]
) -> tuple[dict, dict[str, str]] | None:
    """What is known of a meeting and the headers of a conditional request for it; None when
    nothing may have changed (its referat is stored and its listing entry is the same): not asked."""
    known = state.get(ident, {}) if target.exists() else {}
    if known.get("listing") == fingerprint and known.get("referat"):
        return None
    headers = {}
    if known.get("etag"):
        headers["If-None-Match"] = known["etag"]
    if known.get("last_modified"):
        headers["If-Modified-Since"] = known["last_modified"]
    return known, headers


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
    _atomic_write(target, body)
    state[ref.id] = entry
    return "downloaded"


def _kind(body: bytes, ident: str) -> str:
    """The meeting's kind as the reader reads the kept copy; unreadable counts as no referat (asked again)."""
    try:
        return read_bytes(body, source=f"{ident}.json").kind
    except ReferatError:
        return ""
