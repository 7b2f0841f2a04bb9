"""`bench/scale.py --store postgres` runs end to end at a tiny size: a refactor cannot silently break it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.index.pg_helpers import require_postgres

require_postgres()
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_scale_bench_on_postgres_runs():
    """With the real meeting added, into the archive and into an empty one (the growth figure)."""
    argv = [
        sys.executable,
        str(ROOT / "bench" / "scale.py"),
        "--store",
        "postgres",
        "--punkter",
        "150",
        "--queries",
        "3",
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    for name in ("pg_publish_s", "pg_latency_p95_ms", "pg_filtered_latency_p95_ms", "pg_recall_at_10"):
        assert name in figures, done.stdout
    assert float(figures["pg_recall_at_10"]) > 0
    assert figures["pg_added_punkter"] == "15"
    assert float(figures["pg_add_one_meeting_empty_s"]) > float(figures["pg_publish_one_meeting_empty_s"]) > 0
    assert float(figures["pg_add_one_meeting_growth"]) > 0
