"""Every operational error is one line with its own exit status, and nothing is half-written:
a full disk (a real tmpfs that is full, or the file size limit), a read-only home (a real
read-only bind mount), a database another process holds locked, a damaged search index.

The full disk and the read-only home need a private mount namespace (`unshare -m`, root): there
the test mounts a small tmpfs or a read-only bind over the home and runs the CLI inside it.
Without one (not root) the read-only home is a folder without write permission, and the full-disk
tests that need a mount are skipped; the file size limit needs nothing."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from index import generations
from index.archive import Archive
from tests.conftest import ROOT
from tests.index.test_store_ingest import small_referat

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CLI = [sys.executable, "-m", "api.cli"]


def _can_mount() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


MOUNTS = _can_mount()
needs_mount = pytest.mark.skipif(not MOUNTS, reason="needs a private mount namespace (unshare -m as root)")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    """A home with two meetings, and a third meeting's file not yet ingested."""
    base = tmp_path_factory.mktemp("operational")
    docs = base / "docs"
    docs.mkdir()
    for i, topic in enumerate(("Om cykelstier langs havnen.", "Om solceller.", "Om vinterbadning ved stranden.")):
        (docs / f"{i}.txt").write_text(small_referat(date=f"0{i + 5}-11-2024", extra=topic), encoding="utf-8")
    archive = Archive(base / "home")
    archive.ingest([docs / "0.txt", docs / "1.txt"], enrich=False)
    archive.close()
    return base / "home", docs / "2.txt"


@pytest.fixture()
def home(pristine, tmp_path) -> Path:
    shutil.copytree(pristine[0], tmp_path / "home")
    return tmp_path / "home"


@pytest.fixture()
def third(pristine) -> Path:
    return pristine[1]


def _run(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=ROOT, env=env or ENV, timeout=300, **kwargs
    )


