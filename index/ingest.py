"""Ingest: files -> meetings (nlp readers) -> enrichment (nlp pipeline) -> store, one file at a time.

Each file is read, enriched and written in one transaction; a file that fails is reported with
its reason and the others still go in. Unchanged files (same path and content hash) are skipped,
so a second ingest of the same folder changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

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
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


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
    progress: Callable[[Path], None] | None = None,
) -> IngestReport:
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
            progress(path)
    if changed:
        store.replace_links(compute_links(store))
    return report


def ingest_file(store: Store, path: Path, enricher, report: IngestReport) -> bool:
    """True if the store changed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAReferatError(f"{path}: kan ikke læses ({exc.strerror or exc})") from None
    key = str(path.resolve())
    digest = sha256_bytes(data)
    if store.file_hash(key) == digest:
        report.unchanged += 1
        return False
    meeting = read_bytes(data, source=str(path))
    enrichments = enricher.enrich_meeting(meeting) if enricher is not None else {}
    store.save_meeting(meeting, enrichments, path=key, sha256=digest)
    report.meetings += 1
    report.punkter += len(meeting.punkter)
    return True
