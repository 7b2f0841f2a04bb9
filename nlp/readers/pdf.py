"""Reader for referater as PDF: pypdf extracts the text, the text reader does the rest."""

from __future__ import annotations

import io
import logging

from nlp.errors import NotAReferatError
from nlp.model import Meeting
from nlp.readers.referat_text import read_text

log = logging.getLogger(__name__)


def pdf_to_text(data: bytes, *, source: str = "") -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise NotAReferatError(
            f"{source or 'PDF'}: PDF-filen kan ikke læses ({exc.__class__.__name__}: {exc})"
        ) from exc
    text = "\n".join(pages)
    if not text.strip():
        raise NotAReferatError(f"{source or 'PDF'}: PDF-filen har ingen tekst (skannet uden OCR?)")
    return text


def read_pdf(data: bytes, *, source: str = "") -> Meeting:
    meeting = read_text(pdf_to_text(data, source=source), source=source)
    meeting.source_format = "referat-pdf"
    return meeting