def _one_line(proc: subprocess.CompletedProcess, status: int, *words: str) -> str:
    """The command failed with `status` and said why in exactly one line."""
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fejl: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _meeting_dates(home: Path) -> list[str]:
    db = sqlite3.connect(f"file:{home / 'referat.sqlite'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return sorted(r[0] for r in db.execute("SELECT date FROM meetings"))
    finally:
        db.close()


# -- in a private mount namespace ------------------------------------------------------------------

INSIDE = """
import json, os, subprocess, sys
home, third, what = sys.argv[1], sys.argv[2], sys.argv[3]
cli = [sys.executable, "-m", "api.cli"]
def run(*args):
    p = subprocess.run([*cli, *args, "--home", home], capture_output=True, text=True)
    return {"rc": p.returncode, "out": p.stdout, "err": p.stderr}
def sh(cmd):
    subprocess.run(["sh", "-c", cmd], check=True, capture_output=True)
out = {}
if what == "readonly":
    sh(f"mount --bind {home} {home} && mount -o remount,ro,bind {home} {home}")
    out["ingest"] = run("ingest", third, "--no-enrich")
    out["reindex"] = run("reindex")
    out["search"] = run("search", "cykelstier")
else:
    full = home if what == "store" else f"{home}/index"
    sh(f"cp -a {full} {full}.copy && mount -t tmpfs -o size=1m tmpfs {full} && cp -a {full}.copy/. {full}/"
       f" && rm -rf {full}.copy && (dd if=/dev/zero of={full}/filler bs=1k || true)")
    out["ingest"] = run("ingest", third, "--no-enrich")
    out["current_after_failure"] = open(f"{home}/index/CURRENT").read()
    out["index_after_failure"] = sorted(os.listdir(f"{home}/index"))
    out["meetings_after_failure"] = run("meetings", "--json")
    out["search_after_failure"] = run("search", "vinterbadning ved stranden", "--json", "--limit", "3")
    os.remove(f"{full}/filler")
    out["again"] = run("ingest", third, "--no-enrich")
    out["search"] = run("search", "vinterbadning ved stranden", "--json", "--limit", "3")
print(json.dumps(out))
"""


def _inside(home: Path, third: Path, what: str) -> dict:
    proc = subprocess.run(
        ["unshare", "-m", sys.executable, "-c", INSIDE, str(home), str(third), what],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return {
        k: subprocess.CompletedProcess([], v["rc"], v["out"], v["err"]) if isinstance(v, dict) else v
        for k, v in json.loads(proc.stdout).items()
    }


def _dates(proc: subprocess.CompletedProcess) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    return [h["meeting_date"] for h in json.loads(proc.stdout)["hits"]]


@needs_mount
def test_a_full_disk_under_the_index_is_one_line_and_the_previous_generation_stays(home, third):
    before = generations.current_name(home / "index")
    got = _inside(home, third, "index")
    _one_line(got["ingest"], 3, "ikke plads på disken", "frigør plads")
    assert got["current_after_failure"] == before
    assert not [n for n in got["index_after_failure"] if ".tmp" in n or ".old" in n]
    # The meeting went into the store; the old generation, caught up with the store, finds it.
    assert "2024-11-07" in [m["date"] for m in json.loads(got["meetings_after_failure"].stdout)]
    assert _dates(got["search_after_failure"])[0] == "2024-11-07"
    assert got["again"].returncode == 0, got["again"].stderr  # space freed: the same command finishes the job
    assert _dates(got["search"])[0] == "2024-11-07"


@needs_mount
def test_a_full_disk_under_the_store_is_one_line_and_the_store_is_unchanged(home, third):
    got = _inside(home, third, "store")
    _one_line(got["ingest"], 3, "ikke plads på disken")
    assert got["current_after_failure"] == generations.current_name(home / "index")
    # The store is the mount's copy, gone with the namespace; what the commands inside saw of it:
    assert got["meetings_after_failure"].returncode in (0, 3)
    assert got["again"].returncode == 0, got["again"].stderr
    assert _dates(got["search"])[0] == "2024-11-07"


@needs_mount
def test_a_read_only_home_is_one_line_with_its_own_status(home, third):
    got = _inside(home, third, "readonly")
    for command in ("ingest", "reindex", "search"):
        _one_line(got[command], 4, "skrivebeskyttet", "--home")
    assert _meeting_dates(home) == ["2024-11-05", "2024-11-06"]


@pytest.mark.skipif(MOUNTS or os.geteuid() == 0, reason="root ignores permissions: the bind mount above is the test")
def test_a_home_without_write_permission_is_one_line(home, third):
    home.chmod(0o555)
    try:
        _one_line(_run("ingest", str(third), "--home", str(home), "--no-enrich"), 4, "skrivebeskyttet")
    finally:
        home.chmod(0o755)


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


def test_a_write_past_the_file_size_limit_is_one_line_and_nothing_is_half_written(home, third):
    """No mount needed: RLIMIT_FSIZE makes every write past 64 KiB fail (EFBIG) in the child."""
    before = _meeting_dates(home)
    proc = _run("ingest", str(third), "--home", str(home), "--no-enrich", preexec_fn=_file_size_limit(64 << 10))
    _one_line(proc, 3)
    assert _meeting_dates(home) == before
    assert _run("ingest", str(third), "--home", str(home), "--no-enrich").returncode == 0
    assert _meeting_dates(home) == [*before, "2024-11-07"]


def test_a_locked_database_is_one_line_and_readers_go_on(home, third):
    holder = sqlite3.connect(home / "referat.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process (sqlite3, Datasette) holds the write lock
    try:
        env = {**ENV, "REFERAT_DB_BUSY_TIMEOUT_S": "0.5"}
        _one_line(_run("ingest", str(third), "--home", str(home), "--no-enrich", env=env), 5, "låst", "prøv igen")
        search = _run("search", "cykelstier", "--home", str(home), "--json", env=env)
        assert search.returncode == 0 and json.loads(search.stdout)["hits"], search.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _run("ingest", str(third), "--home", str(home), "--no-enrich").returncode == 0


def test_a_damaged_index_is_one_line_naming_reindex_and_reindex_recovers(home):
    root = home / "index"
    (root / "CURRENT").write_bytes(b"\xff\xfe garbled")
    for folder in root.glob("gen-*"):
        shutil.rmtree(folder)
    _one_line(_run("search", "cykelstier", "--home", str(home)), 6, "kør 'referat reindex'")
    reindex = _run("reindex", "--home", str(home))
    assert reindex.returncode == 0 and "Traceback" not in reindex.stderr, reindex.stderr
    assert len(reindex.stderr.strip().splitlines()) <= 1  # at most the line saying what it rebuilds
    generations.check(root, generations.current_name(root))
    assert _run("search", "cykelstier", "--home", str(home)).returncode == 0


def test_a_truncated_manifest_is_said_in_one_line_and_reindex_recovers(home, third):
    assert _run("ingest", str(third), "--home", str(home), "--no-enrich").returncode == 0  # two generations
    root = home / "index"
    (root / generations.current_name(root) / "manifest.json").write_text('{"name": ')
    search = _run("search", "vinterbadning ved stranden", "--home", str(home), "--json", "--limit", "3")
    assert _dates(search)[0] == "2024-11-07"  # the previous generation, caught up: the same answer
    warning = [line for line in search.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and "referat reindex" in warning[0] and "Traceback" not in search.stderr
    assert _run("reindex", "--home", str(home)).returncode == 0
    generations.check(root, generations.current_name(root))


def test_a_server_over_a_damaged_index_answers_503_naming_reindex_then_recovers(home):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from index.reindex import reindex

    root = home / "index"
    for folder in root.glob("gen-*"):
        shutil.rmtree(folder)
    generations._BASES.clear()
    archive = Archive(home, create=False)
    with TestClient(create_app(archive=archive)) as client:  # it starts: the damage is per request
        refused = client.get("/api/search", params={"q": "cykelstier"})
        assert refused.status_code == 503 and "referat reindex" in refused.json()["error"]["message"]
        reindex(Archive(home, create=False))  # another process; the server picks the new CURRENT up
        found = client.get("/api/search", params={"q": "cykelstier"})
        assert found.status_code == 200 and found.json()["hits"]
