"""Tuned constants and environment overrides, in one place.

Every number that was chosen by measurement (a threshold, a weight, a budget) lives here with a
line saying why, so that a newcomer finds them together and a deployment can override them by
environment variable (`REFERAT_<FIELD>` in upper case) without touching code. Modules read
`settings.<field>`; tests may build their own `Settings(...)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Settings:
    # -- ingest ---------------------------------------------------------------------------------
    #: Seconds one file may take (read, enrich, embed) before it is reported as failed.
    file_time_limit_s: float = 300.0
    #: Threads for the encoder and FAISS builds: the machine's cores, never one core of two.
    threads: int = field(default_factory=_cpu_count)

    # -- passages -------------------------------------------------------------------------------
    #: A passage is a few sentences: long enough to carry a topic, short enough for e5's window.
    passage_max_words: int = 110
    passage_min_words: int = 25

    # -- vector index ---------------------------------------------------------------------------
    #: Above this many vectors the base segment is an HNSW graph, below it exact search.
    hnsw_threshold: int = 100_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 128
    #: A filter that leaves at most this many passages is searched exactly over the subset.
    exact_subset_limit: int = 60_000
    #: The delta segment (vectors added since the base was built) is merged into a new base
    #: when it grows past this share of the base (Lucene's segment merge, in one step).
    merge_ratio: float = 0.25
    #: Threads per query when serving: many small queries, one thread each.
    serve_threads: int = 1

    # -- search ---------------------------------------------------------------------------------
    max_query_chars: int = 500
    max_limit: int = 100
    #: Passages fetched from FAISS per query (before aggregation per punkt).
    dense_k: int = 600

    # -- tags (entities, amounts) -----------------------------------------------------------------
    #: Entities below this confidence are kept as candidates, not shown: chosen for precision >= 0.90
    #: on the hand-annotated minutes (tests/fixtures/minutes-gold, development half; bench/ner.py
    #: --minutes --sweep: 0.5 -> P 0.906 R 0.773, 0.6 -> P 0.921 R 0.773, 0.8 -> P 0.933 R 0.747).
    entity_min_confidence: float = 0.6
    #: Amounts below this confidence are candidates (a count whose noun may not be counted, a bare
    #: number in a table): chosen for money precision >= 0.97 on the same gold (bench/amounts.py).
    amount_min_confidence: float = 0.5

    #: A theme is returned when its combined score clears this (bench/themes.py, tuned on the
    #: development half of tests/fixtures/themes-gold.json: 0.42 -> 0.60).
    theme_min_score: float = 0.6
    #: ... and is at least this share of the best theme's score (a far second is a shared word).
    theme_relative_score: float = 0.8
    #: At most this many themes per punkt.
    theme_max_count: int = 4

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults, overridden by `REFERAT_<NAME>` environment variables."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"REFERAT_{f.name.upper()}")
            if raw is None:
                continue
            kind = type(getattr(cls(), f.name))
            values[f.name] = kind(raw)
        return cls(**values)


settings = Settings.from_env()
