"""A closed punkt never leaks: words planted in closed bodies (`zqxhemmelig…`) appear in no
surface (HTTP API, web page, MCP, CLI, similar, facets) and in no byte of any file under the
home folder. And a punkt that was open and is re-published closed at the same path loses its old
words everywhere, the store's free pages and write-ahead log included.

Written against the public interface only (Archive, HTTP routes, MCP, CLI), so that it holds
whatever the store and index look like inside."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow

HOSTILE = FIXTURES / "hostile"
SECRET = "zqxhemmelig"
OLD_OPEN = "zqxtidligereaaben"

FLIP_OPEN = f"""REFERAT Økonomiudvalget 2022-2025 d. 03-04-2024

Mødested: Rådhuset, Odense Kommune

Punkt 1: A-sag: Godkendelse af dagsorden

00.01.00-A00-1-24

Beslutning

Godkendt.

Punkt 2: B-sag: Salg af ejendommen Skovvej 3

02.34.02-G01-2-24

Sagsfremstilling

Ejendommen {OLD_OPEN}1 sælges til {OLD_OPEN}2 for 4,5 mio. kr.

Beslutning

{OLD_OPEN}3 godkendt. Anna Hansen deltog ikke i mødet.
"""
FLIP_CLOSED = FLIP_OPEN.split("Punkt 2:")[0] + "Punkt 2: Lukket: Salg af ejendommen Skovvej 3\n\n02.34.02-G01-2-24\n"


@pytest.fixture(scope="module")
def leak_archive(tmp_path_factory):
    from index.archive import Archive

    base = tmp_path_factory.mktemp("leak")
    inputs = base / "in"
    inputs.mkdir()
    for name in ("text-closed-variants.txt", "firstagenda-closed-variants.json"):
        shutil.copy(HOSTILE / name, inputs / name)
    flip = base / "flip.txt"
    flip.write_text(FLIP_OPEN, encoding="utf-8")
    archive = Archive(base / "home")
    first = archive.ingest([inputs, flip])
    assert first.ok, first.failures
    assert archive.search(f"{OLD_OPEN}1").hits  # the open version is searchable before it is closed
    flip.write_text(FLIP_CLOSED, encoding="utf-8")
    second = archive.ingest([flip])
    assert second.ok, second.failures
    yield archive
    archive.close()


def _ids(archive) -> list[str]:
    ids = []
    for meeting in archive.store.meetings():
        ids += [p["id"] for p in archive.store.meeting(meeting["id"])["punkter"]]
    return ids


def _clean(text: str, query: str = "") -> bool:
    """No planted word in `text`, apart from the query itself where an answer echoes it."""
    if query:
        text = text.replace(query, "")
    return SECRET not in text and OLD_OPEN not in text


QUERIES = [f"{SECRET}{i}" for i in (1, 2, 6, 9, 11, 12, 14, 15, 17)] + [f"{OLD_OPEN}1", "salg af ejendommen"]


def test_closed_punkter_are_closed_in_the_store(leak_archive):
    ids = _ids(leak_archive)
    closed = [leak_archive.store.punkt(i) for i in ids if leak_archive.store.punkt(i)["closed"]]
    assert len(closed) >= 15  # 7 in the text file, 9 in the JSON, the flipped one
    for punkt in closed:
        assert punkt["case_type"] == "Lukket" and not punkt["sections"] and not punkt["decision"]
        assert not punkt["attachments"] and not punkt["absent"] and not punkt["entities"]


def test_search_similar_and_facets_never_show_closed_words(leak_archive):
    for q in QUERIES:
        result = leak_archive.search(q, limit=50)
        assert _clean(json.dumps(result.to_dict(), ensure_ascii=False), q), q
    searcher = leak_archive.searcher()
    for punkt_id in _ids(leak_archive):
        if not leak_archive.store.punkt(punkt_id)["closed"]:
            assert _clean(json.dumps(searcher.similar(punkt_id, 20), ensure_ascii=False))


def test_http_api_and_web_pages_never_show_closed_words(leak_archive):
    from api.app import create_app

    with TestClient(create_app(archive=leak_archive)) as client:
        for q in QUERIES:
            assert _clean(client.get("/api/search", params={"q": q, "limit": 50}).text, q), q
            assert _clean(client.get("/", params={"q": q}).text, q), q
        for punkt_id in _ids(leak_archive):
            for url in (f"/api/punkter/{punkt_id}", f"/punkt/{punkt_id}", f"/api/punkter/{punkt_id}/similar"):
                assert _clean(client.get(url).text), url
        for meeting in leak_archive.store.meetings():
            assert _clean(client.get(f"/api/meetings/{meeting['id']}").text)
            assert _clean(client.get(f"/moede/{meeting['id']}").text)
        for url in ("/api/meetings", "/api/entities", "/api/themes", "/arkiv"):
            assert _clean(client.get(url).text), url


def _serve(app) -> tuple[str, object, threading.Thread]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not srv.started and time.time() < deadline:
        time.sleep(0.1)
    assert srv.started
    return f"http://127.0.0.1:{port}", srv, thread


def test_mcp_never_shows_closed_words(leak_archive):
    from mcp import Client

    from api.app import create_app

    url, srv, thread = _serve(create_app(archive=leak_archive))
    try:

        async def run() -> list[str]:
            texts = []
            async with Client(f"{url}/mcp", read_timeout_seconds=120) as mcp:
                for q in QUERIES:
                    result = await mcp.call_tool("search_minutes", {"query": q, "limit": 20})
                    texts.append(json.dumps(result.model_dump(mode="json"), ensure_ascii=False).replace(q, ""))
                for punkt_id in _ids(leak_archive):
                    result = await mcp.call_tool("get_punkt", {"id": punkt_id})
                    texts.append(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
                result = await mcp.call_tool("list_meetings", {"limit": 20})
                texts.append(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
            return texts

        texts = asyncio.run(run())
        assert len(texts) > len(QUERIES)
        assert all(_clean(t) for t in texts)
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_cli_json_never_shows_closed_words(leak_archive):
    home = str(leak_archive.home)
    closed = next(i for i in _ids(leak_archive) if leak_archive.store.punkt(i)["closed"])
    # Each command loads the models: few commands, each covering much.
    commands = [["search", q, "--json", "--limit", "50"] for q in (QUERIES[0], QUERIES[-2])]
    commands += [["show", closed, "--json"], ["meetings", "--json"]]
    for command in commands:
        proc = subprocess.run(
            [sys.executable, "-m", "api.cli", *command, "--home", home],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert proc.returncode == 0, proc.stderr[-300:]
        assert _clean(proc.stdout + proc.stderr, command[1] if command[0] == "search" else ""), command


def _files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if p.is_file()]


def test_closed_bodies_never_reach_a_file(leak_archive):
    leak_archive.searcher()
    files = _files(leak_archive.home)
    assert any(p.name.startswith("referat.sqlite") for p in files)
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path


def test_an_open_punkt_closed_later_leaves_no_old_words_in_any_file(leak_archive):
    leak_archive.searcher()
    leaked = [str(p) for p in _files(leak_archive.home) if OLD_OPEN.encode() in p.read_bytes()]
    assert not leaked, leaked
