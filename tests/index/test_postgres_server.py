"""`referat db init|start|stop|standby|status` on a real PostgreSQL: a primary, a streaming standby,
and a clear refusal to run as root."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.pgserver import LocalServer, dsn, free_port, process_alive, shared_buffers_mb
from tests.index.pg_helpers import PG_USER, remove, require_postgres, server_base

psycopg = require_postgres()

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "api.cli", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def base():
    folder = server_base()
    yield folder
    for name in ("standby", "primary"):
        if (folder / name / "postmaster.pid").exists():
            LocalServer(folder / name, user=PG_USER).stop()
    remove(folder)


def _user_args() -> list[str]:
    return ["--user", PG_USER] if PG_USER else []


@pytest.mark.skipif(os.geteuid() != 0, reason="the refusal is for root; this run is not root")
def test_root_without_user_is_refused_in_danish(base):
    done = _cli("db", "init", "--dir", str(base / "primary"), "--port", str(free_port()))
    assert done.returncode == 1
    assert "PostgreSQL kan ikke køre som root: brug --user" in done.stderr
    assert not (base / "primary").exists()  # nothing was created


def test_unknown_user_is_refused(base):
    if os.geteuid() != 0:
        pytest.skip("--user is only for root")
    done = _cli("db", "init", "--dir", str(base / "primary"), "--user", "ingen-saadan-bruger-xyz")
    assert done.returncode == 1
    assert "findes ikke" in done.stderr


def test_primary_and_standby_stream_a_write_and_stop(base):
    primary_port, standby_port = free_port(), free_port()
    done = _cli("db", "init", "--dir", str(base / "primary"), "--port", str(primary_port), *_user_args())
    assert done.returncode == 0, done.stderr
    assert dsn(primary_port) in done.stdout

    cache_mb = "SELECT setting::bigint * 8192 / 1048576 FROM pg_settings WHERE name = 'shared_buffers'"
    with psycopg.connect(dsn(primary_port), autocommit=True) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'vector'").fetchone() == ("vector",)
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        # A quarter of the machine's memory as the page cache, not PostgreSQL's 128 MB (settings).
        assert conn.execute(cache_mb).fetchone()[0] == shared_buffers_mb() > 128

    done = _cli(
        "db",
        "standby",
        "--dir",
        str(base / "standby"),
        "--primary-port",
        str(primary_port),
        "--port",
        str(standby_port),
        *_user_args(),
    )
    assert done.returncode == 0, done.stderr

    status = _cli("db", "status", "--dir", str(base / "standby"), "--json", *_user_args())
    assert '"role": "standby"' in status.stdout and f'"port": {standby_port}' in status.stdout

    marker = f"skrevet-{os.getpid()}-{time.time_ns()}"
    with psycopg.connect(dsn(primary_port), autocommit=True) as conn:
        conn.execute("CREATE TABLE probe (v text)")
        conn.execute("INSERT INTO probe VALUES (%s)", (marker,))
    seen = None
    with psycopg.connect(dsn(standby_port), autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        for _ in range(300):  # wait for replay; a standby that never streams fails here
            if conn.execute("SELECT to_regclass('probe') IS NOT NULL").fetchone()[0]:
                seen = conn.execute("SELECT v FROM probe").fetchone()
                if seen:
                    break
            time.sleep(0.1)
        assert seen == (marker,)
        assert conn.execute(cache_mb).fetchone()[0] == shared_buffers_mb()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO probe VALUES ('nej')")

    pids = [LocalServer(base / n, user=PG_USER).status().pid for n in ("standby", "primary")]
    for name in ("standby", "primary"):
        done = _cli("db", "stop", "--dir", str(base / name), *_user_args())
        assert done.returncode == 0, done.stderr
    for pid in pids:
        assert pid is not None
        assert not process_alive(pid)
    assert not (base / "primary" / "postmaster.pid").exists()


def test_start_restarts_a_stopped_server(base):
    port = free_port()
    server = LocalServer(base / "primary", user=PG_USER)
    server.init(port=port)
    server.stop()
    assert not server.status().running
    done = _cli("db", "start", "--dir", str(base / "primary"), *_user_args())
    assert done.returncode == 0, done.stderr
    assert server.status().role == "primary"
    with psycopg.connect(dsn(port)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_init_refuses_a_folder_in_use(base):
    (base / "primary").mkdir()
    (base / "primary" / "noget").write_text("x")
    done = _cli("db", "init", "--dir", str(base / "primary"), "--port", str(free_port()), *_user_args())
    assert done.returncode == 1
    assert "er ikke tom" in done.stderr
