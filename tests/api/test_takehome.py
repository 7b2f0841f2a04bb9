"""Sort and narrow, back to the source, a journalist's take-home (issue 19, parts 2, 6, 7).

Real archive (the session's sample), real HTTP through the app, the real CLI, and real Datasette
from PyPI serving a copy of the archive's SQLite file on loopback.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.export import COLUMNS
from index.store import Store
from tests.conftest import SAMPLE

runner = CliRunner()
Q = "førtidspension"
GREVE_PUNKT = "greve/beskaeftigelses-og-erhvervsudvalget/2025-01-06/4"
ODENSE_PUNKT = "odense/beskaeftigelses-og-socialudvalget/2025-11-25/15"
CLOSED_PUNKT = "odense/beskaeftigelses-og-socialudvalget/2025-11-25/4"
FA_URL = re.compile(r"^https://dagsordener\.greve\.dk/vis\?id=[0-9a-f-]{36}(&punktid=[0-9a-f-]{36})?$")


# -- sort -------------------------------------------------------------------------------------


def test_sort_by_date_orders_the_same_set_newest_first(client):
    by_rank = client.get("/api/search", params={"q": Q, "limit": 100}).json()
    by_date = client.get("/api/search", params={"q": Q, "limit": 100, "sort": "date"}).json()
    assert by_date["sort"] == "date" and by_rank["sort"] == "relevance"
    total = by_date["total"]
    assert total == by_rank["total"] > 1
    assert {h["id"] for h in by_date["hits"]} == {h["id"] for h in by_rank["hits"]}  # order only
    # the answer (the first `total` hits) newest first, the loosely related after it
    answer = by_date["hits"][:total]
    assert all(h["relevant"] for h in answer) and not any(h["relevant"] for h in by_date["hits"][total:])
    assert {h["id"] for h in answer} == {h["id"] for h in by_rank["hits"][:total]}
    dates = [h["meeting_date"] for h in answer]
    assert dates == sorted(dates, reverse=True)
    # paging through the date order gives the same sequence
    first = client.get("/api/search", params={"q": Q, "limit": 5, "sort": "date"}).json()["hits"]
    second = client.get("/api/search", params={"q": Q, "limit": 5, "offset": 5, "sort": "date"}).json()["hits"]
    assert [h["id"] for h in first + second] == [h["id"] for h in by_date["hits"][:10]]


def test_unknown_sort_is_a_danish_422_everywhere(client, archive):
    response = client.get("/api/search", params={"q": Q, "sort": "newest"})
    assert response.status_code == 422
    assert "sort skal være 'relevance' eller 'date'" in response.json()["error"]["message"]
    assert client.get("/api/search.csv", params={"q": Q, "sort": "x"}).status_code == 422
    page = client.get("/", params={"q": Q, "sort": "newest"})
    assert page.status_code == 422 and "sort skal være" in page.text
    result = runner.invoke(cli_app, ["search", Q, "--home", str(archive.home), "--sort", "newest"])
    assert result.exit_code == 2
    assert "sort skal være 'relevance' eller 'date'" in result.output


def test_feed_is_newest_first(client):
    from xml.etree import ElementTree as ET

    feed = ET.fromstring(client.get("/feed.atom", params={"q": Q}).content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    updated = [e.find("a:updated", ns).text for e in feed.findall("a:entry", ns)]
    total = client.get("/api/search", params={"q": Q}).json()["total"]
    assert len(updated) == total > 1 and updated == sorted(updated, reverse=True)


def test_page_has_sort_control_date_range_and_export_links(client):
    page = client.get("/", params={"q": Q, "sort": "date", "date_from": "2024-01-01", "date_to": "2025-06-30"})
    assert page.status_code == 200
    html = page.text
    assert '<option value="date" selected>Nyeste først</option>' in html
    assert 'id="date_from" name="date_from" type="date" value="2024-01-01"' in html
    assert 'id="date_to" name="date_to" type="date" value="2025-06-30"' in html
    answer = html.split('class="hits"')[1].split("</ol>")[0]  # the relevant list, not "Mindre relevante"
    hits = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})">', answer)
    assert hits and hits == sorted(hits, reverse=True)
    assert all("2024-01-01" <= d <= "2025-06-30" for d in hits)
    csv_link = re.search(r'href="(/api/search\.csv\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "sort=date" in csv_link and "date_from=2024-01-01" in csv_link
    # facet and pager links keep the order
    assert all("sort=date" in link for link in re.findall(r'href="(/\?q=[^"]+)"', html))


# -- export -----------------------------------------------------------------------------------


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_and_json_export_hold_the_whole_result(client):
    response = client.get("/api/search.csv", params={"q": Q, "sort": "date"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = _csv(response.content.decode("utf-8-sig"))
    assert list(rows[0].keys()) == list(COLUMNS)
    api = client.get("/api/search", params={"q": Q, "limit": 100, "sort": "date"}).json()
    assert [r["id"] for r in rows] == [h["id"] for h in api["hits"]][: len(rows)]
    assert len(rows) == min(api["total"], 1000)
    assert "<mark>" not in response.text and any(Q in r["snippet"].lower() for r in rows)
    title = client.get("/api/punkter/" + GREVE_PUNKT).json()["title"]
    greve_rows = _csv(client.get("/api/search.csv", params={"q": title}).content.decode("utf-8-sig"))
    greve = next(r for r in greve_rows if r["id"] == GREVE_PUNKT)
    assert FA_URL.match(greve["source_url"]) and greve["url"].endswith("/punkt/" + GREVE_PUNKT)
    exported = client.get("/api/search.json", params={"q": Q, "sort": "date"}).json()
    assert exported["sort"] == "date" and exported["exported"] == len(rows)
    assert [h["id"] for h in exported["hits"]] == [r["id"] for r in rows]


def test_export_of_a_closed_punkt_is_its_title_only(client):
    rows = _csv(
        client.get("/api/search.csv", params={"q": "Indgåelse af eksternt lejemål"}).content.decode("utf-8-sig")
    )
    closed = [r for r in rows if r["id"] == CLOSED_PUNKT]
    assert closed and closed[0]["closed"] == "ja"
    assert closed[0]["snippet"] == "" and closed[0]["decision"] == "" and closed[0]["snippet_section"] == ""


def test_csv_cells_are_never_formulas():
    from api.export import to_csv

    row = dict.fromkeys(COLUMNS, "")
    row.update(id="x", title='=HYPERLINK("http://evil")', decision="+1+2", score=-1.5, number=3)
    line = _csv(to_csv([row]))[0]
    assert line["title"].startswith("'=") and line["decision"] == "'+1+2" and line["score"] == "-1.5"


def test_cli_csv_and_export_json(archive):
    out = runner.invoke(cli_app, ["search", Q, "--home", str(archive.home), "--csv", "--sort", "date"])
    assert out.exit_code == 0, out.output
    rows = _csv(out.stdout)
    total = json.loads(runner.invoke(cli_app, ["search", Q, "--home", str(archive.home), "--json"]).stdout)["total"]
    assert len(rows) == total > 3  # the whole answer, not the first --limit
    dates = [r["meeting_date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    as_json = runner.invoke(cli_app, ["search", Q, "--home", str(archive.home), "--export-json", "--sort", "date"])
    assert [h["id"] for h in json.loads(as_json.stdout)["hits"]] == [r["id"] for r in rows]
    plain = runner.invoke(cli_app, ["search", Q, "--home", str(archive.home), "--json", "--sort", "date", "-n", "3"])
    assert [h["id"] for h in json.loads(plain.stdout)["hits"]] == [r["id"] for r in rows[:3]]


# -- back to the source -----------------------------------------------------------------------


def test_firstagenda_punkter_and_meetings_link_to_their_pages(client, archive):
    punkt = client.get("/api/punkter/" + GREVE_PUNKT).json()
    assert FA_URL.match(punkt["source_url"]) and "&punktid=" in punkt["source_url"]
    assert FA_URL.match(punkt["meeting"]["source_url"]) and "&punktid=" not in punkt["meeting"]["source_url"]
    assert punkt["meeting"]["name"] == "Beskæftigelses- og Erhvervsudvalget, Greve Kommune, 6. januar 2025 kl. 08:00"
    meeting = client.get("/api/meetings/" + punkt["meeting"]["id"]).json()
    assert meeting["source_url"] == punkt["meeting"]["source_url"]
    # the agenda and item ids are FirstAgenda's own, from the file
    raw = json.loads(next((SAMPLE / "greve").glob("*beskaeftigelses*2025-01-06.json")).read_text("utf-8"))
    item = next(i for i in raw["Dagsordenpunkter"] if str(i["Punktnummer"]) == "4")
    assert punkt["source_url"] == f"https://dagsordener.greve.dk/vis?id={raw['Id']}&punktid={item['Id']}"
    page = client.get("/punkt/" + GREVE_PUNKT).text
    assert f'href="{punkt["source_url"].replace("&", "&amp;")}"' in page and "Punktet på dagsordener.greve.dk" in page
    assert f'href="{meeting["source_url"]}"' in client.get("/moede/" + meeting["id"]).text
    hits_page = client.get("/", params={"q": Q, "date_from": "2025-01-06", "date_to": "2025-01-06"}).text
    assert f'href="{punkt["source_url"].replace("&", "&amp;")}" rel="external">kilden</a>' in hits_page
    shown = runner.invoke(cli_app, ["show", GREVE_PUNKT, "--home", str(archive.home), "--json"])
    assert json.loads(shown.stdout)["source_url"] == punkt["source_url"]


def test_cli_datasette_writes_the_metadata(archive, tmp_path):
    import shutil

    import yaml

    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(archive.home / "referat.sqlite") as src, sqlite3.connect(home / "referat.sqlite") as dst:
        src.backup(dst)
    shutil.copytree(archive.home / "index", home / "index")
    result = runner.invoke(cli_app, ["datasette", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert f"datasette serve {home / 'referat.sqlite'} --metadata {home / 'metadata.yaml'}" in result.stdout
    written = yaml.safe_load((home / "metadata.yaml").read_text("utf-8"))
    tables = written["databases"]["referat"]["tables"]
    assert tables["punkter"]["fts_table"] == "punkt_text" and tables["meetings"]["label_column"] == "name"


def test_unknown_source_says_so(client):
    punkt = client.get("/api/punkter/" + ODENSE_PUNKT).json()
    assert punkt["source_url"] is None and punkt["meeting"]["source_url"] is None
    assert "Kilden er ukendt" in client.get("/punkt/" + ODENSE_PUNKT).text
    assert "Kilden er ukendt" in client.get("/moede/" + punkt["meeting"]["id"]).text


def test_harvest_keeps_the_site_and_the_reader_builds_its_page_urls(tmp_path):
    from index.harvest import _fetch_meeting
    from index.harvest_client import Client
    from nlp.readers import read_path
    from tests.firstagenda_site import Site

    with Site() as site:
        ident = next(iter(site.meetings))
        client = Client(site.url, delay=0, retries=0, sleep=lambda s: None)
        try:
            assert _fetch_meeting(client, _ref(ident), tmp_path, {}) == "downloaded"
        finally:
            client.close()
    meeting = read_path(tmp_path / f"{ident}.json")
    assert meeting.source_url == f"{site.url}/vis?id={ident}"
    assert all(p.source_url.startswith(f"{site.url}/vis?id={ident}&punktid=") for p in meeting.punkter)


def _ref(ident: str):
    from index.harvest_client import MeetingRef

    return MeetingRef(ident, "Udvalg", "2024-01-01")


# -- the SQLite file for Datasette ------------------------------------------------------------


@pytest.fixture(scope="module")
def archive_copy(archive, tmp_path_factory) -> Path:
    """A consistent copy of the archive's SQLite file (the live one is in WAL mode and in use)."""
    target = tmp_path_factory.mktemp("takehome") / "referat.sqlite"
    source = sqlite3.connect(archive.home / "referat.sqlite")
    dest = sqlite3.connect(target)
    source.backup(dest)
    dest.close()
    source.close()
    return target


