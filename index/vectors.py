"""The vector index: passage vectors in FAISS under their store ids, searched through a filter.

A generation of the index is a base segment (built once, immutable: exact below
`settings.ann_threshold` vectors, an inverted-file index above), a small delta segment of the
vectors added since, and the base ids deleted since (tombstones) — Lucene's segments in miniature.
Every search takes an `Allowed` set of passage ids (the filter, compiled once per query, with the
tombstones removed) as a FAISS `IDSelectorBitmap`, so filters act before ranking: a selective
filter is searched exactly over its subset, a broad one approximately with the filter inside the
search, never by filtering a global top-k afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from nlp.settings import settings


def set_threads(n: int | None = None) -> None:
    """Threads for FAISS: one per query when serving (`settings.serve_threads`)."""
    faiss.omp_set_num_threads(int(n or settings.serve_threads))


def build_segment(ids: np.ndarray, vectors: np.ndarray) -> faiss.Index:
    """An index over `vectors` keyed by `ids`: exact when small, IVF when large."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    n = len(vectors)
    if n >= settings.ann_threshold:
        nlist = int(min(16 * np.sqrt(n), 8192))
        quantizer = faiss.IndexFlatIP(dim)
        inner = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
        inner.train(sample)
        inner.nprobe = ivf_nprobe(nlist)
    else:
        inner = faiss.IndexFlatIP(dim)
    index = faiss.IndexIDMap2(inner)
    if n:
        index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
    return index


def ivf_nprobe(nlist: int) -> int:
    """Lists probed per query: enough for recall@10 >= 0.95 of exact (bench/scale.py)."""
    return max(8, min(nlist, int(nlist * settings.ivf_probe_share)))


def kind_of(index: faiss.Index) -> str:
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
    return "ivf" if isinstance(inner, faiss.IndexIVF) else "flat"


@dataclass
class Allowed:
    """Passage ids a query may see, as a bitmap over ids (`None`: every live passage)."""

    bitmap: np.ndarray | None  # packed little-endian bits over passage ids
    count: int

    def selector(self) -> faiss.IDSelector | None:
        if self.bitmap is None:
            return None
        return faiss.IDSelectorBitmap(len(self.bitmap) * 8, faiss.swig_ptr(self.bitmap))


