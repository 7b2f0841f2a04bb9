"""`referat harvest` of a FirstAgenda web site (listing and meeting pages, no JSON API): a recorded
site on 127.0.0.1 (tests/firstagenda_web_site.py), Referat's real client, a real archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.archive import Archive
from index.harvest import HarvestError, harvest
from nlp.settings import settings
from tests.firstagenda_web_site import DAGSORDEN, MAGISTRATEN, PAGES, TEKNISK, WebSite

RAW = ("raw", "aarhus")


@pytest.fixture()
def site():
    with WebSite() as s:
        yield s


def _run(site: WebSite, home: Path, **kwargs):
    kwargs = {"municipality": "aarhus", "delay": 0, "enrich": False, **kwargs}
    return harvest(Archive(home), site.url, **kwargs)


def _page_url(site: WebSite, ident: str) -> str:
    return next(
        f"{site.url}{href}" for href in _hrefs(site.listing) if href.endswith(f"id={ident}")
    )  # as the listing links it


def _hrefs(listing: str) -> list[str]:
    import re

    return [h.replace("&amp;", "&") for h in re.findall(r'<a href="(/vis\?[^"]+)"', listing)]


def _kind(meeting: dict) -> str:
    """The kind of the meeting's active document (a referat supersedes its dagsorden)."""
    (kind,) = {d["kind"] for d in meeting["documents"] if d["searched"]}
    return kind


def _to_referat(site: WebSite, ident: str) -> None:
    """The meeting's referat appears: its page and its listing entry say so."""
    page = site.pages[ident].decode("utf-8")
    site.pages[ident] = page.replace(">Dagsorden 8. oktober", ">Referat 8. oktober").encode("utf-8")
    site.listing = site.listing.replace("Dagsorden-Aarhus-Byraad", "Referat-Aarhus-Byraad").replace(
        "<strong>Dagsorden</strong>", "<strong>Referat</strong>"
    )


def test_web_site_is_harvested_and_a_second_run_asks_only_for_what_may_have_changed(site, tmp_path):
    home = tmp_path / "home"
    report = _run(site, home)
    assert report.ok, report
    assert (report.offered, report.downloaded, report.ingested_meetings) == (3, 3, 3)
    assert sorted(site.page_requests(200)) == sorted(PAGES)
    raw = home.joinpath(*RAW)
    assert sorted(p.name for p in raw.iterdir()) == sorted(f"{i}.html" for i in PAGES)
    archive = Archive(home)
    meetings = {(m["date"], m["committee"], _kind(m)) for m in archive.store.meetings()}
    assert meetings == {
        ("2025-10-08", "Aarhus Byråd", "dagsorden"),
        ("2025-10-07", "Magistraten", "referat"),
        ("2025-10-06", "Teknisk Udvalg", "referat"),
    }
    urls = {m["source_url"] for m in archive.store.meetings()}
    assert urls == {_page_url(site, i) for i in PAGES}  # the meeting links to its page on the site
    state = json.loads((home / "raw" / "aarhus.harvest-state.json").read_text("utf-8"))
    assert {i: state[i]["referat"] for i in PAGES} == {DAGSORDEN: False, MAGISTRATEN: True, TEKNISK: True}

    # No ETag, no Last-Modified: the two referater are not asked for; the dagsorden is (its referat may be out).
    site.requests.clear()
    again = _run(site, home)
    assert again.ok and (again.downloaded, again.unchanged, again.not_fetched) == (0, 3, 2)
    assert site.page_requests() == [DAGSORDEN] and again.ingested_meetings == 0

    _to_referat(site, DAGSORDEN)
    site.requests.clear()
    third = _run(site, home)
    assert third.ok and third.downloaded == 1 and site.page_requests() == [DAGSORDEN]
    kinds = {m["date"]: _kind(m) for m in Archive(home).store.meetings()}
    assert kinds["2025-10-08"] == "referat"

    site.requests.clear()
    fourth = _run(site, home)
    assert fourth.ok and fourth.not_fetched == 3 and site.page_requests() == []  # 0 meeting-page requests
    assert [p for p, _ in site.requests] == ["/api/agenda/udvalgsliste", "/"]  # the probe and the listing


