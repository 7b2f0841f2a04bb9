"""Referater as PDF: the text (for the Odense/FirstAgenda `Punkt N:` layout, read by the text
reader) or the layout, one block per line with font size and weight (for every other layout, read
by the minutes recogniser). pypdf does both; no other PDF library is needed."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Meeting
from nlp.readers.blocks import Block
from nlp.readers.referat_text import read_text
from nlp.text import clean_inline, sanitise

log = logging.getLogger(__name__)


def pdf_to_text(data: bytes, *, source: str = "", deadline: Deadline | None = None) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            check(deadline, f"PDF-side {number}")
            pages.append(page.extract_text() or "")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise NotAReferatError(
            f"{source or 'PDF'}: PDF-filen kan ikke læses ({exc.__class__.__name__}: {exc})"
        ) from exc
    text = sanitise("\n".join(pages))
    if not text.strip():
        raise NotAReferatError(f"{source or 'PDF'}: PDF-filen har ingen tekst (skannet uden OCR?)")
    return text


def read_pdf(data: bytes, *, source: str = "", deadline: Deadline | None = None) -> Meeting:
    meeting = read_text(pdf_to_text(data, source=source, deadline=deadline), source=source, deadline=deadline)
    meeting.source_format = "referat-pdf"
    return meeting


def pdf_lines(data: bytes, *, source: str = "", deadline: Deadline | None = None) -> list[Block]:
    """One block per printed line, with its font size relative to the body text and its weight,
    from pypdf's text visitor (position, font and size of every text run)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    lines: list[tuple[int, float, str, float, bool]] = []  # page, y, text, size, bold
    heights: dict[int, float] = {}
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        for number, page in enumerate(reader.pages, start=1):
            check(deadline, f"PDF-side {number}")
            runs: list[tuple[float, float, str, float, bool]] = []

            def visit(text, cm, tm, font, size, runs=runs) -> None:
                if not text or not text.strip():
                    if text and "\n" in text and runs:
                        runs.append((runs[-1][0], runs[-1][1], "\n", 0.0, False))
                    return
                scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
                y = tm[5] * cm[3] + cm[5]
                name = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
                bold = bool(re.search(r"bold|black|heavy|semibold|demi", name, re.IGNORECASE))
                runs.append((y, tm[4] * cm[0] + cm[4], text, float(size) * scale, bold))

            page.extract_text(visitor_text=visit)
            heights[number] = float(page.mediabox.height)
            lines.extend(_runs_to_lines(number, runs))
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, ZeroDivisionError) as exc:
        raise NotAReferatError(
            f"{source or 'PDF'}: PDF-filen kan ikke læses ({exc.__class__.__name__}: {exc})"
        ) from exc
    lines = _without_page_furniture(lines, heights)
    sizes = Counter()
    for _, _, text, size, _ in lines:
        sizes[round(size, 1)] += len(text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    return [
        Block(text, bold=bold, size=round(size / body, 2) if body else 1.0) for _, _, text, size, bold in lines if text
    ]


def _without_page_furniture(
    lines: list[tuple[int, float, str, float, bool]], heights: dict[int, float]
) -> list[tuple[int, float, str, float, bool]]:
    """Without the running header and footer: a short line in the top or bottom tenth of the page
    that stands at the same height on most pages (`Side 3`, `Åbent referat`, `Dato: 04.12.2012`),
    digits aside. The first page keeps its own, since that is where the meeting header is."""
    pages = {page for page, *_ in lines}
    if len(pages) < 3:
        return lines

    def key(line: tuple[int, float, str, float, bool]) -> tuple[str, int] | None:
        page, y, text, _, _ = line
        height = heights.get(page) or 842.0
        if len(text) > 80 or 0.1 * height < y < 0.9 * height:
            return None
        return re.sub(r"\d+", "#", text), round(y / 4)

    seen: dict[tuple[str, int], set[int]] = {}
    for line in lines:
        if (k := key(line)) is not None:
            seen.setdefault(k, set()).add(line[0])
    furniture = {k for k, on in seen.items() if len(on) >= max(3, len(pages) // 2)}
    first = min(pages)
    return [line for line in lines if line[0] == first or key(line) not in furniture]


def _runs_to_lines(
    page: int, runs: list[tuple[float, float, str, float, bool]]
) -> list[tuple[int, float, str, float, bool]]:
    """Runs in reading order joined into lines: a new line where pypdf put one or `y` changes."""
    out: list[tuple[int, float, str, float, bool]] = []
    parts: list[str] = []
    sizes: list[tuple[float, bool, int]] = []
    y0 = None

    def flush() -> None:
        text = clean_inline(sanitise("".join(parts)))
        if text:
            size = max(sizes, key=lambda s: s[2])[0] if sizes else 0.0
            bold_chars = sum(n for _, b, n in sizes if b)
            out.append((page, y0 or 0.0, text, size, bold_chars >= 0.8 * max(1, sum(n for _, _, n in sizes))))
        parts.clear()
        sizes.clear()

    for y, _x, text, size, bold in runs:
        if text == "\n":
            flush()
            y0 = None
            continue
        if y0 is not None and abs(y - y0) > max(2.0, 0.5 * size):
            flush()
        if not parts:
            y0 = y
        for k, piece in enumerate(text.split("\n")):
            if k:
                flush()
                y0 = y
            if piece:
                parts.append(piece)
                sizes.append((size, bold, len(piece.strip())))
    flush()
    return out


def read_pdf_layout(data: bytes, *, source: str = "", deadline: Deadline | None = None) -> Meeting:
    from nlp.readers.minutes import read_blocks

    blocks = pdf_lines(data, source=source, deadline=deadline)
    if not blocks:
        raise NotAReferatError(f"{source or 'PDF'}: PDF-filen har ingen tekst (skannet uden OCR?)")
    meeting = read_blocks(blocks, source=source, deadline=deadline)
    meeting.source_format = "minutes-pdf"
    return meeting
