"""A query embedder whose vector the bench sets: scale benches measure search, not query embedding
(bench/search.py measures that)."""

from __future__ import annotations

import numpy as np


class GivenVector:
    name = "given"

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.vector = np.zeros(dim, dtype=np.float32)

    def queries(self, texts):
        return np.stack([self.vector for _ in texts])
