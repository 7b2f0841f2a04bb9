"""The CLI and HTTP edges under hostile use: one line per failure, never a traceback, no
wrapping into a pipe, no archive made by a mistyped --home, HEAD answered."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT

HOSTILE = FIXTURES / "hostile"


def cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


@pytest.mark.parametrize("command", [["meetings"], ["show", "odense/x/2024-01-01/1"], ["search", "skole"]])
def test_read_commands_refuse_a_home_that_does_not_exist(tmp_path, command):
    home = tmp_path / "stavefejl"
    proc = cli(*command, "--home", str(home))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"fejl: arkivet findes ikke: {home}; kør 'referat ingest' først"]
    assert not home.exists()


def test_hostile_files_are_each_one_line_and_the_rest_goes_in(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for path in HOSTILE.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "deep-array.json").write_bytes(b"[" * 200_000 + b"]" * 200_000)
    (folder / "big.txt").write_bytes(
        b"REFERAT \xc3\x86ldrer\xc3\xa5det d. 01-05-2024\n\nM\xc3\xb8dested: Odense Kommune\n\nPunkt 1: A\n\n"
        + b"<" * 3_000_000
    )
    long_name = "x" * 150 + ".json"
    (folder / long_name).write_text('{"Moede": {"Dato": "2024-01-01"}, "Dagsordenpunkter": [{"Felter": "x"}]}')
    proc = cli("ingest", str(folder), "--home", str(tmp_path / "home"), "--no-enrich")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == 1  # some files are refused
    refused = ["firstagenda-wrong-type.json", "deep.json", "firstagenda-bad-date.json", "deep-array.json", long_name]
    for name in refused:
        lines = [line for line in proc.stderr.splitlines() if name in line]
        assert len(lines) == 1, (name, proc.stderr)
    # Not a terminal: the long line is not wrapped at 80 columns.
    assert any(long_name in line and "Dagsordenpunkter[0].Felter" in line for line in proc.stderr.splitlines())
    assert f"fejl={len(refused)}" in proc.stdout
    meetings = json.loads(cli("meetings", "--json", "--home", str(tmp_path / "home")).stdout)
    assert sum(m["punkter"] for m in meetings) >= 1 + 10 + 10 + 1  # utf16, both closed files, data-uri, big


def test_unexpected_errors_are_one_line_naming_what_to_do():
    from api.cli import _one_line

    message = _one_line(sqlite3.OperationalError("attempt to write a readonly database"))
    assert "skrivebeskyttet" in message and "--home" in message and "\n" not in message
    assert "kør med -v" in _one_line(KeyError("x"))
    assert _one_line(PermissionError(13, "Permission denied", "/srv/referat")).count("\n") == 0


@pytest.mark.slow
def test_head_is_answered_like_get(client):
    for url in ("/health", "/api/meetings", "/", "/arkiv"):
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code == 200, url
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    refused = client.post("/api/meetings")
    assert refused.status_code == 405 and "GET" in refused.headers["allow"]
