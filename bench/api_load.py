"""HTTP load on loopback: N concurrent clients against `referat serve` for a fixed time.

    python bench/api_load.py [--home DIR] [--clients 20] [--seconds 20] [--ingest-during FOLDER]

Starts the app on 127.0.0.1 (a free port) over the given home (default: the sample, ingested if
needed), then runs the clients with a mix of searches, punkt pages and meeting lists. Prints
`rps=`, `p50_ms=`, `p95_ms=`, `p99_ms=`, `errors=`. Traffic never leaves the machine.
`--unique` makes every search a new query (no query-vector cache hits): the worst case.
`--postgres` runs the same load three times in one run, each against a real `referat serve`
process over a copy of the home: its SQLite + FAISS, then, with it published into a local
PostgreSQL primary and a streaming standby on loopback (index/pgserver.py, as
`REFERAT_PG_USER`/referatpg when root), the primary alone and the multi-host address that reads
from the standby (figures prefixed `sqlite_`, `pg_primary_`, `pg_standby_`); with
`--ingest-during FOLDER`, the folder is ingested and published to the primary while the clients
search the standby (`pg_standby_ingest_s=`, `pg_standby_ingest_exit=`).
`--ingest-during FOLDER` runs `referat ingest FOLDER` into the same home in another process while
the clients run (the server picks up the new index generation between requests); it prints
`ingest_s=` and the ingest's exit status, and the load figures cover the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = [
    "tiltag mod førtidspension for unge",
    "hjemløse",
    "budget",
    "magtanvendelser",
    "Housing First",
    "frivilligt socialt arbejde",
    "ledighed",
    "unge uddannelse",
    "stofindtagelsesrum",
    "bandesituation",
]


def start_server(home: str, store_url: str | None = None) -> tuple[str, object]:
    import uvicorn

    from api.app import create_app
    from index.archive import Archive

    archive = Archive(home, store_url=store_url)
    if not archive.store.meetings():
        archive.ingest([ROOT / "data" / "sample"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(archive=archive), host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    return f"http://127.0.0.1:{port}", server


EXTRA = ["odense", "unge", "budget", "pulje", "borgere", "indsats", "2025", "udvalget"]


async def client(
    base: str, until: float, latencies: list[float], errors: list[str], ids: list[str], unique: bool
) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() < until:
            roll = random.random()
            if roll < 0.7:
                q = random.choice(QUERIES)
                if unique:
                    q = f"{q} {random.choice(EXTRA)} {random.randint(0, 10**6)}"
                url, params = "/api/search", {"q": q, "limit": 10}
            elif roll < 0.9:
                url, params = f"/api/punkter/{random.choice(ids)}", None
            else:
                url, params = "/api/meetings", None
            t = time.perf_counter()
            try:
                response = await http.get(url, params=params)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {url}")
            except httpx.HTTPError as exc:
                errors.append(f"{exc.__class__.__name__} {url}")
            latencies.append((time.perf_counter() - t) * 1000)


async def run(base: str, clients: int, seconds: float, unique: bool) -> tuple[list[float], list[str]]:
    import httpx

    async with httpx.AsyncClient(base_url=base) as http:
        meetings = (await http.get("/api/meetings")).json()
        ids = [p["id"] for m in meetings[:3] for p in (await http.get(f"/api/meetings/{m['id']}")).json()["punkter"]]
        for q in QUERIES:  # warm
            await http.get("/api/search", params={"q": q})
    latencies: list[float] = []
    errors: list[str] = []
    until = time.perf_counter() + seconds
    await asyncio.gather(*(client(base, until, latencies, errors, ids, unique) for _ in range(clients)))
    return latencies, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default=str(ROOT / ".referat-bench" / "sample"))
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--unique", action="store_true", help="every search a query never seen before")
    ap.add_argument("--ingest-during", default=None, help="a folder to ingest into the home while the load runs")
    ap.add_argument("--postgres", action="store_true", help="also against a local Postgres primary and standby")
    ap.add_argument("--url", default=None, help="a running `referat serve` on loopback, e.g. with --workers 2")
    args = ap.parse_args()
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("load is only ever sent to loopback addresses")
    if args.postgres:
        return main_postgres(args)
    base, server = (args.url.rstrip("/"), None) if args.url else start_server(args.home)
    ingest = None
    if args.ingest_during:
        ingest = ingest_process(args.ingest_during, args.home)
    started = time.perf_counter()
    latencies, errors = asyncio.run(run(base, args.clients, args.seconds, args.unique))
    elapsed = time.perf_counter() - started
    if ingest is not None:
        status = ingest.wait()
        print(f"ingest_s={time.perf_counter() - started:.1f}")
        print(f"ingest_exit={status}")
    if server is not None:
        server.should_exit = True
    print(f"clients={args.clients}")
    report("", latencies, errors, elapsed)


def report(prefix: str, latencies: list[float], errors: list[str], elapsed: float) -> None:
    lat = sorted(latencies)
    print(f"{prefix}requests={len(lat)}")
    print(f"{prefix}rps={len(lat) / elapsed:.1f}")
    print(f"{prefix}p50_ms={statistics.median(lat):.1f}")
    print(f"{prefix}p95_ms={lat[int(0.95 * (len(lat) - 1))]:.1f}")
    print(f"{prefix}p99_ms={lat[int(0.99 * (len(lat) - 1))]:.1f}")
    print(f"{prefix}errors={len(errors)}")


def ingest_process(folder: str, home: str, store_url: str | None = None) -> subprocess.Popen:
    """`referat ingest FOLDER` into the home in another process (published to `store_url`, a
    Postgres primary, when given); its exit status tells how it went."""
    argv = [sys.executable, "-m", "api.cli", "ingest", folder, "--home", home, "--no-enrich"]
    argv += ["--store", store_url] if store_url else []
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def serve_process(home: str, store_url: str | None = None) -> tuple[str, subprocess.Popen]:
    """A real `referat serve` on a free loopback port, so that the clients are another process, as
    real clients are (in one process they would share its interpreter lock with the server). Its
    output goes to `serve.log` beside the home (a pipe nobody reads would fill and stop it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [sys.executable, "-m", "api.cli", "serve", "--home", home, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--store", store_url] if store_url else []
    log_path = Path(home).parent / "serve.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        if proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-1000:]
            raise SystemExit(f"referat serve stopped ({proc.returncode}): {tail}")
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return base, proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    proc.wait(30)
    raise SystemExit("referat serve did not answer in 120 s")


def main_postgres(args) -> None:
    """The same load on the embedded store, a Postgres primary alone, and primary + standby, each
    served by a real `referat serve`; with `--ingest-during`, the folder is ingested into a copy of
    the home and published to the primary while the clients search the standby."""
    import shutil
    import tempfile

    from index import pgstore
    from index.archive import Archive
    from index.pgserver import LocalCluster

    with tempfile.TemporaryDirectory(prefix="referat-load-") as tmp:
        home = str(Path(tmp) / "home")
        shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("*.lock"))
        archive = Archive(home)
        if not archive.store.meetings():
            archive.ingest([ROOT / "data" / "sample"])
        with LocalCluster(standby=False, prefix="referat-pg-load-") as nodes:
            pgstore.publish(archive.store.db, nodes.primary_url)
            nodes.add_standby()
            runs = {"sqlite_": None, "pg_primary_": nodes.primary_url, "pg_standby_": nodes.routed_url()}
            print(f"clients={args.clients}")
            for prefix, url in runs.items():
                base, server = serve_process(home, url)
                ingest = None
                if args.ingest_during and prefix == "pg_standby_":
                    ingest = ingest_process(args.ingest_during, home, nodes.primary_url)
                try:
                    started = time.perf_counter()
                    latencies, errors = asyncio.run(run(base, args.clients, args.seconds, args.unique))
                    elapsed = time.perf_counter() - started
                    if ingest is not None:
                        print(f"{prefix}ingest_exit={ingest.wait()}")
                        print(f"{prefix}ingest_s={time.perf_counter() - started:.1f}")
                    report(prefix, latencies, errors, elapsed)
                finally:
                    server.terminate()
                    server.wait(30)


if __name__ == "__main__":
    main()