def test_readable_full_text_finds_danish_words_as_written(archive_copy):
    db = sqlite3.connect(archive_copy)
    found = {r[0] for r in db.execute("SELECT rowid FROM punkt_text WHERE punkt_text MATCH ?", (Q,))}
    stemmed = db.execute("SELECT COUNT(*) FROM punkt_terms WHERE punkt_terms MATCH ?", (Q,)).fetchone()[0]
    assert len(found) >= 5 and stemmed == 0  # the old table knows only stems
    slugs = {r[0] for r in db.execute(f"SELECT slug FROM punkter WHERE id IN ({','.join(map(str, found))})")}
    assert ODENSE_PUNKT in slugs
    name = db.execute("SELECT name FROM meetings WHERE slug = 'odense/beskaeftigelses-og-socialudvalget/2025-11-25'")
    assert name.fetchone()[0] == "Beskæftigelses- og Socialudvalget, Odense Kommune, 25. november 2025 kl. 08:30"
    text = db.execute("SELECT text FROM tables_text LIMIT 1").fetchone()[0]
    assert " | " in text and "[" not in text
    blob, plain = db.execute("SELECT content, content_text FROM documents LIMIT 1").fetchone()
    first_title = json.loads(zlib.decompress(blob))["punkter"][0]["title"]
    assert first_title in plain


