"""Operational errors: the machine, not the input, refused (a full disk, a read-only home, a locked
database). Each becomes one typed error with a Danish line a user can act on and its own exit status
(README, "Exit status"), whether SQLite, the OS or FAISS noticed it first.

`translate` maps a raw `sqlite3` or `OSError` exception to one of these (None when it is no
operational error); the store, the index writer and the CLI's last-resort handler all go through it.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from nlp.errors import ReferatError


class OperationalError(ReferatError):
    """Writing or opening failed for a reason outside Referat; retrying after a fix works."""

    status_code = 503
    exit_status = 3


class DiskFullError(OperationalError):
    status_code = 507
    exit_status = 3


class ReadOnlyError(OperationalError):
    exit_status = 4


class ArchiveLockedError(OperationalError):
    status_code = 409
    exit_status = 5


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def translate(exc: BaseException, where: str | Path) -> OperationalError | None:
    """The operational error that `exc` means, naming `where` (a file or folder), or None."""
    detail = " ".join(str(exc).split())[:200]
    kind = _kind(exc)
    if kind == "io" and _nearly_full(where):  # SQLite says "disk I/O error" when the WAL or -shm cannot grow
        kind = "full"
    if kind == "full":
        return DiskFullError(
            f"der er ikke plads på disken til {where} ({detail}); intet er halvt skrevet: "
            "frigør plads og kør kommandoen igen"
        )
    if kind == "read-only":
        return ReadOnlyError(
            f"{where} kan ikke skrives ({detail}); er mappen skrivebeskyttet? Brug --home med en mappe, du kan skrive i"
        )
    if kind == "locked":
        return ArchiveLockedError(
            f"arkivet {where} er låst af en anden proces ({detail}); vent til den er færdig, og prøv igen"
        )
    if kind == "io":
        return OperationalError(f"skrivefejl ved {where} ({detail}); intet er halvt skrevet: ret fejlen og prøv igen")
    return None


def _nearly_full(where: str | Path) -> bool:
    path = Path(where)
    for folder in (path, *path.parents):
        if folder.is_dir():
            try:
                return shutil.disk_usage(folder).free < 4 << 20
            except OSError:
                return False
    return False


def _kind(exc: BaseException) -> str | None:
    if isinstance(exc, OSError):
        if exc.errno in _FULL:
            return "full"
        if exc.errno in _READ_ONLY:
            return "read-only"
        return "io" if exc.errno is not None else None
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        text = str(exc).lower()
        if primary == sqlite3.SQLITE_FULL or "disk is full" in text:
            return "full"
        if primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM) or "readonly" in text:
            return "read-only"
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
            return "locked"
        if primary == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
            return "io"
    return None
