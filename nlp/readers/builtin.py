"""Referat's own readers, registered like any third party's (`nlp.readers.readers`).

Scores: a structure reader that recognises its system's markers says 0.9; the Odense text layout
0.8; the general recogniser of Danish minutes over a container's blocks 0.3, so that it reads
whatever no system-specific reader claims.
"""

from __future__ import annotations

import json

from nlp.deadline import Deadline
from nlp.errors import NotAReferatError
from nlp.model import Meeting
from nlp.readers import (
    acadre,
    blocks,
    edoc,
    edoc_fujitsu,
    firstagenda,
    firstagenda_html,
    minutes,
    referat_text,
)
from nlp.readers.reader import Reader, Sniffed, readers
from nlp.text import sanitise


def _json_read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    try:
        parsed = json.loads(sniffed.text)
    except json.JSONDecodeError as exc:
        raise NotAReferatError(f"ugyldig JSON ({exc.msg}, linje {exc.lineno})") from None
    except RecursionError:
        raise NotAReferatError("JSON'en er for dybt indlejret") from None
    return firstagenda.read_firstagenda(parsed, source=sniffed.source, deadline=deadline)


def _text_sniff(sniffed: Sniffed) -> float:
    return 0.8 if referat_text.looks_like(sanitise(sniffed.head)) else 0.0


def _text_read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    text = sanitise(sniffed.text)
    try:
        return referat_text.read_text(text, source=sniffed.source, deadline=deadline)
    except NotAReferatError as exc:
        # `Punkt N:` headings under a header the Odense layout does not know: the general recogniser.
        return _or_raise(exc, lambda: _minutes_text_read(sniffed, deadline))


def _minutes_text_sniff(sniffed: Sniffed) -> float:
    return 0.3 if minutes.looks_like(blocks.text_blocks(sanitise(sniffed.head))) else 0.0


def _minutes_text_read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    meeting = minutes.read_blocks(blocks.text_blocks(sanitise(sniffed.text)), source=sniffed.source, deadline=deadline)
    meeting.source_format = "minutes-text"
    return meeting


def _pdf_read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    """The Odense/FirstAgenda PDF layout (`Punkt N:` headings) from its text; any other PDF from
    its layout (font size and weight, position) through the general recogniser."""
    from nlp.readers.pdf import pdf_to_text, read_pdf_layout

    text = pdf_to_text(sniffed.data, source=sniffed.source, deadline=deadline)
    if referat_text.looks_like(text):
        try:
            meeting = referat_text.read_text(text, source=sniffed.source, deadline=deadline)
        except NotAReferatError as exc:
            return _or_raise(exc, lambda: read_pdf_layout(sniffed.data, source=sniffed.source, deadline=deadline))
        meeting.source_format = "referat-pdf"
        return meeting
    return read_pdf_layout(sniffed.data, source=sniffed.source, deadline=deadline)


def _or_raise(first: NotAReferatError, read):
    """The general recogniser's meeting, or the first reader's refusal if it finds none either."""
    try:
        return read()
    except NotAReferatError:
        raise first from None


def _docx_read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    meeting = minutes.read_blocks(
        blocks.docx_blocks(sniffed.data, source=sniffed.source), source=sniffed.source, deadline=deadline
    )
    meeting.source_format = "minutes-docx"
    return meeting


def _html_read(sniffed: Sniffed, deadline: Deadline | None) -> Meeting:
    meeting = minutes.read_blocks(blocks.html_blocks(sniffed.text), source=sniffed.source, deadline=deadline)
    meeting.source_format = "minutes-html"
    return meeting


def _always(score: float):
    return lambda sniffed: score


BUILTIN = (
    Reader("firstagenda-json", "FirstAgenda-dagsorden (JSON)", ("json",), _always(0.5), _json_read),
    Reader("referat-text", "referat som tekst (Odense-layout)", ("text",), _text_sniff, _text_read),
    Reader("minutes-text", "referat som tekst", ("text",), _minutes_text_sniff, _minutes_text_read),
    Reader("pdf", "referat som PDF", ("pdf",), _always(0.3), _pdf_read),
    Reader("docx", "referat som Word-dokument (DOCX)", ("docx",), _always(0.3), _docx_read),
    Reader("html", "referat som webside", ("html",), _always(0.2), _html_read),
    *firstagenda_html.READERS,
    *edoc.READERS,
    *acadre.READERS,
    *edoc_fujitsu.READERS,
)

for _reader in BUILTIN:
    readers.register(_reader.name, func=_reader)
