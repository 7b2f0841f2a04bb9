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
import re
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
from nlp.readers import SkippedFile, parts_of, read_bytes
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
    #: Files found and not read, each with its reason (part of an export read from another file,
    #: the folder's own documentation, a listing page): named in the summary, no failure.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Files handed to another Ray worker because theirs died under them (`index.cluster`).
    retried: int = 0
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


#: A folder's own documentation: named in the summary as such, never read as minutes.
_DOCUMENTATION = re.compile(
    r"^(?:readme|source|sources|license|licence|notice|copying|changelog|authors)(?:\.\w{1,8})?$", re.I
)
#: Files larger than this are not opened to see whether they are an export standing for others.
_MAX_EXPORT_BYTES = 50_000_000


@dataclass
class Discovery:
    """What a list of paths holds: files to read, paths that do not exist, files named and not read."""

    files: list[Path] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def discover(paths: Iterable[str | Path] | Discovery) -> Discovery:
    """Every file under the folders (sorted) and every file named; nothing is left out silently.
    A `Discovery` is returned as it is: a caller that counted the files first (the CLI's progress
    bar) hands its discovery on, and the folders are not walked twice.

    Left out, with the reason: hidden files (`.git`, `.DS_Store`), a folder's documentation
    (README, SOURCE, LICENSE), and files that an export beside them stands for (eDoc's per-punkt
    PDFs beside its meeting XML, Acadre's index and DOCX beside its agenda XML, eDoc Fujitsu's
    HTML beside its XML): the meeting is read once, from the export."""
    if isinstance(paths, Discovery):
        return paths
    found = Discovery()
    candidates: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if not p.is_file():
                    continue
                hidden = any(part.startswith(".") for part in p.relative_to(path).parts)
                if hidden:
                    found.skipped.append((str(p), "skjult fil, ikke læst"))
                elif _DOCUMENTATION.match(p.name):
                    found.skipped.append((str(p), "mappens dokumentation (README/SOURCE/LICENSE), ikke et referat"))
                else:
                    candidates.append(p)
        elif path.is_file():
            candidates.append(path)
        else:
            found.missing.append((str(path), "filen eller mappen findes ikke"))
    covered = _covered_by_exports(candidates)
    for p in candidates:
        if p in covered:
            found.skipped.append((str(p), covered[p]))
        else:
            found.files.append(p)
    return found


def _covered_by_exports(files: list[Path]) -> dict[Path, str]:
    """File -> reason, for files that an export in the same folder stands for."""
    by_folder: dict[Path, dict[str, Path]] = {}
    for p in files:
        by_folder.setdefault(p.parent, {})[p.name.lower()] = p
    covered: dict[Path, str] = {}
    for p in files:
        try:
            if p.stat().st_size > _MAX_EXPORT_BYTES:
                continue
            with p.open("rb") as handle:
                head = handle.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
                if head[:1] != b"<":
                    continue
                data = head + handle.read()
        except OSError:
            continue  # reported when the file is read
        names = by_folder[p.parent]
        for primary, parts in parts_of(data, str(p)):
            export = names.get(primary)
            if export is None:
                continue
            for name in parts:
                part = names.get(name)
                if part is not None and part != export:
                    covered[part] = f"del af mødet i {export.name}, som læses i stedet"
    return covered


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
    paths: Iterable[str | Path] | Discovery,
    enricher=None,
    progress: Callable[[Path, IngestReport], None] | None = None,
    *,
    embedder=None,
    overrides: Overrides | None = None,
) -> IngestReport:
    """`progress(path, report)` is called after each file, with the report so far."""
    found = discover(paths)
    report = IngestReport(failures=list(found.missing), skipped=list(found.skipped))
    for path in found.files:
        report.files += 1
        try:
            ingest_file(store, path, enricher, embedder, overrides or Overrides(), report)
        except OperationalError:
            raise  # a full disk or a locked store stops the ingest: the next file would fail the same way
        except SkippedFile as exc:
            report.skipped.append((str(path), str(exc).removeprefix(f"{path}: ")))
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
