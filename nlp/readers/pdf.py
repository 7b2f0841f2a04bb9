"""Reader for referater as PDF: pypdf extracts the text, the text reader does the rest."""

from __future__ import annotations

import io
import logging

from nlp.deadline import Deadline, check
from nlp.errors import NotAReferatError
from nlp.model import Meeting
from nlp.readers.referat_text import read_text
from nlp.text import sanitise

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
