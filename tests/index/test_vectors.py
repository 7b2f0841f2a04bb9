"""The vector view's exact passage cosines: read back from the index by id, bit for bit what an
exact search over the same passages gives, on an IVF base with a delta and tombstones."""

from __future__ import annotations

import numpy as np

from index.vectors import VectorView, build_segment
from nlp.settings import settings


def test_punkt_cosines_equal_an_exact_search_over_their_passages(monkeypatch):
    monkeypatch.setattr(settings, "ann_threshold", 500)  # an IVF base at a test's size
    rng = np.random.default_rng(3)
    dim, n_base, n_delta = 32, 3000, 40

    def unit(n: int) -> np.ndarray:
        x = rng.standard_normal((n, dim)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    base = build_segment(np.arange(n_base), unit(n_base))
    delta_ids = np.arange(n_base, n_base + n_delta)
    passage_punkt = np.concatenate([np.arange(n_base) // 10, (n_base + np.arange(n_delta)) // 10]).astype(np.int64)
    tombstones = np.arange(0, n_base, 7)  # removed base passages: never returned
    passage_punkt[tombstones] = -1
    view = VectorView(base, delta_ids, unit(n_delta), passage_punkt, tombstones)
    assert view.kind == "ivf"

    punkter = [0, 5, 17, 299, 300, 303]  # 300 and 303 live in the delta
    query = unit(1)[0]
    cosines, ids = view.punkt_cosines(query, punkter)
    mask = np.zeros(passage_punkt.max() + 1, dtype=bool)
    mask[punkter] = True
    allowed = view.allowed(mask)
    exact_cos, exact_ids = view.search(query, allowed.count, allowed, exact=True)
    assert len(ids) == allowed.count > 0
    assert not set(ids.tolist()) & set(tombstones.tolist())
    assert set(view.passage_punkt[ids].tolist()) == set(punkter)
    mine = dict(zip(ids.tolist(), cosines.tolist(), strict=True))
    theirs = dict(zip(exact_ids.tolist(), exact_cos.tolist(), strict=True))
    assert mine == theirs  # the same passages, each cosine bit for bit
    assert view.punkt_cosines(query, [])[1].size == 0
    assert view.punkt_cosines(query, [10_000])[1].size == 0  # a punkt with no passages here