def test_no_readable_table_or_view_holds_a_closed_punkts_body(tmp_path):
    """Closed punkter planted with words (`zqxhemmelig…`) keep their title only in every new table and view."""
    from index.archive import Archive
    from tests.api.test_closed_leak import HOSTILE, SECRET

    archive = Archive(tmp_path / "home")
    report = archive.ingest(
        [HOSTILE / "text-closed-variants.txt", HOSTILE / "firstagenda-closed-variants.json"], enrich=False
    )
    assert report.ok, report.failures
    db = archive.store.db
    closed = [r[0] for r in db.execute("SELECT id FROM punkter WHERE closed")]
    assert len(closed) >= 10
    marks = ",".join(map(str, closed))
    assert all(t == "" for (t,) in db.execute(f"SELECT text FROM punkt_text WHERE rowid IN ({marks})"))
    for view in ("punkt_overview", "tables_text"):
        for row in db.execute(f"SELECT * FROM {view}"):
            assert SECRET not in " ".join(str(v) for v in tuple(row)), view
    for (text,) in db.execute("SELECT content_text FROM documents"):
        assert SECRET not in text
    assert db.execute("SELECT COUNT(*) FROM punkt_text WHERE punkt_text MATCH ?", (SECRET + "*",)).fetchone()[0] == 0
    archive.close()


