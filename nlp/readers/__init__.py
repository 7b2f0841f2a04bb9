"""Readers, one per input format, all returning a `Meeting`. The format is told by the content.

`read_bytes` is the one entry point: it sniffs PDF, JSON (FirstAgenda) or text, and turns every
file that is not a referat into a `NotAReferatError` that names the reason.
"""

from __future__ import annotations

import codecs
import json
import logging
from pathlib import Path

from nlp.deadline import Deadline
from nlp.errors import NotAReferatError, ReferatError
from nlp.model import Meeting
from nlp.readers import firstagenda, referat_text
from nlp.readers.pdf import read_pdf
from nlp.text import sanitise

#: Byte-order marks of UTF-16 and UTF-32: such a text has NULs in every other byte and is no
#: binary file (UTF-32 first: its little-endian mark starts with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: File endings a folder walk picks up; a file named explicitly is read whatever its name.
CANDIDATE_SUFFIXES = {".txt", ".md", ".markdown", ".pdf", ".json"}
log = logging.getLogger(__name__)


def detect_format(data: bytes) -> str:
    """`pdf`, `json` or `text`; raises NotAReferatError for empty or binary content."""
    if not data.strip():
        raise NotAReferatError("filen er tom")
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _decode_bom(data, encoding)
            head = text.lstrip("\ufeff \t\r\n")[:1]
            return "json" if head in ("{", "[") else "text"
    head = data[:8192]
    if head.count(b"\x00") > 2 + len(head) // 100:  # a stray NUL in a text is stripped, not fatal
        raise NotAReferatError("binær fil, ikke tekst, PDF eller JSON")
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    return "text"


def _decode_bom(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise NotAReferatError(f"ugyldig {encoding.upper()}-tekst (byte-order mark, men fejl i teksten)") from None


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_bom(data, encoding).lstrip("\ufeff")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\x0c")
    if controls > 0.01 * min(len(text), 8192) + 2:
        raise NotAReferatError("binær fil, ikke tekst, PDF eller JSON")
    return text


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
        kind = detect_format(data)
    except NotAReferatError as exc:
        raise NotAReferatError(f"{name}: {exc}") from None
    if kind == "pdf":
        return read_pdf(data, source=name, deadline=deadline)
    text = _decode_or_raise(data, name)
    if kind == "json":
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NotAReferatError(f"{name}: ugyldig JSON ({exc.msg}, linje {exc.lineno})") from None
        except RecursionError:
            raise NotAReferatError(f"{name}: JSON'en er for dybt indlejret") from None
        return firstagenda.read_firstagenda(parsed, source=name, deadline=deadline)
    text = sanitise(text)
    if not referat_text.looks_like(text):
        raise NotAReferatError(f"{name}: ligner ikke et referat (intet mødehoved og ingen 'Punkt N:'-overskrifter)")
    return referat_text.read_text(text, source=name, deadline=deadline)


def _decode_or_raise(data: bytes, name: str) -> str:
    try:
        return _decode(data)
    except NotAReferatError as exc:
        raise NotAReferatError(f"{name}: {exc}") from None


def read_path(path: str | Path, *, deadline: Deadline | None = None) -> Meeting:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAReferatError(f"{path}: kan ikke læses ({exc.strerror or exc})") from None
    return read_bytes(data, source=str(path), deadline=deadline)
