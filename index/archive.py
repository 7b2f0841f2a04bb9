"""The archive in a home folder: the store, its vector index generations and the models, opened once.

Everything above the index layer (CLI, HTTP, MCP) talks to an `Archive`; nothing there knows
how ranking or storage works. Writers (ingest, reindex) hold the home's ingest lock; readers never
wait for it: `searcher()` picks up a new index generation between requests, loading it beside
the one in use and switching in one assignment.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from index import generations
from index.filters import Filters
from index.locks import ingest_lock
from index.operational import OperationalError
from index.search import Searcher, SearchResult
from index.store import Store, read_meta, write_meta
from nlp.errors import ArchiveMissingError
from nlp.settings import check as check_settings
from nlp.settings import settings

if TYPE_CHECKING:  # ingest pulls in the NLP pipeline (spaCy, torch): read commands never import it
    from index.ingest import IngestReport


def resolve_home(home: str | Path | None = None) -> Path:
    """`--home`, else `$REFERAT_HOME`, else `./.referat`."""
    return Path(home or os.environ.get("REFERAT_HOME") or ".referat").resolve()


class Archive:
    def __init__(
        self,
        home: str | Path | None = None,
        *,
        embed_model: str | None = None,
        create: bool = True,
        store_url: str | None = None,
    ) -> None:
        check_settings()  # a REFERAT_… value that could not be read stops here, in one line
        self.home = resolve_home(home)
        if not create and not (self.home / "referat.sqlite").is_file():  # a mistyped --home makes nothing
            raise ArchiveMissingError(f"arkivet findes ikke: {self.home}; kør 'referat ingest' først")
        self.home.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.home / "referat.sqlite")
        self.embed_model = embed_model
        self._load_lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._loaded_for: str | None = None  # the `CURRENT` the searcher was loaded for
        #: A PostgreSQL store (`--store`, `REFERAT_STORE`) search reads instead of the home's FAISS
        #: generations (answers come from its passages too); the home still holds the documents pages show.
        self.store_url = store_url or (settings.store or None)

    @property
    def index_root(self) -> Path:
        return self.home / "index"

    @cached_property
    def embedder(self):
        from nlp.embedder import get_embedder

        return get_embedder(self.embed_model)

    def enricher(self):
        from nlp.pipeline import Enricher

        return Enricher(embedder=self.embedder)

    # -- writing ----------------------------------------------------------------------------

    def ingest(
        self,
        paths,
        progress: Callable | None = None,
        enrich: bool = True,
        index_progress=None,
        *,
        municipality: str | None = None,
        committee: str | None = None,
    ) -> IngestReport:
        """Read files into the store and bring the index up to date: searchable when this returns."""
        from index.ingest import Overrides, ingest_paths

        with ingest_lock(self.home):
            self._check_model()
            try:
                report = ingest_paths(
                    self.store,
                    paths,
                    self.enricher() if enrich else None,
                    progress,
                    embedder=self.embedder,
                    overrides=Overrides(municipality, committee),
                )
            except OperationalError:
                with suppress(OperationalError):  # what went in before the failure is searchable if it can be
                    self.refresh_index(progress=index_progress)
                raise
            started = time.perf_counter()
            self.refresh_index(progress=index_progress)
            report.index_s += time.perf_counter() - started
        return report

    def _check_model(self) -> None:
        """The passages' vectors must all come from one model: the store remembers which."""
        from index.store import StoreError

        wanted = self.embedder.name
        with self.store.transaction() as db:
            stored = read_meta(db, "embed_model")
            if stored is None:
                write_meta(db, "embed_model", wanted)
            elif stored != wanted:
                raise StoreError(
                    f"arkivets vektorer er lavet med modellen '{stored}', ikke '{wanted}'; "
                    "kør 'referat reindex --embed' for at beregne dem med den nye model"
                )

    def refresh_index(self, *, rebuild: bool = False, progress=None) -> generations.Manifest:
        """Write a new index generation if the store has changed since the current one."""
        return generations.update(
            self.store,
            self.index_root,
            model=self.embedder.name,
            dim=self.embedder.dim,
            rebuild=rebuild,
            progress=progress,
        )

    # -- reading ----------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """A searcher over the current generation; a newer generation is loaded once, then used.
        A damaged generation is replaced by the last good one, caught up with the store
        (`generations.load`); with none, `IndexDamagedError` says to run `referat reindex`."""
        if self.store_url:
            return self._pg_searcher()
        current = generations.current_name(self.index_root)
        searcher = self._searcher
        if searcher is not None and self._loaded_for == current:
            return searcher
        if not self._load_lock.acquire(blocking=searcher is None):
            return searcher  # another request is loading the new generation; keep answering with this one
        try:
            if self._searcher is None or self._loaded_for != current:
                from index.vectors import set_threads

                set_threads()
                loaded = generations.load(self.index_root, current, store=self.store)
                manifest, view = loaded if loaded else (None, None)
                searcher = Searcher(self.store, self.embedder, view, manifest.name if manifest else None)
                searcher.ranker.check_encoder(self.store.meta("embed_model"))
                self._searcher = searcher
                self._loaded_for = current
            return self._searcher
        finally:
            self._load_lock.release()

    def _pg_searcher(self) -> Searcher:
        """The Postgres searcher, made once: its readers keep one connection per thread (MVCC, no generations)."""
        with self._load_lock:
            if self._searcher is None:
                from index.pgsearch import PgSearcher, PgSearchStore, store_url

                searcher = PgSearcher(PgSearchStore(store_url(self.store_url)), self.embedder)
                searcher.ranker.check_encoder(self.store.meta("embed_model"))
                self._searcher = searcher
            return self._searcher

    def stats(self) -> dict:
        """What the archive holds and which index generation answers: for /health and the CLI."""
        searcher = self.searcher()
        db = self.store.db
        view = searcher.view
        return {
            "meetings": db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0],
            "documents": db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
            "punkter": db.execute("SELECT COUNT(*) FROM punkter").fetchone()[0],
            "passages": view.size if view else self._pg_passages() if self.store_url else 0,
            "model": self.store.meta("embed_model"),
            "generation": searcher.generation,
            "index": view.kind if view else "pgvector-hnsw" if self.store_url else None,
        }

    def _pg_passages(self) -> int:
        with self.searcher().store.snapshot() as db:
            return int(db.native("SELECT count(*) FROM passages").fetchone()[0])

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        offset: int = 0,
        filters: Filters | None = None,
        sort: str | None = "relevance",
    ) -> SearchResult:
        return self.searcher().search(query, limit=limit, offset=offset, filters=filters, sort=sort)

    def close(self) -> None:
        self.store.close()
