"""Cleaning text converted from PDF or HTML: markdown and tag removal, paragraphs, tables.

Readers share these so that every format ends up as the same plain paragraphs.
"""

from __future__ import annotations

import html
import re

from nlp.model import Table

# Every pattern here is linear in its input: no nested or overlapping quantifiers, and a scan
# that starts at `<` stops at the next `<` (tests/nlp/test_hostile_patterns.py feeds them
# megabytes of the worst characters).
_TAG = re.compile(r"<[^<>]{0,20000}>")
_BREAKS = re.compile(r"(?i)<br\s*/?>|</p>|</li>|</div>|</h\d>|</tr>")
_LIST_ITEM = re.compile(r"(?i)<li\b[^<>]{0,2000}>")
_CELL_END = re.compile(r"(?i)</t[dh]>")
#: `data:` URIs (inline images, 150 KB of base64 in Greve's HTML) carry no text.
_DATA_URI = re.compile(r"(?i)\bdata:[^,\s\"'<>]{0,200},[^\s\"'<>]*")
#: A run of more than 50 of one punctuation character is decoration or an attack, never text;
#: it becomes three (`<<<`), which keeps dot leaders and rules recognisable.
_PUNCT_RUN = re.compile(r"([^\w\s])\1{50,}")
#: Control and format characters that carry nothing a reader needs (NUL, bidi overrides, BOMs,
#: soft hyphens, lone surrogates); tab, newline, CR and form feed stay, the readers use them.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200c-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_EMPHASIS = re.compile(r"(\*\*|__)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f]+")
_SEPARATOR_CHARS = frozenset(" \t|:-\n\r\x0b\x0c")
_SENTENCE_END = re.compile(r"[.!?:;)\]\"”]\s*$")


def strip_tags(text: str) -> str:
    """Remove HTML tags, turning list items and breaks into separators first."""
    text = _BREAKS.sub("\n", text)
    text = _LIST_ITEM.sub("\n• ", text)
    text = _CELL_END.sub("\t", text)
    return html.unescape(_TAG.sub("", text))


def sanitise(text: str) -> str:
    """What every reader does first: no invisible characters, no `data:` URIs, no endless runs.

    None of it is text a person wrote; all of it slows or breaks later stages (a run of 20,000
    `<` kept spaCy busy for minutes, a NUL in a title breaks terminals and SQLite tools).
    """
    text = _INVISIBLE.sub("", text)
    if "data:" in text or "DATA:" in text.upper():
        text = _DATA_URI.sub("", text)
    return _PUNCT_RUN.sub(r"\1\1\1", text)


def cap_text(text: str, limit: int) -> tuple[str, int]:
    """`text` cut to `limit` characters at a line or word break, with the cut noted in the text.

    Returns the text and how many characters were left out (0 when nothing was cut).
    """
    if len(text) <= limit:
        return text, 0
    cut = text.rfind("\n", limit // 2, limit)
    if cut < 0:
        cut = text.rfind(" ", limit // 2, limit)
    if cut < 0:
        cut = limit
    left_out = len(text) - cut
    return f"{text[:cut].rstrip()}\n[… afkortet af Referat: {left_out} tegn udeladt]", left_out


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
    """A markdown table rule (`|---|:--|`): only rule characters, with at least one `--`.

    Written without a regex: `^[...]*-{2,}[...]*$` backtracks quadratically on a long rule."""
    return "--" in raw and all(ch in _SEPARATOR_CHARS or ch.isspace() for ch in raw)


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
