"""Ingest: files -> meetings (nlp readers) -> enrichment and passage vectors (nlp) -> store.

Each file is read, enriched and written in one transaction (`index.writer`); a file that fails is
reported with its reason and the others still go in. Unchanged files (same path and content hash)
are skipped, so a second ingest of the same folder changes nothing. Reading and enriching need no
store (`process_document`), so a Ray worker can do them (`index.cluster`); writing goes through one
function (`write_document`) whoever did the work. The vector index is brought up to date once at
the end (`Archive.ingest`), not per file.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.operational import OperationalError, translate
from index.store import Store, sha256_bytes
from index.writer import Saved, save_document
from nlp.committees import canonical_committee
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
    meetings: int = 0  # documents written
    punkter: int = 0
    passages: int = 0
    kept_unsearched: int = 0  # documents stored but superseded (a dagsorden after its referat)
    meeting_ids: set[str] = field(default_factory=set)  # the meetings the written documents belong to
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: Seconds spent per stage: reading files into meetings, NLP (without the encoder pass),
    #: embedding passages (the encoder pass), writing to the store, updating the vector index.
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

    def count(self, saved: Saved, meeting: Meeting, enrichments: dict[int, Enrichment]) -> None:
        self.meetings += 1
        self.meeting_ids.add(saved.meeting_id)
        self.punkter += len(meeting.punkter)
        self.passages += sum(len(e.passages) for e in enrichments.values())
        if not saved.document_active:
            self.kept_unsearched += 1


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
        # One committee, one name: "Byråd 2022-2025" and "Byrådet" are the same body.
        meeting.committee, period = canonical_committee(meeting.committee)
        meeting.period = meeting.period or period
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


def read_file(path: Path) -> tuple[str, bytes, str]:
    """(path key, content, sha256) of a file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAReferatError(f"{path}: kan ikke læses ({exc.strerror or exc})") from None
    return str(path.resolve()), data, sha256_bytes(data)


def process_document(
    data: bytes,
    source: str,
    enricher,
    embedder,
    timings: dict[str, float],
    overrides: Overrides | None = None,
) -> tuple[Meeting, dict[int, Enrichment]]:
    """Read and enrich one file's content, with its passages' vectors. Needs no store, so it runs
    anywhere (`index.cluster` runs it on Ray workers); adds the seconds per stage to `timings`.
    Gives up with `FileTimeoutError` past `settings.file_time_limit_s`."""
    deadline = Deadline(settings.file_time_limit_s)
    started = time.perf_counter()
    meeting = read_bytes(data, source=source, deadline=deadline)
    (overrides or Overrides()).apply(meeting, source)
    timings["read_s"] = timings.get("read_s", 0.0) + time.perf_counter() - started
    started = time.perf_counter()
    if enricher is not None:
        embed_before = enricher.timings.get("embed_s", 0.0)
        enrichments = enricher.enrich_meeting(meeting)
        embed = enricher.timings.get("embed_s", 0.0) - embed_before
    else:
        from nlp.pipeline import embed_passages

        enrichments = {}
        embed_passages(meeting, enrichments, embedder)
        embed = time.perf_counter() - started
    timings["embed_s"] = timings.get("embed_s", 0.0) + embed
    timings["enrich_s"] = timings.get("enrich_s", 0.0) + time.perf_counter() - started - embed
    deadline.check("NLP og vektorer")  # a file that ran over its time is reported, not stored
    return meeting, enrichments


def write_document(
    store: Store, path_key: str, sha256: str, meeting: Meeting, enrichments: dict[int, Enrichment], *, enriched: bool
) -> Saved:
    """The one writer: what a local ingest and a Ray worker's results both go through."""
    return save_document(
        store, meeting, enrichments, path=path_key, sha256=sha256, enrich_version=enrich_version() if enriched else None
    )


def ingest_paths(
    store: Store,
    paths: Iterable[str | Path],
    enricher=None,
    progress: Callable[[Path, IngestReport], None] | None = None,
    *,
    embedder=None,
    overrides: Overrides | None = None,
) -> IngestReport:
    """`progress(path, report)` is called after each file, with the report so far."""
    files, missing = expand_paths(paths)
    report = IngestReport(failures=list(missing))
    for path in files:
        report.files += 1
        try:
            ingest_file(store, path, enricher, embedder, overrides or Overrides(), report)
        except OperationalError:
            raise  # a full disk or a locked store stops the ingest: the next file would fail the same way
        except ReferatError as exc:
            report.failures.append((str(path), str(exc).removeprefix(f"{path}: ")))
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the rest
            if isinstance(exc, sqlite3.Error) and (typed := translate(exc, store.path)):
                raise typed from None
            log.exception("unexpected failure on %s", path)
            report.failures.append((str(path), f"uventet fejl: {exc.__class__.__name__}: {exc}"))
        if progress:
            progress(path, report)
    return report


def ingest_file(store: Store, path: Path, enricher, embedder, overrides: Overrides, report: IngestReport) -> bool:
    """True if the store changed."""
    key, data, digest = read_file(path)
    if store.document_hash(key) == digest:
        report.unchanged += 1
        return False
    timings: dict[str, float] = {}
    meeting, enrichments = process_document(data, str(path), enricher, embedder, timings, overrides)
    started = time.perf_counter()
    saved = write_document(store, key, digest, meeting, enrichments, enriched=enricher is not None)
    timings["store_s"] = time.perf_counter() - started
    report.add_timings(timings)
    report.count(saved, meeting, enrichments)
    return True
