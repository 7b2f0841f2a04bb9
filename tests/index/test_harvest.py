"""`referat harvest`: a FirstAgenda site on 127.0.0.1 (recorded Greve responses in the repository),
Referat's real client, and a hostile variant of the site (tests/hostile_site.py)."""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import threading
import zlib
from pathlib import Path

import pytest

from index.archive import Archive
from index.harvest import CLOSED_FELTER, HarvestError, harvest, strip_closed
from index.harvest_client import Client, _inflate
from nlp.errors import HarvestRefusedError
from nlp.settings import settings
from tests.firstagenda_site import Site, load_meetings
from tests.hostile_site import HostileSite

#: The fields a closed item may keep in a raw file (index.harvest._CLOSED_KEEP, Felter, Bilag).
CLOSED_FIELDS = {"Id", "Navn", "Caption", "Punktnummer", "Number", "SagsNummer", "CaseNumber", "Felter", "Bilag"}


@pytest.fixture()
def site():
    with HostileSite() as s:
        yield s


@pytest.fixture()
def small_site():
    """The first three meetings only: the hostile cases need no more, and each ingest embeds."""
    meetings = load_meetings()
    first = sorted(meetings, key=lambda i: json.loads(meetings[i])["Moede"]["Dato"])[:3]
    with HostileSite({i: meetings[i] for i in first}) as s:
        yield s


def _meeting_sources(archive: Archive) -> set[str]:
    """The stored meetings as their dates (the six site meetings have six different dates)."""
    return {m["date"] for m in archive.store.meetings()}


def _dates(site: Site, ids=None) -> set[str]:
    return {json.loads(site.meetings[i])["Moede"]["Dato"][:10] for i in (ids if ids is not None else site.meetings)}


def _by_date(site: Site) -> list[str]:
    """Meeting ids in the order harvest fetches them."""
    return sorted(site.meetings, key=lambda i: (json.loads(site.meetings[i])["Moede"]["Dato"][:10], i))


def _run(site: Site, home: Path, **kwargs):
    kwargs = {"municipality": "greve", "delay": 0, "enrich": False, **kwargs}
    return harvest(Archive(home), site.url, **kwargs)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _wait_for(condition, what: str) -> None:
    """Wait (not time) for the server thread to notice the client went away."""
    done = threading.Event()
    for _ in range(200):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError(f"the server did not stop: {what}")


def test_harvest_ingests_every_meeting_then_downloads_nothing(site, tmp_path):
    archive = Archive(tmp_path / "home")
    report = harvest(archive, site.url, municipality="greve", delay=0, enrich=False)
    assert report.ok, report
    assert report.offered == len(site.meetings) == 6
    assert report.downloaded == 6
    assert sorted(site.meeting_downloads()) == sorted(site.meetings)
    assert _meeting_sources(archive) == _dates(site)
    assert all(ua.startswith("Referat/") and "http" in ua for ua in site.user_agents)
    # Closed punkter's bodies never reach the disk: each keeps its title and numbers, and a heading
    # that makes the reader read it as closed again.
    raw = tmp_path / "home" / "raw" / "greve"
    closed = [
        item
        for path in raw.glob("*-*.json")
        for item in json.loads(path.read_text("utf-8"))["Dagsordenpunkter"]
        if item["Navn"].startswith("Lukket")
    ]
    assert len(closed) == 3
    assert all(
        item["Felter"] == CLOSED_FELTER and item["Bilag"] == [] and set(item) <= CLOSED_FIELDS for item in closed
    )
    stored = archive.store.db.execute("SELECT title, closed FROM punkter WHERE title LIKE 'Lukket%'").fetchall()
    assert len(stored) == 3 and all(row["closed"] for row in stored)

    site.requests.clear()
    again = harvest(Archive(tmp_path / "home"), site.url, municipality="greve", delay=0, enrich=False)
    assert again.ok and again.downloaded == 0 and again.unchanged == 6
    assert site.meeting_downloads() == []
    assert again.ingested_meetings == 0


