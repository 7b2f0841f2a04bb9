"""Readers, one per input format, all returning a `Meeting`. The format is told by the content.

`read_bytes` is the one entry point: it sniffs PDF, JSON (FirstAgenda) or text, and turns every
file that is not a referat into a `NotAReferatError` that names the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from nlp.errors import NotAReferatError
from nlp.model import Meeting
from nlp.readers import firstagenda, referat_text
from nlp.readers.pdf import read_pdf

#: File endings a folder walk picks up; a file named explicitly is read whatever its name.
CANDIDATE_SUFFIXES = {".txt", ".md", ".markdown", ".pdf", ".json"}


def detect_format(data: bytes) -> str:
    """`pdf`, `json` or `text`; raises NotAReferatError for empty or binary content."""
    if not data.strip():
        raise NotAReferatError("filen er tom")
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if b"\x00" in data[:8192]:
        raise NotAReferatError("binær fil, ikke tekst, PDF eller JSON")
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    return "text"


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\x0c")
    if controls > 0.01 * min(len(text), 8192) + 2:
        raise NotAReferatError("binær fil, ikke tekst, PDF eller JSON")
    return text


def read_bytes(data: bytes, *, source: str = "") -> Meeting:
    name = source or "input"
    try:
        kind = detect_format(data)
    except NotAReferatError as exc:
        raise NotAReferatError(f"{name}: {exc}") from None
    if kind == "pdf":
        return read_pdf(data, source=name)
    text = _decode_or_raise(data, name)
    if kind == "json":
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NotAReferatError(f"{name}: ugyldig JSON ({exc.msg}, linje {exc.lineno})") from None
        return firstagenda.read_firstagenda(parsed, source=name)
    if not referat_text.looks_like(text):
        raise NotAReferatError(f"{name}: ligner ikke et referat (intet mødehoved og ingen 'Punkt N:'-overskrifter)")
    return referat_text.read_text(text, source=name)


def _decode_or_raise(data: bytes, name: str) -> str:
    try:
        return _decode(data)
    except NotAReferatError as exc:
        raise NotAReferatError(f"{name}: {exc}") from None


def read_path(path: str | Path) -> Meeting:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotAReferatError(f"{path}: kan ikke læses ({exc.strerror or exc})") from None
    return read_bytes(data, source=str(path))
