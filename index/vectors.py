"""The vector index: FAISS over passage embeddings, exact for small collections, HNSW above.

Exact inner product is both fast and perfect up to tens of thousands of passages; beyond
`HNSW_THRESHOLD` a graph index keeps search under the latency budget at some recall cost
(`bench/scale.py` measures both).
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

HNSW_THRESHOLD = 100_000
HNSW_M = 32
HNSW_EF_SEARCH = 96


def set_threads(n: int | None = None) -> None:
    """One FAISS thread per request suits a server answering many small queries."""
    faiss.omp_set_num_threads(int(n or os.environ.get("REFERAT_FAISS_THREADS", 1)))


class VectorIndex:
    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSWFlat) else "flat"

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, *, hnsw_threshold: int = HNSW_THRESHOLD) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if len(vectors) >= hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k nearest passages; ids of -1 are padding."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, self.size))
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self.index, str(tmp))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSWFlat):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index)

    def reconstruct(self, i: int) -> np.ndarray:
        return self.index.reconstruct(int(i))