def test_without_etags_only_what_may_have_changed_is_asked_for(site, tmp_path):
    """A stored referat whose committee-list entry is unchanged is not asked for (issue 21); a changed
    entry is, and so is a meeting that has only its dagsorden so far."""
    site.etags = False
    first, second = _by_date(site)[:2]
    data = json.loads(site.meetings[second])
    data["Moede"] = {**data["Moede"], "Afsluttet": False, "Navn": "Dagsorden"}  # no referat yet
    site.meetings[second] = json.dumps(data).encode()
    archive = Archive(tmp_path / "home")
    harvest(archive, site.url, municipality="greve", delay=0, enrich=False)

    site.requests.clear()
    again = harvest(archive, site.url, municipality="greve", delay=0, enrich=False)
    assert (again.downloaded, again.unchanged, again.not_fetched) == (0, 6, 5)
    assert site.meeting_downloads() == [second]

    changed = json.loads(site.meetings[first])
    changed["Dagsordenpunkter"][0]["Navn"] = "Godkendelse af dagsorden (rettet)"
    changed["Moede"]["Dato"] = changed["Moede"]["Dato"].replace(":00:00", ":30:00", 1)  # its entry changes too
    site.meetings[first] = json.dumps(changed).encode()
    data["Moede"] = {**data["Moede"], "Afsluttet": True, "Navn": "Referat"}  # the referat is out
    site.meetings[second] = json.dumps(data).encode()
    site.requests.clear()
    report = harvest(archive, site.url, municipality="greve", delay=0, enrich=False)
    assert (report.downloaded, report.not_fetched, report.ingested_meetings) == (2, 4, 2)
    assert sorted(site.meeting_downloads()) == sorted([first, second])
    assert "Godkendelse af dagsorden (rettet)" in {
        r["title"] for r in archive.store.db.execute("SELECT title FROM punkter")
    }
    site.requests.clear()
    assert harvest(archive, site.url, municipality="greve", delay=0, enrich=False).not_fetched == 6
    assert site.meeting_downloads() == []


def test_gzip_encoded_meetings_are_read_like_plain_ones(small_site, tmp_path):
    site = small_site
    _run(site, tmp_path / "plain")
    site.gzip = True
    site.requests.clear()
    report = _run(site, tmp_path / "gzip")
    assert report.ok and report.downloaded == 3
    plain, packed = (sorted((tmp_path / h / "raw" / "greve").glob("*.json")) for h in ("plain", "gzip"))
    assert [p.read_bytes() for p in plain] == [p.read_bytes() for p in packed]


def test_503_twice_then_200_is_retried(site, tmp_path, caplog):
    ident = sorted(site.meetings)[0]
    site.fail_503[ident] = 2
    site.retry_after_503 = "7"
    waits: list[float] = []
    with caplog.at_level(logging.INFO, logger="index.harvest_client"):
        report = _run(site, tmp_path / "home", sleep=waits.append)
    assert report.ok and report.downloaded == 6
    statuses = [s for p, s in site.requests if p.endswith(ident)]
    assert statuses == [503, 503, 200]
    assert waits == [7.0, 7.0]  # Retry-After honoured, under the limit
    said = [r for r in caplog.records if "venter 7 s" in r.getMessage()]
    assert len(said) == 2 and all(r.levelno == logging.WARNING and "svarede 503" in r.getMessage() for r in said)


def test_a_retry_after_of_days_gives_up_and_says_so(small_site, tmp_path):
    site = small_site
    first, second = _by_date(site)[:2]
    site.retry_after[second] = "100000"
    waits: list[float] = []
    report = _run(site, tmp_path / "home", sleep=waits.append)
    assert report.interrupted and "100000 s (Retry-After)" in report.interrupted
    assert "giver op" in report.interrupted and "REFERAT_HARVEST_MAX_RETRY_AFTER_S" in report.interrupted
    assert waits == []  # no wait at all, neither the 100000 s nor a shorter one
    assert report.downloaded == 1 and site.meeting_downloads() == [first]
    assert report.ingested_meetings == 1  # what was fetched is kept

    site.retry_after["udvalgsliste"] = "100000"
    with pytest.raises(HarvestError, match=r"udvalgsliste svarede 503 og beder Referat vente 100000 s"):
        _run(site, tmp_path / "home", sleep=waits.append)
    assert waits == []


