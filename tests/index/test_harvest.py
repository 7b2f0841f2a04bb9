"""`referat harvest`: a FirstAgenda site on 127.0.0.1 (recorded Greve responses), real httpx."""

from __future__ import annotations

import json

import pytest

from index.archive import Archive
from index.harvest import harvest, strip_closed
from tests.firstagenda_site import Site


@pytest.fixture()
def site():
    with Site() as s:
        yield s


def _meeting_sources(archive: Archive) -> set[str]:
    """The stored meetings as their dates (the six site meetings have six different dates)."""
    return {m["date"] for m in archive.store.meetings()}


def _dates(site: Site, ids=None) -> set[str]:
    return {json.loads(site.meetings[i])["Moede"]["Dato"][:10] for i in (ids if ids is not None else site.meetings)}


def test_harvest_ingests_every_meeting_then_downloads_nothing(site, tmp_path):
    archive = Archive(tmp_path / "home")
    report = harvest(archive, site.url, municipality="greve", delay=0, enrich=False)
    assert report.ok, report
    assert report.offered == len(site.meetings) == 6
    assert report.downloaded == 6
    assert sorted(site.meeting_downloads()) == sorted(site.meetings)
    assert _meeting_sources(archive) == _dates(site)
    assert all(ua.startswith("Referat/") and "http" in ua for ua in site.user_agents)
    # Closed punkter's bodies never reach the disk.
    raw = tmp_path / "home" / "raw" / "greve"
    closed = [
        item
        for path in raw.glob("*-*.json")
        for item in json.loads(path.read_text("utf-8"))["Dagsordenpunkter"]
        if item["Navn"].startswith("Lukket")
    ]
    assert len(closed) == 3 and all(item["Felter"] == [] and item["Bilag"] == [] for item in closed)

    site.requests.clear()
    again = harvest(Archive(tmp_path / "home"), site.url, municipality="greve", delay=0, enrich=False)
    assert again.ok and again.downloaded == 0 and again.unchanged == 6
    assert site.meeting_downloads() == []
    assert again.ingested_meetings == 0


def test_a_changed_meeting_is_downloaded_again_without_etags(site, tmp_path):
    site.etags = False
    archive = Archive(tmp_path / "home")
    harvest(archive, site.url, municipality="greve", delay=0, enrich=False)
    ident = next(iter(site.meetings))
    data = json.loads(site.meetings[ident])
    data["Dagsordenpunkter"][0]["Navn"] = "Godkendelse af dagsorden (rettet)"
    site.meetings[ident] = json.dumps(data).encode()
    report = harvest(archive, site.url, municipality="greve", delay=0, enrich=False)
    assert (report.downloaded, report.unchanged, report.ingested_meetings) == (1, 5, 1)
    titles = [p["title"] for p in archive.store.meeting(archive.store.meetings()[0]["id"])["punkter"]]
    assert titles  # the store still reads
    assert "Godkendelse af dagsorden (rettet)" in {
        r["title"] for r in archive.store.db.execute("SELECT title FROM punkter")
    }


def test_503_twice_then_200_is_retried(site, tmp_path):
    ident = sorted(site.meetings)[0]
    site.fail_503[ident] = 2
    waits: list[float] = []
    report = harvest(
        Archive(tmp_path / "home"), site.url, municipality="greve", delay=0, enrich=False, sleep=waits.append
    )
    assert report.ok and report.downloaded == 6
    statuses = [s for p, s in site.requests if p.endswith(ident)]
    assert statuses == [503, 503, 200]
    assert len(waits) == 2  # one back-off per 503 (Retry-After: 0 honoured)


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


def test_closed_markers():
    data = {
        "Dagsordenpunkter": [
            {"Navn": "Lukket: Salg af grund", "Felter": [{"Html": "hemmelig"}], "Bilag": [{"Navn": "x"}]},
            {"Navn": "Køb af bygning (Lukket)", "Felter": [{"Html": "hemmelig"}], "Bilag": []},
            {"Navn": "", "Caption": "LUKKET PUNKT", "Felter": [{"Html": "hemmelig"}], "Bilag": []},
            {"Navn": "Lukkeloven og butikkernes åbningstider", "Felter": [{"Html": "offentlig"}], "Bilag": []},
        ]
    }
    items = strip_closed(data)["Dagsordenpunkter"]
    assert [bool(i["Felter"]) for i in items] == [False, False, False, True]
    assert items[0]["Bilag"] == []


def test_cli_harvest_and_its_errors(site, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app
    from nlp.settings import settings

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
    site.drop_after = 0
    cut = runner.invoke(app, args)
    assert cut.exit_code == 1 and "afbrudt" in cut.stderr and "kør kommandoen igen" in cut.stderr
