"""The `referat` command line: ingest with bad files, meetings, show and search, as users call them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import BAD_FILES, HIT_KEYS, gold_punkt_id

runner = CliRunner()
# `python -m api.cli` from the repository root runs the code under test; an installed `referat` script
# may import another checkout's code.
ROOT = Path(__file__).resolve().parents[2]
REFERAT = [sys.executable, "-m", "api.cli"]


def test_ingest_reports_each_bad_file_and_keeps_the_good(tmp_path, mixed_folder):
    folder = mixed_folder
    home = tmp_path / "home"
    proc = subprocess.run(
        [*REFERAT, "ingest", str(folder), "--home", str(home), "--no-enrich"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    for name in BAD_FILES:
        lines = [line for line in proc.stderr.splitlines() if name in line]
        assert len(lines) == 1, proc.stderr
    assert "møder=1" in proc.stdout and "punkter=4" in proc.stdout and f"fejl={len(BAD_FILES)}" in proc.stdout
    again = subprocess.run(
        [*REFERAT, "ingest", str(folder / "good.txt"), "--home", str(home), "--no-enrich"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0 and "uændrede=1" in again.stdout and "møder=0" in again.stdout
    meetings = json.loads(
        subprocess.run(
            [*REFERAT, "meetings", "--json", "--home", str(home)], capture_output=True, text=True, timeout=120, cwd=ROOT
        ).stdout
    )
    assert len(meetings) == 1
    meeting = meetings[0]
    assert {k: meeting[k] for k in ("id", "municipality", "committee", "date", "punkter")} == {
        "id": "odense/beskaeftigelses-og-socialudvalget/2021-02-02",
        "municipality": "Odense",
        "committee": "Beskæftigelses- og Socialudvalget",
        "date": "2021-02-02",
        "punkter": 4,
    }
    assert [(d["kind"], d["searched"], Path(d["path"]).name) for d in meeting["documents"]] == [
        ("referat", True, "good.txt")
    ]


def test_show_json(archive):
    result = runner.invoke(app, ["show", gold_punkt_id("004#14"), "--json", "--home", str(archive.home)])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["number"] == 14 and data["case_type"] == "D-sag" and data["journal_number"] == "32.00.00-A00-1-25"
    assert data["meeting"]["date"] == "2025-11-25"
    laws = [(law["law"], law["paragraph"]) for law in data["laws"]]
    assert ("lov om aktiv socialpolitik", "34") in laws
    money = [a for a in data["amounts"] if a["kind"] == "money"]
    assert money and all(a["unit"] == "DKK" for a in money)
    assert data["kle"]["number"] == "32.00.00"
    assert data["themes"] and {"key", "label", "score"} <= set(data["themes"][0])
    assert {"text", "label", "canonical", "start", "end"} <= set(data["entities"][0])


def test_show_unknown_id_is_one_clear_line(archive):
    result = runner.invoke(app, ["show", "odense/nope/2020-01-01/1", "--home", str(archive.home)])
    assert result.exit_code == 1
    # CliRunner swallows tracebacks: an uncaught error shows as result.exception, a handled one as SystemExit.
    assert isinstance(result.exception, SystemExit)
    assert "intet punkt" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_search_json_shape_and_filters(archive):
    result = runner.invoke(
        app, ["search", "hjemløse", "--json", "--limit", "3", "--municipality", "Odense", "--home", str(archive.home)]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["query"] == "hjemløse" and len(data["hits"]) == 3
    for hit in data["hits"]:
        assert HIT_KEYS <= set(hit)
        assert hit["municipality"] == "Odense"


@pytest.mark.parametrize("args", [["search", ""], ["search", "x" * 501], ["search", "budget", "--limit", "0"]])
def test_search_bad_input(archive, args):
    result = runner.invoke(app, [*args, "--home", str(archive.home)])
    assert result.exit_code in (1, 2)  # 1: our one-line error, 2: typer's usage error
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error
    assert result.stderr.strip() and "Traceback" not in result.stderr


def test_meetings_table(archive):
    result = runner.invoke(app, ["meetings", "--home", str(archive.home)])
    assert result.exit_code == 0 and "Beskæftigelses- og" in result.stdout


def test_cli_prints_data_as_itself():
    from rich.console import Console

    from api.cli import snippet_text

    text = snippet_text("Se [b]bilag[/b] og [/x] &quot;<mark>budget</mark>&quot; &amp; mere")
    assert text.plain == 'Se [b]bilag[/b] og [/x] "budget" & mere'
    assert [text.plain[s.start : s.end] for s in text.spans if s.style == "reverse"] == ["budget"]
    console = Console(record=True, width=200)
    console.print(text)
    assert 'Se [b]bilag[/b] og [/x] "budget" & mere' in console.export_text()


def test_cli_bad_filter_is_one_line(archive):
    result = runner.invoke(app, ["search", "budget", "--from", "2024-02-30", "--home", str(archive.home)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)  # a bad value: a usage error
    assert "ÅÅÅÅ-MM-DD" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_cli_search_shows_the_answer(archive):
    result = runner.invoke(
        app, ["search", "hvor mange borgere havde socialt frikort i september 2024", "--home", str(archive.home)]
    )
    assert result.exit_code == 0
    assert "Svar: 110 borgere" in result.stdout and "&quot;" not in result.stdout and "<mark>" not in result.stdout


def test_a_filter_error_names_the_flag_and_typer_suggests_in_danish(archive):
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    home = str(archive.home)
    bad_date = runner.invoke(app, ["search", "budget", "--home", home, "--from", "2024-13-01"])
    assert bad_date.exit_code == 2 and "--from: '2024-13-01' er ikke en dato" in bad_date.output
    assert "date_from" not in bad_date.output
    order = runner.invoke(app, ["search", "budget", "--home", home, "--from", "2024-05-01", "--to", "2024-01-01"])
    assert order.exit_code == 2 and "--from (2024-05-01) ligger efter --to (2024-01-01)" in order.output
    typo = runner.invoke(app, ["search", "budget", "--home", home, "--fro", "2024"])
    assert typo.exit_code == 2 and "mente du --from" in typo.output and "Possible options" not in typo.output