def test_interrupted_harvest_loses_nothing_and_resumes(site, tmp_path):
    site.drop_after = 2
    archive = Archive(tmp_path / "home")
    first = harvest(archive, site.url, municipality="greve", delay=0, retries=1, enrich=False, sleep=lambda s: None)
    assert first.interrupted and first.downloaded == 2
    assert len(_meeting_sources(archive)) == 2  # what was fetched is ingested
    fetched_first = set(site.meeting_downloads())

    site.drop_after = None
    site.requests.clear()
    second = harvest(Archive(tmp_path / "home"), site.url, municipality="greve", delay=0, enrich=False)
    assert second.ok and second.downloaded == 4
    assert set(site.meeting_downloads()).isdisjoint(fetched_first)  # nothing fetched twice
    assert _meeting_sources(Archive(tmp_path / "home")) == _dates(site)


def test_since_and_committee_filter(site, tmp_path):
    report = harvest(Archive(tmp_path / "a"), site.url, municipality="greve", delay=0, enrich=False, since="2025-01-01")
    dates = {json.loads(site.meetings[i])["Moede"]["Dato"][:10] for i in site.meeting_downloads()}
    assert report.offered == 3 and dates == {"2025-01-11", "2025-01-29", "2025-09-08"}

    site.requests.clear()
    report = harvest(
        Archive(tmp_path / "b"),
        site.url,
        municipality="greve",
        delay=0,
        enrich=False,
        committees=["Byrådet", "klima-, teknik- og miljøudvalget"],
    )
    committees = {json.loads(site.meetings[i])["Udvalg"]["Navn"] for i in site.meeting_downloads()}
    assert report.offered == 3
    assert committees == {"Byråd 2022-2025", "Klima-, Teknik- og Miljøudvalget"}


# -- a hostile site ----------------------------------------------------------------------------------


def test_no_request_leaves_the_site(site, tmp_path):
    a, b, c, d = _by_date(site)[:4]
    path = "/api/agenda/dagsorden/"
    with Site({}) as elsewhere:
        site.redirects[a] = f"{elsewhere.url}{path}{a}"  # another port
        site.redirects[b] = f"http://localhost:{site.port}{path}{b}"  # another host name, the same server
        site.redirects[c] = f"{path}{c}?moved=1"  # the site itself: followed
        site.redirects[d] = f"//{elsewhere.url.removeprefix('http://')}{path}{d}"  # scheme-relative
        report = _run(site, tmp_path / "home")
        assert elsewhere.requests == [] and elsewhere.hosts == []
    assert f"localhost:{site.port}" not in site.hosts
    assert {ident for ident, _ in report.failures} == {a, b, d}
    assert all("uden for 127.0.0.1" in why and "kun fra sitet selv" in why for _, why in report.failures)
    assert report.downloaded == 3 and c in site.meeting_downloads()
    assert sorted(p.stem for p in (tmp_path / "home" / "raw" / "greve").glob("*.json")) == sorted(
        set(site.meetings) - {a, b, d}
    )

    site.redirects["udvalgsliste"] = f"http://localhost:{site.port}/api/agenda/udvalgsliste"
    with pytest.raises(HarvestError, match="viderestiller til localhost"):
        _run(site, tmp_path / "home")


def test_an_endless_response_stops_at_the_size_cap(small_site, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "harvest_max_response_bytes", 1_000_000)
    site = small_site
    ident = _by_date(site)[1]
    site.endless.add(ident)
    report = _run(site, tmp_path / "home")
    assert report.failures == [
        (ident, f"{site.url}/api/agenda/dagsorden/{ident}: svaret er større end 1 MB "
         "(REFERAT_HARVEST_MAX_RESPONSE_BYTES); Referat læser ikke videre")
    ]  # fmt: skip
    assert report.downloaded == 2 and report.interrupted is None
    _wait_for(lambda: ident in site.finished, "endless body")
    # What the server got out before the client hung up: the cap plus what the kernel's socket
    # buffers hold on loopback, not the gigabytes an uncapped client reads.
    assert 1_000_000 <= site.sent[ident] < 100_000_000


