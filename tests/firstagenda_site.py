"""A recorded FirstAgenda publication site on 127.0.0.1, served from the shared Greve files.

Real HTTP (stdlib http.server in a thread), real httpx on the client side, no mocking. The
site can be told to misbehave: answer 503 a few times, or drop the connection after N meetings.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
SAMPLE_GREVE = ROOT / "data" / "sample" / "greve"

# Small meetings from three committees; the Økonomiudvalget ones carry closed (Lukket) punkter.
SITE_MEETINGS = [
    "greve-firstagenda-more/*eb813156-9a4b-413b-b59d-371ab2038456.json",
    "greve-firstagenda-more/*ae9cc25c-8e34-4e3b-b0d4-bd047a6926dd.json",
    "greve-firstagenda-more/*e8190b7d-3fda-474c-8198-c3e6fdda1efa.json",
    "greve-firstagenda-more/*c26b34b4-096e-4cc2-a196-037af5c38042.json",
    "greve-firstagenda-more/*509c8433-d4b6-4cd7-8724-091d2169133e.json",
    "greve-firstagenda-more/*73503c0b-13dd-4398-a637-4e92c506216b.json",
]


def load_meetings() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for pattern in SITE_MEETINGS:
        folder, name = pattern.split("/")
        matches = sorted((SHARED / folder).glob(name))
        if not matches:
            raise FileNotFoundError(f"{SHARED / folder}/{name}")
        data = matches[0].read_bytes()
        out[json.loads(data)["Id"]] = data
    return out


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
        self.drop_after: int | None = None  # close the connection on meeting requests after this many 200s
        self.etags = True
        self.user_agents: list[str] = []
        self._served = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                site.user_agents.append(self.headers.get("User-Agent", ""))
                site.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
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
        return [p.removeprefix(prefix) for p, s in self.requests if p.startswith(prefix) and s == 200]

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
            ident = h.path.removeprefix(prefix)
            if ident not in self.meetings:
                self._send(h, 404, b"{}")
                return
            if self.fail_503.get(ident, 0) > 0:
                self.fail_503[ident] -= 1
                self._send(h, 503, b"busy", {"Retry-After": "0"})
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
            self._send(h, 200, body, {"Content-Type": "application/json; charset=utf-8", "ETag": etag})
