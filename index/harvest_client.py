"""The careful HTTP client of a harvest, and what the FirstAgenda API and web harvests share.

A publication site is input like any other: the client reads only from the site itself (a
redirect to another host is refused), caps every response in decompressed bytes while it streams,
gives each request and each run a deadline that no trickle can stretch, retries 429 and 5xx with
exponential back-off and waits out a Retry-After only up to `harvest_max_retry_after_s`. Both
harvests (`index.harvest` over the JSON API, `index.harvest_web` over the web pages) use it and
the conditional-request rule, so neither imports the other's module.
"""

from __future__ import annotations

import logging
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore

from nlp.errors import HarvestError, HarvestRefusedError
from nlp.settings import settings

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
NOT_FETCHED = "not fetched"  # the outcome of a meeting whose referat is stored and whose listing entry is unchanged
CONNECT_TIMEOUT_S = 15.0
_PIECE = 64 * 1024  # the most bytes one decompression step may produce: a gzip bomb is read in these


@dataclass
class MeetingRef:
    id: str
    committee: str
    date: str  # ISO date (the first 10 characters of FirstAgenda's Dato)
    #: What the listing says of it, hashed: with its referat stored, an unchanged one is not asked for again.
    fingerprint: str = ""


# -- the careful client ------------------------------------------------------------------------------


def _num(value: float) -> str:
    """`0.5` -> `0,5`, `120.0` -> `120`: numbers in Danish messages."""
    return f"{value:g}".replace(".", ",")


def atomic_write(path: Path, data: bytes) -> None:
    """A raw file appears whole or not at all: written beside it, then renamed over it."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def site_origin(url: str) -> tuple[str, str, int | None] | None:
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
        self.origin = site_origin(self.base_url)
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
            where = urlsplit(url).netloc[:100] if site_origin(url) else url[:100]
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
        target = site_origin(url)
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
                where = urlsplit(target).netloc[:100] if site_origin(target) else target[:100]
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
