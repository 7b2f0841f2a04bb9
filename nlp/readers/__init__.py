"""Readers, one per publication format, all returning a `Meeting`; found through a registry.

A reader is a `Reader`: a name, a `sniff` (how sure it is that a file is its kind, from the
content, 0 when not) and a `read`. Referat's own are registered in `nlp/readers/builtin.py`; a
third party registers one under the `referat_readers` entry-point group (or calls
`readers.register`) without editing Referat. `read_bytes` is the one entry point: the file's
container (PDF, DOCX, XML, HTML, JSON, text) is told by its content, the most certain reader reads
it, and every file that is not minutes becomes a `NotAReferatError` that says what was recognised
and what was missing, in Danish.

A structured export can stand for other files beside it (eDoc's meeting XML for its per-punkt
PDFs, Acadre's index for its DOCX): a reader's `parts` names them, so that an ingest reads the
meeting once and names the others as parts of it (`index.ingest`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from nlp.deadline import Deadline
from nlp.errors import NotAReferatError, ReferatError
from nlp.model import Meeting
from nlp.readers.reader import PartOfExport, Reader, SkippedFile, Sniffed, bom_text, decode, readers

__all__ = ["PartOfExport", "Reader", "SkippedFile", "Sniffed", "decode", "readers"]

log = logging.getLogger(__name__)


def all_readers() -> list[Reader]:
    from nlp.readers import builtin  # noqa: F401 - registers Referat's own readers

    return list(readers.get_all().values())


def container_of(data: bytes) -> str:
    """`pdf`, `docx`, `zip`, `xml`, `html`, `json` or `text`; raises NotAReferatError for empty or
    binary content (an image, an executable, a Word 97 file)."""
    if not data.strip():
        raise NotAReferatError("filen er tom")
    stripped = data.lstrip()
    if stripped[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        head = data[:65536]
        return "docx" if b"word/" in head or b"[Content_Types].xml" in head and b"word" in data[-65536:] else "zip"
    text = bom_text(data)
    if text is not None:
        return _text_container(text.lstrip("\ufeff \t\r\n")[:4096])
    head = data[:8192]
    if head.count(b"\x00") > 2 + len(head) // 100:  # a stray NUL in a text is stripped, not fatal
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise NotAReferatError("et gammelt Office-dokument (.doc/.xls); gem det som DOCX eller PDF")
        raise NotAReferatError("binær fil, ikke tekst, PDF, DOCX, HTML, XML eller JSON")
    return _text_container(stripped[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n"))


def _text_container(head: str) -> str:
    if head[:1] in ("{", "["):
        return "json"
    if head[:1] == "<":
        low = head.lower()
        if "<html" in low or "<!doctype html" in low or "<body" in low:
            return "html"
        return "xml"
    return "text"


def detect_format(data: bytes) -> str:
    """`pdf`, `json` or `text` for the formats of old; the container for the new ones."""
    return container_of(data)


_NOT_READ = {
    "pdf": "PDF, men hverken et referat eller en dagsorden (intet mødehoved og ingen nummererede punkter)",
    "docx": "Word-dokument, men hverken et referat eller en dagsorden (intet mødehoved og ingen nummererede punkter)",
    "zip": "ZIP-arkiv, ikke et referat; pak det ud og læs filerne i det",
    "xml": "XML, men ikke et kendt mødeformat (eDoc, Acadre, eDoc Fujitsu)",
    "html": "HTML-side, men ingen mødeside (intet mødehoved og ingen nummererede punkter)",
    "json": "JSON, men ikke en FirstAgenda-dagsorden (mangler 'Dagsordenpunkter'/'Moede')",
    "text": "ligner ikke et referat (intet mødehoved og ingen 'Punkt N:'-overskrifter eller nummererede punkter)",
}


def sniff(data: bytes, source: str = "") -> tuple[Sniffed, Reader | None]:
    """The file's container and the reader most sure it is its kind (None when none is)."""
    sniffed = Sniffed(data, source, container_of(data))
    if sniffed.container in ("text", "json", "xml", "html"):
        sniffed.text  # noqa: B018 - decoding refuses a binary file before any reader sees it
    best: tuple[float, Reader] | None = None
    for reader in all_readers():
        if sniffed.container not in reader.containers:
            continue
        try:
            score = float(reader.sniff(sniffed))
        except ReferatError:
            raise
        except Exception:  # noqa: BLE001 - a reader's sniff bug must not hide the other readers
            log.info("%s: sniff af %s fejlede", source, reader.name, exc_info=True)
            continue
        if score > 0 and (best is None or score > best[0]):
            best = (score, reader)
    return sniffed, best[1] if best else None


def read_bytes(data: bytes, *, source: str = "", deadline: Deadline | None = None) -> Meeting:
    """The meeting in a file's bytes, or a `ReferatError` (never any other exception) saying why not."""
    name = source or "input"
    try:
        return _read(data, name, deadline)
    except ReferatError:
        raise
    except RecursionError:
        raise NotAReferatError(f"{name}: dokumentet er for dybt indlejret til at blive læst") from None
    except MemoryError:
        raise NotAReferatError(f"{name}: filen er for stor til at blive læst") from None
    except Exception as exc:  # a reader bug must end this file, not the ingest of the rest
        log.info("%s: uventet fejl i læseren", name, exc_info=True)
        raise NotAReferatError(f"{name}: kunne ikke læses ({exc.__class__.__name__}: {str(exc)[:200]})") from None


def _read(data: bytes, name: str, deadline: Deadline | None) -> Meeting:
    try:
        sniffed, reader = sniff(data, name)
    except NotAReferatError as exc:
        raise NotAReferatError(f"{name}: {exc}") from None
    if reader is None:
        raise NotAReferatError(f"{name}: {_NOT_READ[sniffed.container]}")
    try:
        return reader.read(sniffed, deadline)
    except ReferatError as exc:
        message = str(exc)
        if message.startswith(f"{name}: ") or message.startswith(name):
            raise
        raise type(exc)(f"{name}: {message}") from None


def parts_of(data: bytes, source: str) -> list[tuple[str, list[str]]]:
    """[(a file that must be beside it, the files it then stands for)] when `data` is an export
    whose meeting covers other files; [] otherwise. Never raises for a file that is not one."""
    try:
        sniffed, reader = sniff(data, source)
        if reader is None or reader.parts is None:
            return []
        return reader.parts(sniffed)
    except Exception:  # noqa: BLE001 - a file that cannot be sniffed is reported when it is read
        return []


def read_path(path: str | Path, *, deadline: Deadline | None = None) -> Meeting:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAReferatError(f"{path}: kan ikke læses ({exc.strerror or exc})") from None
    return read_bytes(data, source=str(path), deadline=deadline)
