"""Ingest: files -> meetings (nlp readers) -> enrichment (nlp pipeline) -> store, one file at a time.

Each file is read, enriched and written in one transaction; a file that fails is reported with
its reason and the others still go in. Unchanged files (same path and content hash) are skipped,
so a second ingest of the same folder changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.links import compute_links
from index.store import Store, sha256_bytes
from nlp.errors import NotAReferatError, ReferatError
from nlp.readers import CANDIDATE_SUFFIXES, read_bytes

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    files: int = 0
    unchanged: int = 0
    meetings: int = 0
    punkter: int = 0
    passages: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: Seconds spent per stage: reading files into meetings, NLP (without the encoder pass),
    #: embedding passages (the encoder pass), writing to the store, building the search index.
    read_s: float = 0.0
    enrich_s: float = 0.0
    embed_s: float = 0.0
    store_s: float = 0.0
    index_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def add_timings(self, timings: dict[str, float]) -> None:
        for name, seconds in timings.items():
            setattr(self, name, getattr(self, name) + seconds)

    def timing_line(self) -> str:
        return (
            f"læsning={self.read_s:.1f}s nlp={self.enrich_s:.1f}s embedding={self.embed_s:.1f}s "
            f"lager={self.store_s:.1f}s indeks={self.index_s:.1f}s"
        )


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files named, plus candidate files found in folders (sorted); missing paths are failures."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CANDIDATE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            missing.append((str(path), "filen eller mappen findes ikke"))
    return files, missing


def ingest_paths(
    store: Store,
    paths: Iterable[str | Path],
    enricher=None,
    progress: Callable[[Path, IngestReport], None] | None = None,
) -> IngestReport:
    """`progress(path, report)` is called after each file, with the report so far."""
    files, missing = expand_paths(paths)
    report = IngestReport(failures=list(missing))
    changed = False
    for path in files:
        report.files += 1
        try:
            did = ingest_file(store, path, enricher, report)
            changed = changed or did
        except ReferatError as exc:
            report.failures.append((str(path), str(exc).removeprefix(f"{path}: ")))
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the rest
            log.exception("unexpected failure on %s", path)
            report.failures.append((str(path), f"uventet fejl: {exc.__class__.__name__}: {exc}"))
        if progress:
            progress(path, report)
    if changed:
        store.replace_links(compute_links(store))
    return report


def read_file(path: Path) -> tuple[str, bytes, str]:
    """(path key, content, sha256) of a file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAReferatError(f"{path}: kan ikke læses ({exc.strerror or exc})") from None
    return str(path.resolve()), data, sha256_bytes(data)


def process_document(path_key: str, sha256: str, data: bytes, source: str, enricher, timings: dict[str, float]):
    """Read and enrich one file's content: `(path_key, sha256, Meeting, {punkt number: Enrichment})`.

    Needs no store, so it runs anywhere (`index.cluster` runs it on Ray workers); `timings` gets
    the seconds spent reading, enriching and embedding added to it."""
    started = time.perf_counter()
    meeting = read_bytes(data, source=source)
    read = time.perf_counter() - started
    timings["read_s"] = timings.get("read_s", 0.0) + read
    enrichments = {}
    if enricher is not None:
        embed_before = enricher.timings.get("embed_s", 0.0)
        started = time.perf_counter()
        enrichments = enricher.enrich_meeting(meeting)
        embed = enricher.timings.get("embed_s", 0.0) - embed_before
        timings["embed_s"] = timings.get("embed_s", 0.0) + embed
        timings["enrich_s"] = timings.get("enrich_s", 0.0) + time.perf_counter() - started - embed
    return path_key, sha256, meeting, enrichments


def write_document(store: Store, path_key: str, sha256: str, meeting, enrichments, *, vector_model: str | None = None):
    """The one writer: put a read and enriched file into the store (replacing what it held before).

    With `vector_model`, the passages' vectors also fill the store's vector cache, so the search
    index does not encode them again."""
    store.save_meeting(meeting, enrichments, path=path_key, sha256=sha256)
    if vector_model:
        items = []
        for tags in enrichments.values():
            if tags.vectors is None:
                continue
            for passage, vector in zip(tags.passages, tags.vectors, strict=True):
                sha = hashlib.sha1(passage.embed_text.encode()).hexdigest()
                items.append((sha, np.asarray(vector, dtype=np.float32).tobytes()))
        if items:
            store.cache_vectors(vector_model, items)


def ingest_file(store: Store, path: Path, enricher, report: IngestReport) -> bool:
    """True if the store changed."""
    key, data, digest = read_file(path)
    if store.file_hash(key) == digest:
        report.unchanged += 1
        return False
    timings: dict[str, float] = {}
    _, _, meeting, enrichments = process_document(key, digest, data, str(path), enricher, timings)
    started = time.perf_counter()
    model = getattr(getattr(enricher, "embedder", None), "name", None)
    write_document(store, key, digest, meeting, enrichments, vector_model=model)
    timings["store_s"] = time.perf_counter() - started
    report.add_timings(timings)
    report.meetings += 1
    report.punkter += len(meeting.punkter)
    report.passages += sum(len(e.passages) for e in enrichments.values())
    return True
