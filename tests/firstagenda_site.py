"""A recorded FirstAgenda publication site on 127.0.0.1, served from Greve files in the repository.

Real HTTP (stdlib http.server in a thread), Referat's real client on the other side, no mocking.
The site can be told to misbehave: answer 503 a few times, or drop the connection after N
meetings; `tests/hostile_site.py` adds the hostile behaviours. It also answers as an HTTP proxy
for itself (a request line with a whole URL), for the test that harvest honours `HTTP_PROXY`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
#: Six small meetings from three committees; the three with a `Lukket: …` punkt carry closed items (see SOURCE).
SITE_FILES = ROOT / "tests" / "fixtures" / "firstagenda-site"
SAMPLE_GREVE = ROOT / "data" / "sample" / "greve"


def load_meetings() -> dict[str, bytes]:
    """Meeting id -> the meeting's JSON as FirstAgenda serves it."""
    files = sorted(SITE_FILES.glob("*.json"))
    if len(files) != 6:
        raise FileNotFoundError(f"{SITE_FILES}: expected the six site meetings, found {len(files)}")
    return {json.loads(path.read_bytes())["Id"]: path.read_bytes() for path in files}


def udvalgsliste(meetings: dict[str, bytes]) -> dict:
    """The committee list FirstAgenda serves, built from the meetings' own Udvalg and Moede."""
    committees: dict[str, dict] = {}
    for ident, raw in meetings.items():
        data = json.loads(raw)
        udvalg = data["Udvalg"]
        entry = committees.setdefault(udvalg["Id"], {"Id": udvalg["Id"], "Navn": udvalg["Navn"], "Moeder": []})
        entry["Moeder"].append({"Id": ident, "Dato": data["Moede"]["Dato"]})
    current = [c for c in committees.values() if not c["Navn"].startswith("Klima")]
    historical = [c for c in committees.values() if c["Navn"].startswith("Klima")]
    return {"Udvalg": {"Aktuelle politiske udvalg": current, "Historiske udvalg": historical}}


class Site:
    def __init__(self, meetings: dict[str, bytes] | None = None) -> None:
        self.meetings = meetings if meetings is not None else load_meetings()
        self.requests: list[tuple[str, int]] = []  # (path, status) of every answered request
        self.fail_503: dict[str, int] = {}  # meeting id -> how many 503s are left before a 200
        self.retry_after_503 = "0"  # the Retry-After those 503s carry
        self.drop_after: int | None = None  # close the connection on meeting requests after this many 200s
        self.etags = True
        self.gzip = False  # serve meetings with Content-Encoding: gzip when the client accepts it
        self.user_agents: list[str] = []
        self.hosts: list[str] = []  # the Host header of every request
        self.proxied: list[str] = []  # the whole URLs of requests that came as to a proxy
        self._served = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                site.user_agents.append(self.headers.get("User-Agent", ""))
                site.hosts.append(self.headers.get("Host", ""))
                if self.path.startswith(("http://", "https://")):  # a proxy request: GET http://host/path
                    site.proxied.append(self.path)
                    parts = urlsplit(self.path)
                    self.path = parts.path + (f"?{parts.query}" if parts.query else "")
                site.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def meeting_downloads(self) -> list[str]:
        """Meeting ids answered with a body (200)."""
        prefix = "/api/agenda/dagsorden/"
        return [p.removeprefix(prefix).split("?")[0] for p, s in self.requests if p.startswith(prefix) and s == 200]

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        self.requests.append((h.path, status))

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            if h.path == "/api/agenda/udvalgsliste":
                body = json.dumps(udvalgsliste(self.meetings), ensure_ascii=False).encode()
                self._send(h, 200, body, {"Content-Type": "application/json; charset=utf-8"})
                return
            prefix = "/api/agenda/dagsorden/"
            if not h.path.startswith(prefix):
                self._send(h, 404, b"{}")
                return
            ident = h.path.removeprefix(prefix).split("?")[0]
            if ident not in self.meetings:
                self._send(h, 404, b"{}")
                return
            if self.fail_503.get(ident, 0) > 0:
                self.fail_503[ident] -= 1
                self._send(h, 503, b"busy", {"Retry-After": self.retry_after_503})
                return
            if self.drop_after is not None and self._served >= self.drop_after:
                h.close_connection = True
                h.connection.shutdown(2)  # the server goes away mid-harvest
                self.requests.append((h.path, 0))
                return
            body = self.meetings[ident]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.etags and h.headers.get("If-None-Match") == etag:
                self._send(h, 304, b"", {"ETag": etag})
                return
            self._served += 1
            headers = {"Content-Type": "application/json; charset=utf-8", "ETag": etag}
            if self.gzip and "gzip" in h.headers.get("Accept-Encoding", ""):
                body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
            self._send(h, 200, body, headers)