def test_a_gzip_bomb_stops_at_the_cap_on_decompressed_bytes(small_site, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "harvest_max_response_bytes", 1_000_000)
    site = small_site
    ident = _by_date(site)[0]
    site.gzip_bombs.add(ident)
    report = _run(site, tmp_path / "home")
    assert [i for i, _ in report.failures] == [ident] and "større end 1 MB" in report.failures[0][1]
    assert report.downloaded == 2
    _wait_for(lambda: ident in site.finished, "gzip bomb")


def _bomb(pieces: list[int]):
    """Compressed chunks of 1 GB of zeros, counting how many the reader asked for."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    for _ in range(1000):
        pieces.append(1)
        yield compressor.compress(b"\0" * 1_000_000) + compressor.flush(zlib.Z_SYNC_FLUSH)


def test_decompression_is_bounded_per_piece_and_by_the_cap(monkeypatch):
    pieces: list[int] = []
    assert max(len(p) for p in itertools.islice(_inflate(_bomb(pieces), 31), 2000)) <= 64 * 1024
    monkeypatch.setattr(settings, "harvest_max_response_bytes", 5_000_000)
    pieces.clear()
    client = Client("http://127.0.0.1:9", delay=0, retries=0)
    from index.harvest_client import Fetched

    response = Fetched("http://127.0.0.1:9/x", 200, {"content-encoding": "gzip"})
    with pytest.raises(HarvestRefusedError, match="større end 5 MB"):
        client._body(response, _bomb(pieces))
    assert len(pieces) <= 6  # it stopped after ~5 of the 1000 megabytes, not at the end
    # Two gzip members one after the other are one body; bytes that are no gzip are refused.
    two = gzip.compress(b'{"a": ') + gzip.compress(b"1}")
    assert client._body(Fetched("u", 200, {"content-encoding": "gzip"}), [two[:7], two[7:]]) == b'{"a": 1}'
    with pytest.raises(HarvestRefusedError, match="kunne ikke pakkes ud"):
        client._body(Fetched("u", 200, {"content-encoding": "gzip"}), [b"not gzip at all"])
    with pytest.raises(HarvestRefusedError, match="Content-Encoding 'br'"):
        client._body(Fetched("u", 200, {"content-encoding": "br"}), [b"x"])
    client.close()


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_trickling_site_is_cut_by_the_request_deadline(small_site, tmp_path, monkeypatch, where):
    """One byte every 0.2 s never trips a read timeout; the deadline of the whole request does."""
    monkeypatch.setattr(settings, "harvest_request_deadline_s", 1.0)
    site = small_site
    first, second, third = _by_date(site)[:3]
    site.trickle[third] = (where, 0.2)
    report = _run(site, tmp_path / "home")
    assert report.interrupted == (
        f"{site.url}/api/agenda/dagsorden/{third} blev ikke færdig inden for 1 s "
        "(REFERAT_HARVEST_REQUEST_DEADLINE_S); sitet svarer for langsomt, prøv igen senere"
    )
    assert sorted(site.meeting_downloads()) == sorted([first, second]) and report.ingested_meetings == 2
    _wait_for(lambda: third in site.finished, "trickle")

    site.trickle = {"udvalgsliste": (where, 0.2)}
    with pytest.raises(HarvestError, match="udvalgsliste blev ikke færdig inden for 1 s"):
        _run(site, tmp_path / "home")
    site.trickle = {}
    assert _run(site, tmp_path / "home").ok  # the next run resumes


def test_a_run_stops_at_its_deadline_and_the_next_resumes(small_site, tmp_path, monkeypatch):
    site = small_site
    monkeypatch.setattr(settings, "harvest_run_deadline_s", 0.3)
    report = _run(site, tmp_path / "home", delay=0.2)  # three meetings at 0.2 s each cannot fit in 0.3 s
    assert report.interrupted and "grænse på 0,3 s (REFERAT_HARVEST_RUN_DEADLINE_S)" in report.interrupted
    raw = tmp_path / "home" / "raw" / "greve"
    assert report.downloaded < 3 and len(list(raw.glob("*.json"))) == report.downloaded
    monkeypatch.setattr(settings, "harvest_run_deadline_s", 3600.0)
    again = _run(site, tmp_path / "home")
    assert again.ok and again.downloaded == 3 - report.downloaded


@pytest.mark.parametrize("name", ["../../../outside_home", "a/b", "..", "x\\y", "", " ", "greve\x00"])
def test_a_municipality_cannot_lead_outside_the_home(site, tmp_path, name):
    home = tmp_path / "deep" / "home"
    home.mkdir(parents=True)
    before = _files(tmp_path)
    with pytest.raises(HarvestError, match="kan ikke bruges som mappenavn under raw/"):
        _run(site, home, municipality=name)
    assert _files(tmp_path) - before <= {p for p in _files(home)}  # nothing new outside the home
    assert not (home / "raw").exists() and site.requests == []


def test_folders_are_slugs_and_odd_meeting_ids_are_skipped(small_site, tmp_path, caplog):
    site = small_site
    data = json.loads(next(iter(site.meetings.values())))
    data["Id"] = "../../../outside"
    site.meetings[data["Id"]] = json.dumps(data).encode()
    home = tmp_path / "home"
    with caplog.at_level(logging.WARNING, logger="index.harvest"):
        report = _run(site, home, municipality="Høje-Taastrup")
    assert report.offered == 3 and "springer møde med mærkeligt id over: '../../../outside'" in caplog.text
    assert all(p.is_relative_to(home) for p in _files(tmp_path))
    assert {p.relative_to(home / "raw").parts[0] for p in _files(home / "raw")} == {
        "hoeje-taastrup",
        "hoeje-taastrup.harvest-state.json",
    }


def test_the_proxy_of_the_environment_is_used(small_site, tmp_path, monkeypatch):
    site = small_site
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", site.url)
    report = harvest(Archive(tmp_path / "home"), "http://dagsordener.example.dk", delay=0, enrich=False)
    assert report.ok and report.downloaded == 3
    assert site.proxied[0] == "http://dagsordener.example.dk/api/agenda/udvalgsliste"
    assert (tmp_path / "home" / "raw" / "example").is_dir()


# -- closed items: the reader's decision, nothing of them on disk --------------------------------------


def _closed_meeting() -> tuple[str, bytes, dict[str, bool]]:
    """A real meeting with items closed in every way the reader knows, each with a secret body."""
    ident, raw = next(iter(load_meetings().items()))
    data = json.loads(raw)
    template = data["Dagsordenpunkter"][0]

    OPEN = (5, 9, 10)  # noqa: N806 - the open items; every other one is closed
    link = template["Felter"][0]["Link"]  # the reader finds the municipality in open items' links

    def item(number: int, navn: str, html: str) -> dict:
        tag = "ÅBEN" if number in OPEN else "HEMMELIG"
        return {
            **template,
            "Navn": navn,
            "Caption": navn,
            "Punktnummer": number,
            "Number": number,
            "Felter": [{"Html": html, "Navn": "", "Link": link if tag == "ÅBEN" else f"{link}-{tag}"}],
            "Bilag": [{"Navn": f"bilag-{number}-{tag}", "Id": f"b{number}"}],
            "Resume": f"ukendt felt {tag}-{number}",
        }

    def secret(number: int) -> str:
        return f"<h3>Beslutning</h3><p>HEMMELIG-{number} besluttet.</p>"

    items = [
        item(1, "[LUKKET] Salg af grund", secret(1)),
        item(2, "Køb af bygning - Lukket", secret(2)),
        item(3, "Personalesag (lukket sag)", secret(3)),
        item(4, "Ejendomshandel", "<h3>Lukket punkt</h3><p>HEMMELIG-4 besluttet.</p>"),
        item(5, "Offentlig sag om vejene", "<h3>Beslutning</h3><p>ÅBEN-5 godkendt.</p>"),
        item(6, "Lukket dagsorden", ""),
        item(7, "Tilbud på rengøring", secret(7)),
        item(8, "Salg af aktier", secret(8)),
        item(9, "Åben dagsorden", ""),
        item(10, "Trafiksikkerhed", "<h3>Beslutning</h3><p>ÅBEN-10 godkendt.</p>"),
        {**item(11, "Felter som tekst", ""), "Felter": "HEMMELIG-11 kan ikke læses"},  # does not parse: closed
        "HEMMELIG-12 er ikke et punkt",  # not even an object: closed
    ]
    data["Dagsordenpunkter"] = items
    closed = {str(n): n not in OPEN for n in range(1, 13)}
    return ident, json.dumps(data, ensure_ascii=False).encode(), closed


def test_strip_closed_follows_the_reader():
    from nlp.readers.firstagenda import closed_items

    _, raw, closed = _closed_meeting()
    data = json.loads(raw)
    assert closed_items(data) == list(closed.values())
    stripped = json.dumps(strip_closed(data), ensure_ascii=False)
    assert "HEMMELIG" not in stripped and "ÅBEN-5" in stripped and "ÅBEN-10" in stripped
    assert closed_items(json.loads(stripped)) == list(closed.values())  # read again, still closed


def test_closed_bodies_never_reach_the_home(tmp_path):
    ident, raw, closed = _closed_meeting()
    with Site({ident: raw}) as site:
        report = _run(site, tmp_path / "home")
    assert report.ok, report
    for path in _files(tmp_path / "home"):
        if path.is_file() and path.suffix == ".json":
            assert b"HEMMELIG" not in path.read_bytes(), path
    archive = Archive(tmp_path / "home")
    meeting = archive.store.meetings()[0]["id"]
    punkter = archive.store.meeting(meeting)["punkter"]
    assert {str(p["number"]): p["closed"] for p in punkter} == closed
    for p in punkter:
        shown = json.dumps(archive.store.punkt(p["id"]), ensure_ascii=False)
        assert "HEMMELIG" not in shown
    assert "ÅBEN-10" in json.dumps(archive.store.punkt(f"{meeting}/10"), ensure_ascii=False)


# -- the CLI: every failure one Danish line --------------------------------------------------------------


def test_cli_harvest_and_its_errors(site, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setattr(settings, "harvest_backoff_s", 0.0)  # as REFERAT_HARVEST_BACKOFF_S=0 would

    runner = CliRunner()
    home = str(tmp_path / "home")
    args = ["harvest", site.url, "--home", home, "--municipality", "greve", "--delay", "0", "--no-enrich"]
    result = runner.invoke(app, [*args, "--committee", "Økonomiudvalget"])
    assert result.exit_code == 0, result.output
    assert "møder=3 hentet=3" in result.stdout and "fejl=0" in result.stdout
    bad = runner.invoke(app, [*args, "--since", "1. maj"])
    assert bad.exit_code == 1 and isinstance(bad.exception, SystemExit)
    assert "ÅÅÅÅ-MM-DD" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    outside = runner.invoke(app, [*args[:4], "--municipality", "../../../outside_home", "--no-enrich"])
    assert outside.exit_code == 1 and len(outside.stderr.strip().splitlines()) == 1
    assert "mappenavn" in outside.stderr and not (tmp_path / "outside_home").exists()
    site.drop_after = 0
    cut = runner.invoke(app, args)
    assert cut.exit_code == 1 and "afbrudt" in cut.stderr and "kør kommandoen igen" in cut.stderr


def test_cli_says_each_hostile_answer_in_one_line(small_site, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app

    site = small_site
    monkeypatch.setattr(settings, "harvest_max_response_bytes", 1_000_000)
    runner = CliRunner()
    args = ["harvest", site.url, "--home", str(tmp_path / "home"), "--municipality", "greve", "--no-enrich"]
    a, b = _by_date(site)[:2]
    site.endless.add(a)
    site.redirects[b] = f"http://localhost:{site.port}/"
    result = runner.invoke(app, [*args, "--delay", "0"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("fejl ")]
    assert len(errors) == 2 and "større end 1 MB" in errors[0] and "uden for" in errors[1]
    site.retry_after["udvalgsliste"] = "100000"
    result = runner.invoke(app, [*args, "--delay", "0"])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "Retry-After" in result.stderr and "Traceback" not in result.output
