"""Ray scaling on loopback: the whole ingest on one node with one CPU, then on two such nodes.

    python bench/ray_ingest.py [--corpus ../shared/corpus/greve-firstagenda-more] [--limit 20]

Starts a head (127.0.0.2) with one CPU, ingests through `referat ingest --ray`'s code path into a
fresh home, adds a worker node (127.0.0.3) with one CPU, ingests again into another fresh home,
and stops every Ray process it started (by PID, checked with pgrep). Prints `one_node_s=`,
`two_nodes_s=` and `ray_speedup=` (goal >= 1.7). On a machine with fewer than two free cores
the figure says nothing about real machines.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.archive import Archive  # noqa: E402
from index.cluster import ingest_on_ray  # noqa: E402
from index.ingest import discover  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "greve-firstagenda-more"))
    ap.add_argument("--limit", type=int, default=20)
    args = ap.parse_args()
    files = discover([args.corpus]).files
    files = files[: args.limit]
    ray = str(Path(sys.executable).parent / "ray")
    port = _free_port()
    session = f"/tmp/referat-raybench-{os.getpid()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0", "REFERAT_RAY_SESSION": session}
    common = ["--num-cpus", "1", "--disable-usage-stats", "--temp-dir", session]
    address = f"127.0.0.2:{port}"  # not 127.0.0.1: Ray swaps that for the machine's own address
    try:
        subprocess.run(
            [ray, "start", "--head", "--node-ip-address", "127.0.0.2", "--port", str(port), "--include-dashboard=false"]
            + common,
            env=env,
            check=True,
            capture_output=True,
        )
        timings = {}
        for label in ("one_node", "two_nodes"):
            if label == "two_nodes":
                subprocess.run(
                    [ray, "start", "--address", address, "--node-ip-address", "127.0.0.3", *common],
                    env=env,
                    check=True,
                    capture_output=True,
                )
            with tempfile.TemporaryDirectory() as home:
                started = time.perf_counter()
                report = ingest_on_ray(Archive(home), files, address)
                timings[label] = time.perf_counter() - started
            print(
                f"{label}_files={report.files} {label}_punkter={report.punkter} {label}_failures={len(report.failures)}"
            )
            print(f"{label}_s={timings[label]:.1f}")
        print(f"ray_speedup={timings['one_node'] / timings['two_nodes']:.2f}")
    finally:
        from index.cluster import stop_session

        left = stop_session(session)
        print(f"ray_processes_left={len(left)}")


if __name__ == "__main__":
    main()
