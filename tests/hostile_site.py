"""The recorded FirstAgenda site (tests/firstagenda_site.py), with paths that behave as a hostile or
broken server would: a redirect anywhere, a body that never ends, a gzip bomb, a trickle of one byte
at a time (in the headers or the body), a Retry-After of days.

Each behaviour is keyed by the meeting id, or `udvalgsliste` for the committee list, and served
from a real socket on 127.0.0.1 in the server's thread. `sent` counts the bytes each hostile path
managed to send (decompressed, for the bomb) before the client stopped reading: a bound the
client's cap guarantees, measured without a clock. Every loop ends when the client goes away or
the site is closed.
"""

from __future__ import annotations

import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler

from tests.firstagenda_site import Site, udvalgsliste

BLOCK = b" " * 65536  # an endless JSON body is an endless run of white space after its first bracket


class HostileSite(Site):
    def __init__(self, meetings: dict[str, bytes] | None = None) -> None:
        super().__init__(meetings)
        self.redirects: dict[str, str] = {}  # key -> Location of a 302 (a path with a query is served normally)
        self.endless: set[str] = set()  # keys whose 200 body never ends
        self.gzip_bombs: set[str] = set()  # keys whose gzip body inflates without end
        self.trickle: dict[str, tuple[str, float]] = {}  # key -> ("headers" | "body", seconds per byte)
        self.retry_after: dict[str, str] = {}  # key -> Retry-After of a 503, every time
        self.sent: dict[str, int] = {}  # key -> bytes sent by a hostile path
        self.finished: set[str] = set()  # keys whose hostile loop has ended
        self._closing = threading.Event()

    def __exit__(self, *exc) -> None:
        self._closing.set()
        super().__exit__(*exc)

    def key(self, path: str) -> str | None:
        """The key a request's hostile behaviour is found by; None for a path with a query (served normally)."""
        path, _, query = path.partition("?")
        return None if query else path.rsplit("/", 1)[-1]

    def serve(self, h: BaseHTTPRequestHandler) -> None:
        """The site's normal answer."""
        super().handle(h)

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        key = self.key(h.path)
        if key is None or not self._hostile(key):
            self.serve(h)
            return
        self.requests.append((h.path, -1))
        self.sent[key] = 0
        try:
            if key in self.redirects:
                self._send(h, 302, b"", {"Location": self.redirects[key]})
            elif key in self.retry_after:
                self._send(h, 503, b"busy", {"Retry-After": self.retry_after[key]})
            elif key in self.endless:
                self._endless(h, key)
            elif key in self.gzip_bombs:
                self._gzip_bomb(h, key)
            else:
                self._trickle(h, key, *self.trickle[key])
        except OSError:  # the client stopped reading and went away: what a careful client does
            pass
        finally:
            self.finished.add(key)

    def _hostile(self, key: str) -> bool:
        return any(
            key in kind for kind in (self.redirects, self.retry_after, self.endless, self.gzip_bombs, self.trickle)
        )

    def _head(self, h: BaseHTTPRequestHandler, headers: dict[str, str]) -> None:
        """A 200 with no length: the body ends when the connection does (HTTP/1.0)."""
        h.close_connection = True
        h.send_response(200)
        for name, value in {"Content-Type": "application/json; charset=utf-8", **headers}.items():
            h.send_header(name, value)
        h.end_headers()

    def _endless(self, h: BaseHTTPRequestHandler, key: str) -> None:
        self._head(h, {})
        h.wfile.write(b"[")
        while not self._closing.is_set():
            h.wfile.write(BLOCK)
            self.sent[key] += len(BLOCK)

    def _gzip_bomb(self, h: BaseHTTPRequestHandler, key: str) -> None:
        """A few kilobytes on the wire per 100 MB inflated, without end."""
        self._head(h, {"Content-Encoding": "gzip"})
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        h.wfile.write(compressor.compress(b"["))
        while not self._closing.is_set():
            for _ in range(100):
                h.wfile.write(compressor.compress(b"0" * 1_000_000) + compressor.flush(zlib.Z_SYNC_FLUSH))
                self.sent[key] += 1_000_000

    def _trickle(self, h: BaseHTTPRequestHandler, key: str, where: str, seconds: float) -> None:
        """The whole response one byte at a time, or the headers at once and then the body so."""
        body = self._body(key)
        head = (
            f"HTTP/1.0 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        slow = head + body
        if where == "body":
            h.wfile.write(head)
            slow = body
        for i in range(len(slow)):
            if self._closing.wait(seconds):
                return
            h.wfile.write(slow[i : i + 1])
            self.sent[key] += 1

    def _body(self, key: str) -> bytes:
        if key == "udvalgsliste":
            return json.dumps(udvalgsliste(self.meetings), ensure_ascii=False).encode()
        return self.meetings[key]
