"""Ingest on a real two-node Ray cluster (loopback) gives the same archive as a single-machine ingest."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest

if os.environ.get("CI") == "true":  # in CI a missing tool is a failure, not a skip
    import ray  # noqa: F401
else:
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'referat[cluster]' (.ci/run installs it)")

from index.cluster import (
    ingest_paths_on_ray,  # noqa: E402
    stop_session,
)
from index.ingest import ingest_paths  # noqa: E402
from index.store import Store  # noqa: E402
from nlp.embedder import get_embedder  # noqa: E402
from nlp.pipeline import Enricher  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GREVE = ROOT / "data" / "sample" / "greve"


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _ray_bin() -> str:
    import sys

    candidate = Path(sys.executable).parent / "ray"
    return str(candidate if candidate.exists() else "ray")


@pytest.fixture()
def loopback_cluster(tmp_path):
    """A head on 127.0.0.2 and a worker node on 127.0.0.3, one CPU each; everything stopped after.

    Not 127.0.0.1: Ray replaces that address with the machine's own non-loopback one, and the
    "loopback" cluster would then talk over the network (the test checks every node's address)."""
    port = _free_port("127.0.0.2")
    temp = Path("/tmp") / f"referat-ray-{os.getpid()}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAY_USAGE_STATS_ENABLED": "0",
        "REFERAT_THREADS": "1",
        "REFERAT_RAY_SESSION": str(temp),
    }
    ray = _ray_bin()
    common = ["--num-cpus", "1", "--disable-usage-stats", "--temp-dir", str(temp)]
    started: list[subprocess.CompletedProcess] = []
    try:
        started.append(
            subprocess.run(
                [ray, "start", "--head", "--node-ip-address", "127.0.0.2", "--port", str(port)]
                + ["--include-dashboard=false", *common],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
        )
        started.append(
            subprocess.run(
                [ray, "start", "--address", f"127.0.0.2:{port}", "--node-ip-address", "127.0.0.3", *common],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
        )
        yield f"127.0.0.2:{port}"
    finally:
        # Every process of this session, by PID (never a global `ray stop`).
        assert not stop_session(str(temp)), "a process of the test cluster is still running"


def _snapshot(store: Store) -> dict:
    rows = store.db.execute("SELECT slug, title, case_type FROM punkter ORDER BY slug").fetchall()
    punkter = {r["slug"]: (r["title"], r["case_type"]) for r in rows}
    tags = {}
    for slug in punkter:
        data = store.punkt(slug)
        tags[slug] = (
            sorted((e["text"], e["label"], e["start"]) for e in data["entities"]),
            sorted(t["key"] for t in data["themes"]),
            data["kle"].get("number"),
            sorted(a["text"] for a in data["amounts"]),
        )
    return {"punkter": punkter, "tags": tags}


def _vectors(store: Store) -> np.ndarray:
    """Every passage's vector, in the order of punkt id and passage, as the store keeps them."""
    rows = store.db.execute(
        "SELECT s.vector FROM passages s JOIN punkter p ON p.id = s.punkt ORDER BY p.slug, s.ordinal"
    ).fetchall()
    assert rows and all(r[0] is not None for r in rows), "every passage's vector is in the store"
    return np.stack([np.frombuffer(r[0], dtype=np.float32) for r in rows])


def test_two_node_ray_ingest_equals_single_machine(tmp_path, loopback_cluster):
    import ray

    files = sorted(GREVE.glob("*.json"))
    assert len(files) == 4
    single = Store(tmp_path / "single.sqlite")
    embedder = get_embedder()
    local = ingest_paths(single, files, Enricher(embedder=embedder), embedder=embedder)
    assert local.ok and local.punkter > 0

    ray.init(address=loopback_cluster, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    try:
        alive = [n for n in ray.nodes() if n["Alive"]]
        assert len(alive) == 2
        addresses = {n["NodeManagerAddress"] for n in alive}
        assert all(ipaddress.ip_address(a) in ipaddress.ip_network("127.0.0.0/8") for a in addresses), addresses
        clustered = Store(tmp_path / "ray.sqlite")
        remote = ingest_paths_on_ray(ray, clustered, files)
    finally:
        ray.shutdown()
    assert remote.ok, remote.failures
    assert (remote.meetings, remote.punkter, remote.passages) == (local.meetings, local.punkter, local.passages)
    assert remote.embed_s > 0 and remote.enrich_s > 0

    a, b = _snapshot(single), _snapshot(clustered)
    assert a["punkter"] == b["punkter"]
    assert a["tags"] == b["tags"]
    assert any(t[0] for t in a["tags"].values()), "the comparison covers entities"
    mine, theirs = _vectors(single), _vectors(clustered)
    assert mine.shape == theirs.shape
    diff = np.abs(mine - theirs).max()
    assert diff <= 1e-5, diff


def test_ray_ingest_into_postgres_through_the_cli(tmp_path, loopback_cluster):
    """`referat ingest --ray ADDRESS --store postgresql://…`: read and embedded on the cluster's nodes,
    stored in the home, published to the primary; the same punkter on both."""
    import sys

    from index.pgserver import LocalCluster
    from tests.index.pg_helpers import require_postgres

    psycopg = require_postgres()
    nodes = LocalCluster()
    try:
        home = tmp_path / "home"
        argv = [sys.executable, "-m", "api.cli", "ingest", str(GREVE), "--home", str(home), "--no-enrich"]
        argv += ["--ray", loopback_cluster, "--store", nodes.primary_url]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REFERAT_THREADS": "1"}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "postgres: tilføjet=" in done.stdout, done.stdout
        store = Store(home / "referat.sqlite")
        local = [r[0] for r in store.db.execute("SELECT slug FROM punkter ORDER BY slug")]
        passages = store.db.execute("SELECT count(*) FROM passages WHERE vector IS NOT NULL").fetchone()[0]
        with psycopg.connect(nodes.primary_url) as conn:
            there = [r[0] for r in conn.execute("SELECT slug FROM punkter ORDER BY slug")]
            vectors = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
        assert local and there == local
        assert passages > 0 and vectors == passages
    finally:
        nodes.close()


def _busy_workers(session: str) -> list[int]:
    """PIDs of this cluster's ingest workers that are running a file now (Ray titles a process
    `ray::IngestWorker.process` while it runs that method)."""
    marker = f"REFERAT_RAY_SESSION={session}".encode()
    busy = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(b"ray::IngestWorker.process"):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    busy.append(int(entry.name))
        except OSError:
            continue
    return busy


def test_a_worker_dying_mid_batch_loses_no_file(tmp_path, loopback_cluster):
    """One node's worker is killed while it runs a file: its files go to the other node's worker,
    and the archive has every punkt and passage a single-machine ingest has."""
    import signal
    import time

    import ray

    files = sorted(GREVE.glob("*.json"))
    single = Store(tmp_path / "single.sqlite")
    local = ingest_paths(single, files, None, embedder=get_embedder())
    session = str(Path("/tmp") / f"referat-ray-{os.getpid()}")
    killed: list[int] = []

    def kill_a_busy_worker(path, report) -> None:
        deadline = time.time() + 20
        while not killed and time.time() < deadline:
            busy = _busy_workers(session)
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.05)

    ray.init(address=loopback_cluster, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    try:
        clustered = Store(tmp_path / "ray.sqlite")
        remote = ingest_paths_on_ray(ray, clustered, files, enrich=False, progress=kill_a_busy_worker)
    finally:
        ray.shutdown()
    assert killed, "no worker was running a file after the first was written"
    assert remote.retried >= 1, "the killed worker's file was handed out again"
    assert remote.ok, remote.failures
    assert (remote.meetings, remote.punkter, remote.passages) == (local.meetings, local.punkter, local.passages)
    assert _snapshot(single)["punkter"] == _snapshot(clustered)["punkter"]
    assert _vectors(single).shape == _vectors(clustered).shape
