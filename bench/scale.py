"""The vector index at one million passages of the real dimension (384), synthetic.

    python bench/scale.py [--n 1000000] [--queries 200]

Builds the index Referat would choose at that size (HNSW above the threshold), and prints build
time, memory, search latency p50/p95 (query embedding excluded here: add bench/search.py's
embedding time) and recall@10 against exact search.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.vectors import VectorIndex, set_threads  # noqa: E402


def synthetic(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Clustered unit vectors: real passages are not uniform on the sphere, they crowd by topic."""
    centres = rng.standard_normal((256, dim)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def main() -> None:
    import faiss

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--dim", type=int, default=384)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    data = synthetic(args.n, args.dim, rng)
    queries = synthetic(args.queries, args.dim, rng)
    set_threads(2)
    started = time.perf_counter()
    index = VectorIndex.build(data)
    build_s = time.perf_counter() - started
    set_threads(1)  # serving: one thread per query
    latencies, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q, 10)
        latencies.append((time.perf_counter() - t) * 1000)
        found.append(set(ids.tolist()))
    exact = faiss.IndexFlatIP(args.dim)
    exact.add(data)
    _, truth = exact.search(queries, 10)
    recall = statistics.mean(len(f & set(t.tolist())) / 10 for f, t in zip(found, truth, strict=True))
    lat = sorted(latencies)
    print(f"passages={args.n}")
    print(f"index={index.kind}")
    print(f"build_s={build_s:.1f}")
    print(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print(f"latency_p50_ms={statistics.median(lat):.2f}")
    print(f"latency_p95_ms={lat[int(0.95 * (len(lat) - 1))]:.2f}")
    print(f"recall_at_10={recall:.4f}")


if __name__ == "__main__":
    main()
