"""One writer per archive: ingests and reindexes into one home are serialised by a lock file.

`fcntl.flock` is released by the kernel when the process dies, so a killed ingest never leaves a
stale lock behind. A second writer fails at once with a clear message instead of waiting.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.operational import ArchiveLockedError


class ArchiveBusyError(ArchiveLockedError):
    """Another ingest or reindex writes in the home: the same exit status as a locked database (5)."""


@contextmanager
def ingest_lock(home: Path) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "ingest.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise ArchiveBusyError(
                f"en anden indlæsning skriver allerede i arkivet {home} (proces {holder}); vent til den er færdig"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
