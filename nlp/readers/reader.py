"""What a reader is: the `Reader` record, the `Sniffed` file it is handed, the registry it is
found in (`readers`) and the two non-failures a file can be (`SkippedFile`, `PartOfExport`).

The readers (`acadre`, `edoc`, ...) import this module and nothing above it; the package's
`__init__` dispatches among them (`read_bytes`), so no reader imports the dispatcher.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import catalogue

from nlp.deadline import Deadline
from nlp.errors import NotAReferatError
from nlp.model import Meeting

#: Byte-order marks of UTF-16 and UTF-32: such a text has NULs in every other byte and is no
#: binary file (UTF-32 first: its little-endian mark starts with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: The registry. `catalogue` is spaCy's registry: entry points of the group `referat_readers`
#: are loaded on first use, each naming a `Reader`.
readers = catalogue.create("referat", "readers", entry_points=True)


class SkippedFile(NotAReferatError):
    """A file that is no meeting by design (a listing page of meetings, the folder's README): an
    ingest names it with this reason in its summary, and it is no failure."""


class PartOfExport(NotAReferatError):
    """A file that is not a meeting of its own but part of one read from another file (an index,
    a rendering, a per-punkt file). An ingest names it in its summary and does not count it as a
    failure when the file that stands for it is there."""


@dataclass
class Sniffed:
    """A file's bytes with what every reader asks first: its container and, for text, its text."""

    data: bytes
    source: str
    container: str  # pdf | docx | zip | xml | html | json | text

    @cached_property
    def text(self) -> str:
        return decode(self.data)

    @cached_property
    def head(self) -> str:
        """The first 64 KB of the text, for cheap sniffing."""
        return decode(self.data[:65536], strict=False) if self.container not in ("pdf", "docx", "zip") else ""

    @property
    def name(self) -> str:
        return Path(self.source).name if self.source else ""


@dataclass(frozen=True)
class Reader:
    """One format. `sniff` returns 0..1 (0: not mine); the highest reads the file."""

    name: str
    label: str  # what it reads, in Danish, for messages ("eDoc-mødeeksport (XML)")
    containers: tuple[str, ...]
    sniff: Callable[[Sniffed], float]
    read: Callable[[Sniffed, Deadline | None], Meeting]
    #: [(a file that must be beside it, the file names it then stands for)], bare names, lower case.
    parts: Callable[[Sniffed], list[tuple[str, list[str]]]] | None = field(default=None)


def bom_text(data: bytes) -> str | None:
    """The text of bytes that open with a UTF-16 or UTF-32 byte-order mark (the mark removed), else None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError:
                message = f"ugyldig {encoding.upper()}-tekst (byte-order mark, men fejl i teksten)"
                raise NotAReferatError(message) from None
    return None


def decode(data: bytes, *, strict: bool = True) -> str:
    """Text of a file: a byte-order mark decides, else UTF-8, else Windows-1252 (old Danish files)."""
    text = bom_text(data)
    if text is not None:
        return text
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace") if not strict else data.decode("cp1252", errors="replace")
    if strict:
        controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\x0c")
        if controls > 0.01 * min(len(text), 8192) + 2:
            raise NotAReferatError("binær fil, ikke tekst, PDF eller JSON")
    return text