def test_a_changed_listing_entry_is_fetched_again(site, tmp_path):
    home = tmp_path / "home"
    assert _run(site, home).ok
    page = site.pages[MAGISTRATEN].decode("utf-8")
    site.pages[MAGISTRATEN] = page.replace("Forslaget blev forkastet.", "Forslaget blev vedtaget.").encode("utf-8")

    site.requests.clear()
    unchanged_entry = _run(site, home)  # the page changed, its entry did not: the price of asking nothing
    assert unchanged_entry.ok and MAGISTRATEN not in site.page_requests()

    site.listing = site.listing.replace("kl.08.30&amp;id=4ee8e26f", "kl.09.00&amp;id=4ee8e26f")  # a new time
    site.requests.clear()
    report = _run(site, home)
    assert report.ok and report.downloaded == 1
    assert sorted(site.page_requests()) == sorted([MAGISTRATEN, DAGSORDEN])
    decisions = {r["decision"] for r in Archive(home).store.db.execute("SELECT decision FROM punkter")}
    assert "Forslaget blev vedtaget." in decisions


def test_etag_and_last_modified_are_used_when_the_site_sends_them(site, tmp_path):
    home = tmp_path / "home"
    site.etags = True
    site.last_modified = "Tue, 07 Oct 2025 10:00:00 GMT"
    assert _run(site, home).ok
    site.requests.clear()
    report = _run(site, home)
    assert report.ok and report.unchanged == 3 and report.not_fetched == 2
    assert site.page_requests(304) == [DAGSORDEN] and site.page_requests(200) == []


def test_closed_punkter_leave_nothing_in_the_home(site, tmp_path):
    assert b"HEMMELIG" in site.pages[TEKNISK]  # the recorded page has two closed punkter with secret bodies
    home = tmp_path / "home"
    assert _run(site, home).ok
    for path in home.rglob("*"):
        if path.is_file() and not path.name.startswith("referat.sqlite"):
            assert b"HEMMELIG" not in path.read_bytes(), path
    archive = Archive(home)
    meeting = next(m["id"] for m in archive.store.meetings() if m["committee"] == "Teknisk Udvalg")
    punkter = archive.store.meeting(meeting)["punkter"]
    assert [(p["number"], p["closed"]) for p in punkter] == [(1, False), (2, True), (3, True), (4, False)]
    assert [p["title"] for p in punkter if p["closed"]] == ["Lukket punkt: Køb af ejendom", "Personalesag"]
    shown = json.dumps([archive.store.punkt(p["id"]) for p in punkter], ensure_ascii=False)
    assert "HEMMELIG" not in shown and "Forslaget blev forkastet." in shown
    texts = archive.store.db.execute("SELECT content_text FROM documents").fetchall()
    assert texts and not any("HEMMELIG" in (r["content_text"] or "") for r in texts)


def test_listing_pages_are_followed(site, tmp_path):
    entries = site.listing.split('<a href="/vis?')
    first, second = '<a href="/vis?'.join(entries[:3]), entries[0] + '<a href="/vis?' + entries[3]
    site.listing = first + '</div><a rel="next" href="/side-2">Næste side</a></body></html>\n'
    site.more_listings["/side-2"] = second
    report = _run(site, tmp_path / "home")
    assert report.ok and report.offered == 3 and report.downloaded == 3


