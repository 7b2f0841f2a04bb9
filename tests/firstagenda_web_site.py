"""A recorded FirstAgenda web site on 127.0.0.1: a listing page and meeting pages, no JSON API.

Served from `tests/fixtures/firstagenda-web` (trimmed copies of real Aarhus pages, see its SOURCE)
by real HTTP in a thread, with the hostile behaviours of `tests/hostile_site.py` keyed by meeting
id. The listing is the shipped page, which a test may edit (`listing`); `page_requests` counts what
the client asked of the meeting pages. No ETag or Last-Modified unless a test turns them on.
"""

from __future__ import annotations

import hashlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.hostile_site import HostileSite

ROOT = Path(__file__).resolve().parents[1]
WEB_FILES = ROOT / "tests" / "fixtures" / "firstagenda-web"
#: Meeting id (as the listing links it) -> its page in WEB_FILES.
PAGES = {
    "a70723d3-8732-4382-b761-7622cc64fe62": "aarhus-byraad-2025-10-08-dagsorden.html",
    "4ee8e26f-14a7-4696-a847-edbc367310d3": "aarhus-magistraten-2025-10-07-referat.html",
    "513aaeb9-9262-490e-bc7b-778327fb2333": "aarhus-teknisk-udvalg-2025-10-06-referat.html",
}
DAGSORDEN, MAGISTRATEN, TEKNISK = PAGES


def load_pages() -> dict[str, bytes]:
    return {ident: (WEB_FILES / name).read_bytes() for ident, name in PAGES.items()}


class WebSite(HostileSite):
    def __init__(self, pages: dict[str, bytes] | None = None) -> None:
        super().__init__({})
        self.pages = pages if pages is not None else load_pages()
        self.listing = (WEB_FILES / "listing.html").read_text("utf-8")
        self.more_listings: dict[str, str] = {}  # path -> another listing page (a `rel="next"` target)
        self.etags = False
        self.last_modified: str | None = None  # sent with every page when set

    def key(self, path: str) -> str | None:
        parts = urlsplit(path)
        if parts.path == "/vis":
            return parse_qs(parts.query).get("id", [""])[0]
        return "listing" if parts.path == "/" else None

    def page_requests(self, status: int | None = None) -> list[str]:
        """Meeting ids of the requests for meeting pages (with that status, when given)."""
        return [self.key(p) or "" for p, s in self.requests if p.startswith("/vis") and status in (None, s)]

    def _body(self, key: str) -> bytes:
        return self.listing.encode("utf-8") if key == "listing" else self.pages[key]

    def serve(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            html = {"Content-Type": "text/html; charset=utf-8"}
            path = urlsplit(h.path).path
            if path == "/" or path in self.more_listings:
                text = self.listing if path == "/" else self.more_listings[path]
                self._send(h, 200, text.encode("utf-8"), html)
                return
            ident = self.key(h.path)
            if path != "/vis" or ident not in self.pages:
                self._send(h, 404, b"<html><body><h1>Siden findes ikke</h1></body></html>", html)
                return
            body = self.pages[ident]
            headers = dict(html)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.etags:
                headers["ETag"] = etag
                if h.headers.get("If-None-Match") == etag:
                    self._send(h, 304, b"", headers)
                    return
            if self.last_modified:
                headers["Last-Modified"] = self.last_modified
                if h.headers.get("If-Modified-Since") == self.last_modified:
                    self._send(h, 304, b"", headers)
                    return
            self._send(h, 200, body, headers)
