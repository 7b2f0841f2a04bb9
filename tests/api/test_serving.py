"""Serving an archive while it grows: filters rank as the subset would, an ingest under load loses no
request, and `referat serve --workers 2` answers. Real servers on loopback, stopped by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from index.archive import Archive
from index.filters import Filters
from tests.api.conftest import _free_port
from tests.conftest import ROOT, SAMPLE
from tests.index.test_store_ingest import small_referat

QUERIES = ["budget", "handicap", "beskæftigelse af unge", "how are disabled citizens supported?", "ledighed"]


@pytest.mark.slow
def test_a_filtered_search_ranks_as_the_subset_alone_would(archive, tmp_path):
    subset = Archive(tmp_path / "greve-only")
    assert subset.ingest([SAMPLE / "greve"], enrich=False).ok
    greve = Filters(municipality="Greve")
    for query in QUERIES:
        # Dense evidence: exactly the nearest passages of the subset, not a global top-k filtered afterwards.
        qvec = archive.embedder.queries([query])[0]
        mine, theirs = archive.searcher(), subset.searcher()
        with archive.store.snapshot() as db:
            dense = mine._dense(db, qvec, greve.punkt_mask(db))
            slugs = dict(db.execute("SELECT id, slug FROM punkter"))
        with subset.store.snapshot() as db:
            alone_dense = theirs._dense(db, qvec, None)
            alone_slugs = dict(db.execute("SELECT id, slug FROM punkter"))
        named = {slugs[k]: round(v, 5) for k, v in dense.items()}
        alone_named = {alone_slugs[k]: round(v, 5) for k, v in alone_dense.items()}
        assert named == alone_named, query
        # The ranking: nearly the same top 10, up to what collection statistics change between the two
        # archives, the one difference a filter is allowed: BM25's IDF and mean length, the IDF that
        # weighs word coverage, and whether the archive holds a word at all (an English word's Danish
        # translation may occur only outside the filter).
        filtered = [h["id"] for h in archive.search(query, limit=10, filters=greve).hits]
        alone = [h["id"] for h in subset.search(query, limit=10).hits]
        assert filtered and all(h.startswith("greve/") for h in filtered), query
        assert len(set(filtered) & set(alone)) >= 7, (query, filtered, alone)


def _serve(home: Path, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--home", str(home), "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stopped with every worker it starts
    )


def _wait_ready(base: str, proc: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("server did not start")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.mark.slow
def test_an_ingest_while_the_server_answers_loses_no_request(tmp_path):
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    first = docs / "a.txt"
    first.write_text(small_referat(date="05-11-2024"), encoding="utf-8")
    writer = Archive(home)
    assert writer.ingest([first], enrich=False).ok
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(home, port)
    try:
        _wait_ready(base, proc)
        errors: list[str] = []
        answered = 0
        stop = threading.Event()

        def load() -> None:
            nonlocal answered
            with httpx.Client(base_url=base, timeout=60) as http:
                while not stop.is_set():
                    for url, params in (("/api/search", {"q": "værested for hjemløse"}), ("/health", None)):
                        try:
                            response = http.get(url, params=params)
                            if response.status_code != 200:
                                errors.append(f"{response.status_code} {url}")
                            answered += 1
                        except httpx.HTTPError as exc:
                            errors.append(f"{exc.__class__.__name__} {url}")

        clients = [threading.Thread(target=load) for _ in range(3)]
        for c in clients:
            c.start()
        second = docs / "b.txt"
        second.write_text(small_referat(date="06-11-2024", extra="Vi planter frugttræer i parken."), encoding="utf-8")
        try:
            assert writer.ingest([second], enrich=False).ok
            # searchable at once, without restarting the server
            hits = httpx.get(f"{base}/api/search", params={"q": "frugttræer i parken"}, timeout=60).json()["hits"]
        finally:
            stop.set()
            for c in clients:
                c.join(timeout=60)
        assert errors == []
        assert answered > 0
        assert hits and hits[0]["meeting_date"] == "2024-11-06"
    finally:
        _stop(proc)


@pytest.mark.slow
def test_serve_with_two_workers_answers(tmp_path):
    home = tmp_path / "home"
    doc = tmp_path / "a.txt"
    doc.write_text(small_referat(), encoding="utf-8")
    assert Archive(home).ingest([doc], enrich=False).ok
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(home, port, "--workers", "2")
    try:
        _wait_ready(base, proc, seconds=300)
        for _ in range(6):
            response = httpx.get(f"{base}/api/search", params={"q": "værested"}, timeout=60)
            assert response.status_code == 200 and response.json()["hits"]
    finally:
        _stop(proc)
    assert proc.poll() is not None


def test_serve_refuses_a_home_that_does_not_exist(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--home", str(tmp_path / "typo"), "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "arkivet findes ikke" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "typo").exists()


def test_the_server_computes_a_bounded_number_of_requests_at_once(archive, monkeypatch):
    """20 searches at once in 40 threads each took three times the CPU of one at a time (the GIL):
    the server queues requests beyond `settings.serve_concurrency` instead."""
    import uvicorn

    from api.app import create_app
    from nlp.settings import settings

    lock, inside, most = threading.Lock(), [0], [0]
    search = archive.search

    def counted(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.2)  # long enough for the other requests to arrive meanwhile
            return search(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(archive, "search", counted)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(archive=archive), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 60
        while not server.started and time.time() < deadline:
            time.sleep(0.1)
        statuses: list[int] = []

        def ask(query: str) -> None:
            statuses.append(
                httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": query}, timeout=60).status_code
            )

        askers = [threading.Thread(target=ask, args=(q,)) for q in QUERIES]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert statuses == [200] * len(QUERIES)  # every request answered: queued, not refused
    assert most[0] == settings.serve_concurrency
