"""The archive in a home folder: the store, its search index and the models, opened once.

Everything above the index layer (CLI, HTTP, MCP) talks to an `Archive`; nothing there knows
how ranking or storage works.
"""

from __future__ import annotations

import os
import threading
import time
from functools import cached_property
from pathlib import Path

from index.ingest import IngestReport, ingest_paths
from index.search import Filters, Searcher, SearchResult
from index.search_index import SearchIndex
from index.store import Store


def resolve_home(home: str | Path | None = None) -> Path:
    """`--home`, else `$REFERAT_HOME`, else `./.referat`."""
    return Path(home or os.environ.get("REFERAT_HOME") or ".referat").resolve()


class Archive:
    def __init__(self, home: str | Path | None = None, *, embed_model: str | None = None) -> None:
        self.home = resolve_home(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.home / "referat.sqlite")
        self.embed_model = embed_model
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._searcher_generation: int | None = None

    @cached_property
    def embedder(self):
        from nlp.embedder import get_embedder

        return get_embedder(self.embed_model)

    def enricher(self):
        from nlp.pipeline import Enricher

        return Enricher(embedder=self.embedder)

    def ingest(self, paths, progress=None, enrich: bool = True, index_progress=None) -> IngestReport:
        report = ingest_paths(self.store, paths, self.enricher() if enrich else None, progress)
        started = time.perf_counter()
        self.searcher(index_progress)  # documents are searchable when ingest returns
        report.index_s += time.perf_counter() - started
        return report

    def searcher(self, progress=None) -> Searcher:
        """The searcher over the current store; rebuilt once when the store has changed."""
        with self._lock:
            generation = self.store.generation()
            if self._searcher is None or self._searcher_generation != generation:
                from index.vectors import set_threads

                set_threads()
                index = SearchIndex.open(self.store, self.embedder, self.home / "index", progress=progress)
                self._searcher = Searcher(index, self.embedder)
                self._searcher_generation = generation
            return self._searcher

    def search(self, query: str, *, limit: int = 10, offset: int = 0, filters: Filters | None = None) -> SearchResult:
        return self.searcher().search(query, limit=limit, offset=offset, filters=filters)

    def close(self) -> None:
        self.store.close()
