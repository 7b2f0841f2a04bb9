"""Ingest: files -> meetings (nlp readers) -> enrichment and passage vectors (nlp) -> store.

Each file is read, enriched and written in one transaction (`index.writer`); a file that fails is
reported with its reason and the others still go in. Unchanged files (same path and content hash)
are skipped, so a second ingest of the same folder changes nothing. The vector index is brought
up to date once at the end (`Archive.ingest`), not per file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.store import Store, sha256_bytes
from index.writer import save_document
from nlp.deadline import Deadline
from nlp.enrichment import Enrichment, enrich_version
from nlp.errors import NotAReferatError, ReferatError
from nlp.model import Meeting
from nlp.readers import CANDIDATE_SUFFIXES, read_bytes
from nlp.settings import settings

log = logging.getLogger(__name__)

_UNKNOWN_COMMITTEES = {"", "ukendt udvalg"}


@dataclass
class IngestReport:
    files: int = 0
    unchanged: int = 0
    meetings: int = 0
    punkter: int = 0
    kept_unsearched: int = 0  # documents stored but superseded (a dagsorden after its referat)
    meeting_ids: set[str] = field(default_factory=set)  # the meetings the written documents belong to
    failures: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"read": 0.0, "enrich": 0.0, "store": 0.0, "index": 0.0})

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class Overrides:
    """What the user says about files that do not say it themselves."""

    municipality: str | None = None
    committee: str | None = None

    def apply(self, meeting: Meeting, source: str) -> None:
        if self.municipality:
            meeting.municipality = self.municipality
        if self.committee:
            meeting.committee = self.committee
        if not meeting.municipality.strip():
            raise NotAReferatError(f"{source}: kommunen står ikke i filen; angiv den med --municipality")
        if meeting.committee.strip().lower() in _UNKNOWN_COMMITTEES:
            raise NotAReferatError(f"{source}: udvalget står ikke i filen; angiv det med --committee")


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


def prepare(meeting: Meeting, enricher, embedder) -> dict[int, Enrichment]:
    """Enrichment and passage vectors of a meeting: the full NLP pipeline, or passages alone."""
    if enricher is not None:
        return enricher.enrich_meeting(meeting)
    from nlp.pipeline import embed_passages

    result: dict[int, Enrichment] = {}
    embed_passages(meeting, result, embedder)
    return result


def write_document(
    store: Store, path_key: str, sha256: str, meeting: Meeting, enrichments: dict[int, Enrichment], *, enriched: bool
):
    """The one writer: what a local ingest and a Ray worker's results both go through."""
    return save_document(
        store, meeting, enrichments, path=path_key, sha256=sha256, enrich_version=enrich_version() if enriched else None
    )


def ingest_paths(
    store: Store,
    paths: Iterable[str | Path],
    enricher=None,
    progress: Callable[[Path, int], None] | None = None,
    *,
    embedder=None,
    overrides: Overrides | None = None,
) -> IngestReport:
    files, missing = expand_paths(paths)
    report = IngestReport(failures=list(missing))
    overrides = overrides or Overrides()
    for path in files:
        report.files += 1
        before = report.punkter
        try:
            ingest_file(store, path, enricher, embedder, overrides, report)
        except ReferatError as exc:
            report.failures.append((str(path), str(exc).removeprefix(f"{path}: ")))
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the rest
            log.exception("unexpected failure on %s", path)
            report.failures.append((str(path), f"uventet fejl: {exc.__class__.__name__}: {exc}"))
        if progress:
            progress(path, report.punkter - before)
    return report


def ingest_file(store: Store, path: Path, enricher, embedder, overrides: Overrides, report: IngestReport) -> bool:
    """True if the store changed."""
    started = time.perf_counter()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAReferatError(f"{path}: kan ikke læses ({exc.strerror or exc})") from None
    key = str(path.resolve())
    digest = sha256_bytes(data)
    if store.document_hash(key) == digest:
        report.unchanged += 1
        return False
    deadline = Deadline(settings.file_time_limit_s)
    meeting = read_bytes(data, source=str(path), deadline=deadline)
    overrides.apply(meeting, str(path))
    read_done = time.perf_counter()
    enrichments = prepare(meeting, enricher, embedder)
    enriched = time.perf_counter()
    deadline.check("NLP og vektorer")  # a file that ran over its time is reported, not stored
    saved = write_document(store, key, digest, meeting, enrichments, enriched=enricher is not None)
    report.timings["read"] += read_done - started
    report.timings["enrich"] += enriched - read_done
    report.timings["store"] += time.perf_counter() - enriched
    report.meetings += 1
    report.meeting_ids.add(saved.meeting_id)
    report.punkter += len(meeting.punkter)
    if not saved.document_active:
        report.kept_unsearched += 1
    return True
