"""Saved searches (`referat watch`) and Atom feeds, validated against RFC 4287's schema."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from pathlib import Path

import feedparser
import httpx
import pytest
from lxml import etree
from typer.testing import CliRunner

from api.cli import app as cli
from index.watches import add_watch, remove_watch, run_watch

ATOM = "{http://www.w3.org/2005/Atom}"
RNG = etree.RelaxNG(etree.parse(str(Path(__file__).resolve().parents[1] / "fixtures" / "atom.rng")))
runner = CliRunner()


def check_atom(body: bytes) -> etree._Element:
    """RELAX NG of RFC 4287 plus the rules its Schematron states, and what feed readers rely on."""
    doc = etree.fromstring(body)
    assert RNG.validate(doc), RNG.error_log
    assert doc.tag == f"{ATOM}feed"
    entries = doc.findall(f"{ATOM}entry")
    # Feed: exactly one id, title, updated; a self link; an author (feed level covers every entry).
    for tag in ("id", "title", "updated"):
        assert len(doc.findall(f"{ATOM}{tag}")) == 1
    assert [link.get("rel") for link in doc.findall(f"{ATOM}link")].count("self") == 1
    assert doc.find(f"{ATOM}author/{ATOM}name").text
    for stamp in doc.iter(f"{ATOM}updated"):  # RFC 3339: a date-time with a zone
        assert datetime.fromisoformat(stamp.text.replace("Z", "+00:00")).tzinfo is not None
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(ids) == len(set(ids))
    for entry in entries:  # no content element, so an alternate link is required (RFC 4287 4.1.1.1)
        assert any(link.get("rel", "alternate") == "alternate" for link in entry.findall(f"{ATOM}link"))
        summary = entry.find(f"{ATOM}summary")
        assert summary is not None and summary.get("type") == "text"
        assert "<mark>" not in summary.text and "&quot;" not in summary.text and "&amp;" not in summary.text
    return doc


def test_search_feed_is_valid_atom(client):
    response = client.get("/feed.atom", params={"q": "hjemløse", "municipality": "Odense"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    doc = check_atom(response.content)
    entries = doc.findall(f"{ATOM}entry")
    api = client.get("/api/search", params={"q": "hjemløse", "municipality": "Odense", "limit": 50}).json()
    relevant = {h["id"] for h in api["hits"] if h["relevant"]}
    assert len(entries) == min(api["total"], 50) == len(relevant) > 0  # the loosely related are no entries
    assert {e.find(f"{ATOM}id").text.split("/punkt/")[1] for e in entries} == relevant
    dates = [e.find(f"{ATOM}updated").text for e in entries]
    assert dates == sorted(dates, reverse=True)  # newest meeting first
    assert {e.find(f"{ATOM}category").get("term") for e in entries} == {"Beskæftigelses- og Socialudvalget"}
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo and parsed.version == "atom10"
    assert parsed.entries[0].link.startswith("http://testserver:80/punkt/odense/")  # the test client's address
    assert parsed.feed.links[0].rel == "self"


def test_a_feed_of_nothing_relevant_has_no_entries(client):
    response = client.get("/feed.atom", params={"q": "kattefoder på månen"})
    assert response.status_code == 200
    assert check_atom(response.content).findall(f"{ATOM}entry") == []


def test_feed_bad_filter_is_422(client):
    response = client.get("/feed.atom", params={"q": "hjemløse", "date_from": "2024-13-45x"})
    assert response.status_code == 422 and "date_from" in response.json()["error"]["message"]


def test_search_page_links_its_feed(client):
    page = client.get("/", params={"q": "hjemløse", "municipality": "Odense"}).text
    head = page.split("</head>")[0]
    assert '<link rel="alternate" type="application/atom+xml"' in head
    assert 'href="/feed.atom?q=hjeml%C3%B8se&amp;municipality=Odense"' in head
    body = page.split("</head>")[1]
    assert "Følg søgningen som feed" in body


def test_watch_reports_only_new_punkter(archive, client):
    name = f"test-{uuid.uuid4().hex[:8]}"
    add_watch(archive.store, name, "hjemløse", {"municipality": "Odense"})
    try:
        first = run_watch(archive, name)
        assert first and all(h["municipality"] == "Odense" for h in first)
        assert run_watch(archive, name) == []  # nothing new since
        # A punkt the watch has not reported before (as when a new meeting is ingested) shows up once.
        forgotten = first[-1]["id"]
        with archive.store.transaction() as db:
            db.execute("DELETE FROM watch_seen WHERE watch = ? AND punkt_id = ?", (name, forgotten))
        assert [h["id"] for h in run_watch(archive, name)] == [forgotten]
        feed = client.get(f"/feed/{name}.atom")
        assert feed.status_code == 200
        doc = check_atom(feed.content)
        assert len(doc.findall(f"{ATOM}entry")) == min(len(first), 50)  # a feed holds the 50 best
    finally:
        remove_watch(archive.store, name)
    assert client.get(f"/feed/{name}.atom").status_code == 404


def test_a_watch_reports_only_the_relevant_punkter_of_a_new_meeting(tmp_path):
    """Two referater in, a saved search run, then a third meeting ingested: the next run reports its
    punkter on the topic (the ones that mention it), not every punkt the search lists."""
    from index.archive import Archive
    from tests.conftest import odense_file

    archive = Archive(tmp_path / "home")
    assert archive.ingest([odense_file("2020-05-26"), odense_file("2021-02-02")], enrich=False).ok
    add_watch(archive.store, "hjemloese", "hjemløse")
    first = run_watch(archive, "hjemloese")
    assert first and len(first) < len(archive.search("hjemløse", limit=100).hits)
    assert archive.ingest([odense_file("2025-05-06")], enrich=False).ok
    new = run_watch(archive, "hjemloese")
    on_topic = {
        r[0]
        for r in archive.store.db.execute(
            "SELECT DISTINCT p.slug FROM passages s JOIN punkter p ON p.id = s.punkt "
            "WHERE lower(s.text) LIKE '%hjemløs%' AND p.date = '2025-05-06'"
        )
    }
    assert on_topic and set(on_topic) & {h["id"] for h in new}  # the new meeting's punkter on homelessness
    extra = [h["id"] for h in new if h["id"] not in on_topic]
    assert len(extra) <= 2, extra
    assert len(new) < 5  # of the meeting's 14 punkter, which the search lists nearly all of
    archive.close()


def test_watch_cli(archive):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    home = str(archive.home)
    added = runner.invoke(cli, ["watch", "add", name, "førtidspension", "--municipality", "Odense", "--home", home])
    assert added.exit_code == 0, added.output
    try:
        listed = json.loads(runner.invoke(cli, ["watch", "list", "--json", "--home", home]).stdout)
        mine = [w for w in listed if w["name"] == name]
        assert mine and mine[0]["query"] == "førtidspension" and mine[0]["filters"] == {"municipality": "Odense"}
        first = runner.invoke(cli, ["watch", "run", name, "--home", home])
        assert first.exit_code == 0
        count = int(first.stdout.split(f"{name}: ")[1].split()[0])
        assert count > 0
        second = runner.invoke(cli, ["watch", "run", name, "--home", home])
        assert second.exit_code == 0 and f"{name}: 0 nye punkter" in second.stdout
        duplicate = runner.invoke(cli, ["watch", "add", name, "noget andet", "--home", home])
        assert duplicate.exit_code == 1 and "allerede" in duplicate.output and "Traceback" not in duplicate.output
    finally:
        runner.invoke(cli, ["watch", "remove", name, "--home", home])


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "evil.example"},
        {"host": "evil.example:8000"},
        {"host": "localhost:9123"},
        {"x-forwarded-proto": "https"},
        {"x-forwarded-proto": "https", "x-forwarded-host": "evil.example", "forwarded": "host=evil.example"},
    ],
)
def test_links_carry_the_address_the_server_was_reached_at(server, headers, monkeypatch):
    """A real uvicorn server on a free loopback port (trusting loopback proxies, uvicorn's default):
    neither a Host header nor a forwarded header reaches a link, and the port is the real one."""
    monkeypatch.delenv("REFERAT_PUBLIC_URL", raising=False)
    feed = httpx.get(f"{server}/feed.atom", params={"q": "hjemløse"}, headers=headers, timeout=60).text
    page = httpx.get(f"{server}/", params={"q": "hjemløse"}, headers=headers, timeout=60).text
    for body in (feed, page):
        assert "evil.example" not in body  # the publisher's own pages may be https; ours never turn so
        assert not re.search(r"https://(?:127\.0\.0\.1|localhost)", body)
    assert f"{server}/punkt/" in feed and ":8000" not in server + feed.replace(server, "")


def test_public_url_wins(client, monkeypatch):
    monkeypatch.setenv("REFERAT_PUBLIC_URL", "https://referat.example.dk/")
    feed = client.get("/feed.atom", params={"q": "hjemløse"}, headers={"host": "localhost:9123"}).text
    assert "https://referat.example.dk/punkt/" in feed and "localhost:9123" not in feed


def test_docs_work_offline(client):
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html) + re.findall(
            r"""(?:url|spec-url)\s*:\s*['"]([^'"]+)['"]""", html
        )
        assert urls, page
        for url in urls:
            assert not re.match(r"^(?:https?:)?//", url), f"{page} loads {url} from outside"
            assert client.get(url).status_code == 200, url