class VectorView:
    """One generation, loaded: search it with a query vector and an `Allowed` set."""

    def __init__(
        self,
        base: faiss.Index,
        delta_ids: np.ndarray,
        delta_vectors: np.ndarray,
        passage_punkt: np.ndarray,
        tombstones: np.ndarray,
    ) -> None:
        self.base = base
        self.dim = base.d
        self.delta_ids = delta_ids.astype(np.int64)
        self.delta = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        if len(delta_ids):
            self.delta.add_with_ids(np.ascontiguousarray(delta_vectors, dtype=np.float32), self.delta_ids)
        #: passage id -> punkt id for every live passage of this generation, -1 elsewhere.
        self.passage_punkt = passage_punkt
        self.tombstones = tombstones
        self.live = passage_punkt >= 0
        self.live_count = int(self.live.sum())
        self._all = Allowed(np.packbits(self.live, bitorder="little"), self.live_count) if len(tombstones) else None
        # Every live passage id grouped by its punkt (ids ascending within one), for `punkt_cosines`;
        # the IVF lists' direct map lets the base give a passage's stored vector back by its id.
        live_ids = np.flatnonzero(self.live)
        self._by_punkt = live_ids[np.argsort(passage_punkt[live_ids], kind="stable")]
        self._by_punkt_punkt = passage_punkt[self._by_punkt]
        inner = faiss.downcast_index(base.index) if isinstance(base, faiss.IndexIDMap2) else None
        if isinstance(inner, faiss.IndexIVF):
            inner.make_direct_map()

    @property
    def size(self) -> int:
        return self.live_count

    @property
    def kind(self) -> str:
        return kind_of(self.base)

    def allowed(self, punkt_mask: np.ndarray | None) -> Allowed:
        """The live passages of the allowed punkter (`punkt_mask[punkt id]`), or all live passages."""
        if punkt_mask is None:
            return self._all or Allowed(None, self.live_count)
        pp = self.passage_punkt
        inside = pp < len(punkt_mask)  # punkter newer than the mask are not allowed
        ok = self.live & inside & punkt_mask[np.where(inside & self.live, pp, 0)]
        return Allowed(np.packbits(ok, bitorder="little"), int(ok.sum()))

    def search(
        self, query: np.ndarray, k: int, allowed: Allowed, *, exact: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cosines, passage ids) of the k nearest allowed passages, best first; `exact` never approximates."""
        if allowed.count == 0 or self.live_count == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        k = min(k, allowed.count)
        sel = allowed.selector()
        found: list[tuple[np.ndarray, np.ndarray]] = []
        for index in (self.base, self.delta):
            if index.ntotal == 0:
                continue
            found.append(self._search_one(index, q, k, sel, allowed.count, exact))
        scores = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.float32)
        ids = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
        keep = ids >= 0
        scores, ids = scores[keep], ids[keep]
        order = np.argsort(-scores, kind="stable")[:k]
        return scores[order], ids[order]

    def punkt_cosines(self, query: np.ndarray, punkter: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(cosines, passage ids) of every live passage of the given punkter, in punkt then id order.

        The stored vectors are read back by id and scored with FAISS's own inner product, so each
        cosine is bit for bit what an exact search restricted to these passages gives, without
        scanning every list of the index past a bitmap (37 -> 7 ms for 200 punkter at 1M passages)."""
        wanted = np.asarray(punkter, dtype=np.int64)
        lo = np.searchsorted(self._by_punkt_punkt, wanted, "left")
        hi = np.searchsorted(self._by_punkt_punkt, wanted, "right")
        if not len(wanted) or not (hi - lo).any():
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        ids = np.concatenate([self._by_punkt[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)])
        vectors = np.empty((len(ids), self.dim), dtype=np.float32)
        in_delta = np.isin(ids, self.delta_ids)
        for index, rows in ((self.base, ~in_delta), (self.delta, in_delta)):
            if rows.any():
                vectors[rows] = index.reconstruct_batch(ids[rows])
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        cosines = np.empty(len(ids), dtype=np.float32)
        ptr = faiss.swig_ptr
        faiss.fvec_inner_products_ny(ptr(cosines), ptr(q), ptr(vectors), self.dim, len(ids))
        return cosines, ids

    def _search_one(self, index: faiss.Index, q: np.ndarray, k: int, sel, allowed_count: int, exact: bool):
        inner = faiss.downcast_index(index.index)
        if isinstance(inner, faiss.IndexIVF):
            # A selective filter: probe every list, i.e. exact search over the allowed subset.
            exact = exact or allowed_count <= settings.exact_subset_limit
            params = faiss.SearchParametersIVF(sel=sel, nprobe=inner.nlist if exact else inner.nprobe)
        else:
            params = faiss.SearchParameters(sel=sel) if sel is not None else None
        scores, ids = index.search(q, min(k, index.ntotal), params=params)
        return scores[0], ids[0]


def write_index(index: faiss.Index, path: Path) -> str:
    """Write `index` to `path` whole or not at all; returns the file's sha256.

    FAISS writes through a Python file, so a full disk is the OS's own `OSError` (ENOSPC), not a
    FAISS assertion; a failed write leaves no partial file."""
    tmp = path.with_name(path.name + ".tmp")
    digest = hashlib.sha256()

    def write(chunk: bytes) -> None:
        digest.update(chunk)
        fh.write(chunk)

    try:
        with open(tmp, "wb") as fh:
            faiss.write_index(index, faiss.PyCallbackIOWriter(write))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def read_index(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))
