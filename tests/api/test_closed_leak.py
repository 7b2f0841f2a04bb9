"""A closed punkt never leaks: words planted in closed bodies (`zqxhemmelig…`, and `zqxlukket…` in
the minutes `tests/closed_variants.py` writes with every marking we know of) appear in no surface
(HTTP API, web page, MCP, feeds, saved searches, CLI, similar, facets) and in no byte of any file
under the home folder, compressed content included. A punkt that was open and is re-published
closed at the same path loses its old words everywhere, the store's free pages and write-ahead
log included; and a dagsorden kept beside the referat that closed one of its punkter keeps
nothing of that punkt's body either.

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
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import closed_variants
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.slow

HOSTILE = FIXTURES / "hostile"
SECRET = "zqxhemmelig"
OLD_OPEN = "zqxtidligereaaben"
PLANTED = closed_variants.PLANTED
PLANTED_WORDS = (SECRET, OLD_OPEN, PLANTED)

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
    closed_variants.write_all(inputs)
    dagsorden, referat = closed_variants.dagsorden_then_referat(base)
    flip = base / "flip.txt"
    flip.write_text(FLIP_OPEN, encoding="utf-8")
    archive = Archive(base / "home")
    first = archive.ingest([inputs, flip, dagsorden])
    assert first.ok, first.failures
    assert archive.search(f"{OLD_OPEN}1").hits  # the open version is searchable before it is closed
    assert archive.search(f"{PLANTED}dagsorden1").hits  # and so is the dagsorden's punkt 2
    flip.write_text(FLIP_CLOSED, encoding="utf-8")
    second = archive.ingest([flip, referat])
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
    return not any(word in text for word in PLANTED_WORDS)


QUERIES = (
    [f"{SECRET}{i}" for i in (1, 2, 6, 9, 11, 12, 14, 15, 17)]
    + [f"{PLANTED}{i}" for i in (2, 8, 14, 24, 30, 40, 45)]
    + [f"{PLANTED}dagsorden1", f"{OLD_OPEN}1", "salg af ejendommen", "køb af areal", "personalesag"]
)


def test_closed_punkter_are_closed_in_the_store(leak_archive):
    ids = _ids(leak_archive)
    closed = [leak_archive.store.punkt(i) for i in ids if leak_archive.store.punkt(i)["closed"]]
    generated = len(closed_variants.REPORTED_TITLES) + len(closed_variants.OWN_TITLES)
    # 7 in the text file, 9 in the JSON, the flipped one, the generated ones, the dagsorden's punkt 2
    assert len(closed) >= 17 + 2 * generated + 9
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
        for q in QUERIES:
            feed = client.get("/feed.atom", params={"q": q})
            assert feed.status_code == 200 and _clean(feed.text, q), q


def test_saved_searches_never_show_closed_words(leak_archive):
    """Saved searches are stored, so their words are not planted ones (those would be in the file
    because a user typed them); they find the closed punkter's titles, and nothing more."""
    from index.watches import add_watch, remove_watch, run_watch

    found = 0
    for i, q in enumerate(q for q in QUERIES if not any(w in q for w in PLANTED_WORDS)):
        add_watch(leak_archive.store, f"laek{i}", q)
        try:
            new = run_watch(leak_archive, f"laek{i}")
            found += len(new)
            assert _clean(json.dumps(new, ensure_ascii=False)), q
        finally:
            remove_watch(leak_archive.store, f"laek{i}")
    assert found


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


def _stored_values(path: Path) -> list[bytes]:
    """Every value of every row of every table of an SQLite file, BLOBs decompressed when they are
    zlib streams (documents.content is): a plain grep of the file would miss those."""
    import sqlite3

    values: list[bytes] = []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        try:
                            value = zlib.decompress(value)
                        except zlib.error:
                            pass
                        values.append(value)
                    elif isinstance(value, str):
                        values.append(value.encode("utf-8"))
    finally:
        db.close()
    return values


def test_closed_bodies_never_reach_a_file(leak_archive):
    leak_archive.searcher()
    files = _files(leak_archive.home)
    assert any(p.name.startswith("referat.sqlite") for p in files)
    for path in files:
        data = path.read_bytes()
        assert SECRET.encode() not in data and PLANTED.encode() not in data, path
    values = _stored_values(leak_archive.home / "referat.sqlite")
    assert any(b"Godkendt" in v for v in values)  # the decompressed content is really read
    assert not [v[:80] for v in values if SECRET.encode() in v or PLANTED.encode() in v]


def test_an_open_punkt_closed_later_leaves_no_old_words_in_any_file(leak_archive):
    leak_archive.searcher()
    leaked = [str(p) for p in _files(leak_archive.home) if OLD_OPEN.encode() in p.read_bytes()]
    assert not leaked, leaked
    assert not [v[:80] for v in _stored_values(leak_archive.home / "referat.sqlite") if OLD_OPEN.encode() in v]


def test_a_dagsorden_kept_beside_the_referat_keeps_no_closed_body(leak_archive):
    """The referat closed punkt 2; the dagsorden stays stored (and listed) with punkt 2 closed."""
    meeting = next(m for m in leak_archive.store.meetings() if "teknik" in m["id"])
    documents = leak_archive.store.meeting(meeting["id"])["documents"]
    assert {d["kind"] for d in documents} == {"dagsorden", "referat"}
    for row in leak_archive.store.db.execute("SELECT content FROM documents"):
        assert f"{PLANTED}dagsorden".encode() not in zlib.decompress(row[0])
