"""Cleaning text converted from PDF or HTML: markdown and tag removal, paragraphs, tables.

Readers share these so that every format ends up as the same plain paragraphs.
"""

from __future__ import annotations

import html
import re

from nlp.model import Table

_TAG = re.compile(r"<[^>]{0,2000}>")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_EMPHASIS = re.compile(r"(\*\*|__)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f]+")
_TABLE_SEPARATOR = re.compile(r"^[\s|:\-\t]*-{2,}[\s|:\-\t]*$")
_SENTENCE_END = re.compile(r"[.!?:;)\]\"”]\s*$")


def strip_tags(text: str) -> str:
    """Remove HTML tags, turning list items and breaks into separators first."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</div>|</h\d>|</tr>", "\n", text)
    text = re.sub(r"(?i)<li[^>]*>", "\n• ", text)
    text = re.sub(r"(?i)</t[dh]>", "\t", text)
    return html.unescape(_TAG.sub("", text))


def clean_inline(text: str) -> str:
    """One line of converted markdown as plain text: no heading marks, bold, escapes or tags."""
    text = _MD_HEADING.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    if "<" in text:
        text = strip_tags(text).replace("\n", " ").replace("\t", " ")
    return _SPACES.sub(" ", text).strip()


def is_table_line(raw: str) -> bool:
    return "\t" in raw.strip("\n") and bool(raw.strip())


def is_separator(raw: str) -> bool:
    return bool(_TABLE_SEPARATOR.match(raw)) and "-" in raw


def table_from_lines(lines: list[str]) -> Table:
    """Tab-separated lines as a table of clean cells; duplicated header rows are dropped."""
    rows: list[list[str]] = []
    for line in lines:
        if is_separator(line):
            continue
        cells = [clean_inline(c) for c in line.split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        if not any(cells) or (rows and cells == rows[-1]):
            continue
        rows.append(cells)
    return Table(rows=rows)


def join_broken_paragraphs(paragraphs: list[str]) -> list[str]:
    """Mend sentences that a page break split into two paragraphs.

    A paragraph that does not end a sentence, followed by one that starts in lower case, is
    one sentence cut by the PDF conversion.
    """
    out: list[str] = []
    for para in paragraphs:
        if out and not _SENTENCE_END.search(out[-1]) and para[:1].islower() and not out[-1].startswith(("•", "-")):
            out[-1] = f"{out[-1]} {para}"
        else:
            out.append(para)
    return out


def normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return text.replace("\x0c", "\n")