def test_what_is_no_meeting_is_a_failure_and_the_rest_is_harvested(site, tmp_path):
    entries = site.listing.split('<a href="/vis?')
    no_id = entries[1].replace(f"&amp;id={DAGSORDEN}", "", 1)  # a link that names no meeting
    site.listing = '<a href="/vis?'.join([entries[0], no_id, *entries[2:]])
    site.pages[MAGISTRATEN] = b"<html><body><h1>Vedligeholdelse</h1><p>Siden er lukket i dag.</p></body></html>"
    report = _run(site, tmp_path / "home")
    assert report.offered == 2 and report.downloaded == 1 and not report.ok
    (label, no_meeting), (ident, no_page) = report.failures
    assert "08-10-2025 Aarhus Byråd Dagsorden" in label and "intet møde-id" in no_meeting
    assert ident == MAGISTRATEN and no_page.startswith(f"{site.url}/vis?") and "ingen nummererede punkter" in no_page
    assert [p.name for p in tmp_path.joinpath("home", *RAW).iterdir()] == [f"{TEKNISK}.html"]


def test_an_address_that_is_neither_kind_is_refused(site, tmp_path):
    site.listing = "<html><body><p>Velkommen</p></body></html>"
    with pytest.raises(HarvestError, match="er det et FirstAgenda-site"):
        _run(site, tmp_path / "home")
    assert site.page_requests() == []


# -- the hostile cases of the JSON harvest hold for the web path ------------------------------------------


def test_no_page_is_fetched_off_the_site(site, tmp_path):
    with WebSite({}) as elsewhere:
        site.redirects[MAGISTRATEN] = f"{elsewhere.url}/vis?id={MAGISTRATEN}"  # a meeting page redirects away
        site.listing = site.listing.replace(  # a listing entry links away
            f'href="/vis?Referat-Teknisk-Udvalg-d.06-10-2025-kl.16.00&amp;id={TEKNISK}"',
            f'href="{elsewhere.url}/vis?Referat-Teknisk-Udvalg&amp;id={TEKNISK}"',
        )
        report = _run(site, tmp_path / "home")
        assert elsewhere.requests == [] and elsewhere.hosts == []
    assert {ident for ident, _ in report.failures} == {MAGISTRATEN, TEKNISK}
    assert all("uden for 127.0.0.1" in why and "kun fra sitet selv" in why for _, why in report.failures)
    assert report.downloaded == 1 and TEKNISK not in site.page_requests()
    assert [p.name for p in tmp_path.joinpath("home", *RAW).glob("*.html")] == [f"{DAGSORDEN}.html"]

    with WebSite({}) as elsewhere:
        site.redirects["listing"] = f"{elsewhere.url}/"  # the listing itself redirects away
        with pytest.raises(HarvestError, match=r"viderestiller til 127\.0\.0\.1:\d+, uden for"):
            _run(site, tmp_path / "home")
        assert elsewhere.requests == []


def test_an_endless_page_stops_at_the_size_cap(site, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "harvest_max_response_bytes", 1_000_000)
    site.endless.add(TEKNISK)
    report = _run(site, tmp_path / "home")
    assert [ident for ident, _ in report.failures] == [TEKNISK]
    assert "større end 1 MB (REFERAT_HARVEST_MAX_RESPONSE_BYTES)" in report.failures[0][1]
    assert report.downloaded == 2 and report.interrupted is None
    assert 1_000_000 <= site.sent[TEKNISK] < 100_000_000

    site.endless.add("listing")
    with pytest.raises(HarvestError, match="større end 1 MB"):
        _run(site, tmp_path / "home")


def test_cli_harvests_a_web_site(site, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    args = ["harvest", site.url, "--home", str(tmp_path / "home"), "--municipality", "aarhus", "--delay", "0"]
    result = CliRunner().invoke(app, [*args, "--no-enrich"])
    assert result.exit_code == 0, result.output
    assert "møder=3 hentet=3" in result.stdout and "fejl=0" in result.stdout
    again = CliRunner().invoke(app, [*args, "--no-enrich"])
    assert again.exit_code == 0 and "ikke_spurgt=2" in again.stdout
    other = ["harvest", site.url, "--home", str(tmp_path / "other"), "--municipality", "aarhus", "--delay", "0"]
    some = CliRunner().invoke(app, [*other, "--no-enrich", "--committee", "Magistraten", "--since", "2025-10-01"])
    assert some.exit_code == 0 and "møder=1 hentet=1" in some.stdout