def test_an_older_archive_gets_the_readable_tables(archive_copy, tmp_path):
    old = tmp_path / "old.sqlite"
    with sqlite3.connect(archive_copy) as src, sqlite3.connect(old) as dst:
        src.backup(dst)
    db = sqlite3.connect(old)
    db.executescript(
        "DROP VIEW punkt_overview; DROP VIEW tables_text; DROP TRIGGER punkter_removed_text; DROP TABLE punkt_text;"
        "ALTER TABLE meetings DROP COLUMN name; ALTER TABLE documents DROP COLUMN content_text;"
    )
    db.close()
    store = Store(old)
    found = store.db.execute("SELECT COUNT(*) FROM punkt_text WHERE punkt_text MATCH ?", (Q,)).fetchone()[0]
    assert found >= 5
    assert store.db.execute("SELECT COUNT(*) FROM meetings WHERE name IS NULL").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM documents WHERE content_text IS NULL").fetchone()[0] == 0
    store.close()


def test_metadata_describes_every_table_and_view(archive_copy):
    from index.datasette import TABLES

    db = sqlite3.connect(archive_copy)
    names = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        )
    ]
    shadow = re.compile(r"^(punkt_terms|punkt_text)_(data|idx|content|docsize|config)$")
    missing = [n for n in names if n not in TABLES and not shadow.match(n)]
    assert missing == []
    for table in ("meetings", "punkter", "documents", "sections"):
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        assert [c for c in columns if c not in TABLES[table]["columns"]] == [], table


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_datasette_opens_the_archive_and_finds_danish_words(archive_copy):
    from index.datasette import write_metadata

    metadata = write_metadata(archive_copy.parent)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(archive_copy), "-m", str(metadata)]
        + ["-h", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/referat"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + ".json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline and proc.poll() is None, "datasette did not start"
            time.sleep(0.3)
        params = {"_search": Q, "_shape": "array"}
        punkter = httpx.get(base + "/punkter.json", params={**params, "_col": "slug"}, timeout=30).json()
        assert ODENSE_PUNKT in {r["slug"] for r in punkter} and len(punkter) >= 5
        fts = httpx.get(base + "/punkt_text.json", params=params, timeout=30).json()
        assert len(fts) == len(punkter) and all(Q in (r["title"] + r["text"]).lower() for r in fts)
        canned = httpx.get(base + "/soeg.json", params={"ord": Q, "_shape": "array"}, timeout=30).json()
        assert canned and "[førtidspension]" in " ".join(r["uddrag"].lower() for r in canned)
        page = httpx.get(base + "/punkter", timeout=30).text
        assert 'name="_search"' in page  # the table has a search box
        meetings = httpx.get(base + "/meetings", timeout=30).text
        assert "Mødet som man siger det" in meetings  # column descriptions are shown
        csv_export = httpx.get(base + "/punkter.csv", params={"_search": Q}, timeout=30)
        assert csv_export.status_code == 200 and "førtidspension" in csv_export.text.lower()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
