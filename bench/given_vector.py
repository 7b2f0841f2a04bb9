"""A query embedder whose vector the bench sets: scale benches measure search, not query embedding
(bench/search.py measures that)."""

from __future__ import annotations

import statistics
import time

import numpy as np


class GivenVector:
    name = "given"

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.vector = np.zeros(dim, dtype=np.float32)

    def queries(self, texts):
        return np.stack([self.vector for _ in texts])


def time_searches(searcher, given: GivenVector, texts: list[str], vectors: np.ndarray, filters) -> dict[str, float]:
    """p50 and p95 in ms of the full search (`searcher.search`) of each text with its given vector."""
    latencies = []
    for text, vector in zip(texts, vectors, strict=True):
        given.vector = vector
        started = time.perf_counter()
        searcher.search(text, limit=10, filters=filters)
        latencies.append((time.perf_counter() - started) * 1000)
    lat = sorted(latencies)
    return {"latency_p50_ms": statistics.median(lat), "latency_p95_ms": lat[int(0.95 * (len(lat) - 1))]}
