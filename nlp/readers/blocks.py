"""Containers as one stream of blocks: what the minutes recogniser (`nlp.readers.minutes`) reads.

A block is a paragraph, heading, list item or table with what its container says about it:
heading level (HTML `<h2>`, a DOCX `Heading 1`/`Overskrift 1` style, a larger PDF font), emphasis
(bold), and its text. Whether it is a punkt heading, a section or the meeting header is not
decided here: that is the recogniser's, the same for every container.
"""

from __future__ import annotations

import html as html_lib
import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.etree import ElementTree

from nlp.errors import NotAReferatError
from nlp.model import Table
from nlp.text import clean_inline, normalise_newlines, sanitise

#: A DOCX larger than this once unpacked is refused (a zip bomb is not a referat).
MAX_UNPACKED = 200_000_000


@dataclass
class Block:
    text: str
    kind: str = "p"  # p | h | li | table
    level: int = 0  # heading level 1..6, 0 when not a heading
    bold: bool = False
    #: Font size relative to the document's body text (PDF), 1.0 when unknown.
    size: float = 1.0
    table: Table | None = None
    #: The container's own name of the block's style ("Overskrift2", "xsltItemTitle"), lower case.
    style: str = ""
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def heading_like(self) -> bool:
        return self.kind == "h" or self.bold or self.size >= 1.15


def text_blocks(text: str) -> list[Block]:
    """A plain text, one block per line (a line is what a text has to say about layout); markdown
    headings and `**bold**` lines keep their emphasis."""
    found = []
    for raw in normalise_newlines(text).split("\n"):
        if len(raw) > 20_000:
            found.append(Block(raw[:20_000]))
            continue
        stripped = raw.strip()
        level = len(stripped) - len(stripped.lstrip("#")) if stripped.startswith("#") else 0
        bold = stripped.startswith("**") and stripped.rstrip().endswith("**") and len(stripped) > 4
        line = clean_inline(raw)
        if not line:
            found.append(Block("", kind="blank"))
            continue
        found.append(Block(line, kind="h" if 0 < level <= 6 else "p", level=min(level, 6), bold=bold))
    return found


# -- HTML ------------------------------------------------------------------------------------------
_BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "br", "table", "span"}
_SKIP_TAGS = {"script", "style", "head", "noscript", "template", "svg", "button", "select", "option", "textarea"}
_INLINE_BOLD = {"b", "strong"}


class _HtmlBlocks(HTMLParser):
    """One linear pass (no regular expression over the whole page): text is gathered until a block
    tag opens or closes, then emitted with the innermost heading level and emphasis. A table is
    collected as rows while it holds only cells of text; one that holds other tables is layout,
    and its cells become blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.skip = 0
        self.heading = 0
        self.bold = 0
        self.bold_chars = 0
        self.li = 0
        #: Per open table: its rows, each cell a list of lines (None: a layout table).
        self.tables: list[list[list[list[str]]] | None] = []
        self.cell: list[str] | None = None

    @property
    def collecting(self) -> bool:
        return bool(self.tables) and self.tables[-1] is not None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if self.skip:
            return
        attrs = {k: v or "" for k, v in attrs}
        if tag == "table":
            if self.collecting:
                self._demote()
            self.flush()
            self.tables.append([])
            self.cell = None
            return
        if self.collecting:
            rows = self.tables[-1]
            if tag == "tr":
                rows.append([])
            elif tag in ("td", "th"):
                if not rows:
                    rows.append([])
                self.cell = [""]
                rows[-1].append(self.cell)
            elif self.cell is not None and tag in _BLOCK_TAGS and tag != "span":
                self.cell.append("")
            return
        if tag in _BLOCK_TAGS and tag != "span" or tag == "span" and attrs.get("class"):
            self.flush()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = int(tag[1])
        elif tag in _INLINE_BOLD:
            self.bold += 1
        elif tag == "li":
            self.li += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "table":
            if self.tables:
                rows = self.tables.pop()
                if rows is not None:
                    self._emit_table(rows)
                else:
                    self.flush()
            self.cell = None
            return
        if self.collecting:
            if tag in ("td", "th"):
                self.cell = None
            elif self.cell is not None and tag in _BLOCK_TAGS and tag != "span":
                self.cell.append("")
            return
        if tag in _BLOCK_TAGS:
            self.flush()
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading = 0
        elif tag in _INLINE_BOLD:
            self.bold = max(0, self.bold - 1)
        elif tag == "li":
            self.li = max(0, self.li - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.collecting:
            if self.cell is not None:
                self.cell[-1] += data
            return
        self.parts.append(data)
        if self.bold:
            self.bold_chars += len(data.strip())

    def flush(self) -> None:
        text = clean_inline(" ".join(self.parts).replace("\n", " "))
        bold = bool(text) and self.bold_chars >= 0.8 * len(text.replace(" ", ""))
        self.parts, self.bold_chars = [], 0
        if not text:
            return
        if self.heading:
            self.blocks.append(Block(text, kind="h", level=self.heading, bold=True))
        else:
            self.blocks.append(Block(text, kind="li" if self.li else "p", bold=bold))

    def _demote(self) -> None:
        """The innermost table holds a table: it is layout. What it collected becomes lines."""
        rows = self.tables.pop()
        self._emit_layout(rows or [])
        self.tables.append(None)
        self.cell = None

    def _emit_layout(self, rows: list[list[list[str]]]) -> None:
        for row in rows:
            cells = [[clean_inline(line.replace("\n", " ")) for line in cell] for cell in row]
            cells = [[line for line in cell if line] for cell in cells]
            cells = [cell for cell in cells if cell]
            if len(cells) == 2 and len(cells[0]) == 1 and cells[0][0].endswith(":") and len(cells[1]) == 1:
                cells = [[f"{cells[0][0]} {cells[1][0]}"]]  # `Sagsnr.:` | `12/27845`
            self.blocks.extend(Block(line) for cell in cells for line in cell)

    def _emit_table(self, rows: list[list[list[str]]]) -> None:
        if any(len([line for line in cell if line.strip()]) > 1 for row in rows for cell in row):
            self._emit_layout(rows)
            return
        texts = [[clean_inline(" ".join(cell).replace("\n", " ")) for cell in row] for row in rows]
        texts = [row for row in texts if any(row)]
        if not texts:
            return
        if is_data_table(texts):
            self.blocks.append(Block("\n".join("\t".join(row) for row in texts), kind="table", table=Table(rows=texts)))
        else:
            self._emit_layout(rows)

    def close(self) -> None:
        super().close()
        while self.tables:
            rows = self.tables.pop()
            if rows is not None:
                self._emit_table(rows)
        self.flush()


def html_blocks(page: str) -> list[Block]:
    parser = _HtmlBlocks()
    parser.feed(sanitise(page))
    parser.close()
    return parser.blocks


def html_text(fragment: str) -> str:
    """Text of an HTML fragment (an export's field), one line per block."""
    if "<" not in fragment:
        return clean_inline(html_lib.unescape(fragment))
    return "\n".join(b.text for b in html_blocks(fragment) if b.text)


_NUMERIC_CELL = re.compile(r"^[-+−]?[\d.,]+\s*(?:%|kr\.?|mio\.?|t\.?kr\.?)?$", re.IGNORECASE)


_ORDINAL = re.compile(r"^\d{1,4}\.$")  # `3.`: a numbered list laid out as a table, not a figure


def is_data_table(rows: list[list[str]]) -> bool:
    """A table of data (amounts, counts under headers) rather than one used for layout: at least
    two rows of two or more filled cells, and figures in a good share of the cells."""
    filled = [[c for c in row if c] for row in rows]
    wide = [row for row in filled if len(row) >= 2]
    if len(wide) < 2:
        return False
    cells = [c for row in wide for c in row]
    figures = sum(bool(_NUMERIC_CELL.match(c)) and not _ORDINAL.match(c) for c in cells)
    return figures >= len(cells) / 4


# -- DOCX ------------------------------------------------------------------------------------------
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|overskrift|rubrik)\s*(\d)$", re.IGNORECASE)


def docx_blocks(data: bytes, *, source: str = "") -> list[Block]:
    """Paragraphs and tables of a Word document's body, in order, with style, bold and numbering."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = archive.getinfo("word/document.xml")
        if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
            raise NotAReferatError("Word-dokumentet er for stort udpakket (zip-bombe?)")
        body = archive.read(info)
        styles = _docx_styles(archive)
    except KeyError:
        raise NotAReferatError("ZIP-fil, men intet Word-dokument (mangler word/document.xml)") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise NotAReferatError(f"Word-dokumentet kan ikke åbnes ({exc})") from None
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise NotAReferatError(f"Word-dokumentet er beskadiget ({exc})") from None
    container = root.find(f"{_W}body")
    if container is None:
        return []
    found: list[Block] = []
    for element in container:
        if element.tag == f"{_W}p":
            block = _docx_paragraph(element, styles)
            if block is not None:
                found.append(block)
        elif element.tag == f"{_W}tbl":
            found.extend(_docx_table(element, styles))
        elif element.tag == f"{_W}sdt":  # content controls wrap paragraphs
            for p in element.iter(f"{_W}p"):
                block = _docx_paragraph(p, styles)
                if block is not None:
                    found.append(block)
    return found


def _docx_styles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Style id -> style name (`Overskrift1` -> `heading 1`), so both ids and names are understood."""
    try:
        root = ElementTree.fromstring(archive.read("word/styles.xml"))
    except (KeyError, ElementTree.ParseError):
        return {}
    names = {}
    for style in root.iter(f"{_W}style"):
        sid = style.get(f"{_W}styleId") or ""
        name = style.find(f"{_W}name")
        names[sid] = (name.get(f"{_W}val") if name is not None else sid) or sid
    return names


def _docx_paragraph(p, styles: dict[str, str]) -> Block | None:
    texts, bold_chars = [], 0
    for run in p.iter(f"{_W}r"):
        run_text = "".join(
            (t.text or "") if t.tag == f"{_W}t" else ("\t" if t.tag == f"{_W}tab" else "\n")
            for t in run
            if t.tag in (f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr")
        )
        texts.append(run_text)
        b = run.find(f"{_W}rPr/{_W}b")
        if b is not None and b.get(f"{_W}val", "true") not in ("0", "false"):
            bold_chars += len(run_text.strip())
    raw = "".join(texts)
    text = clean_inline(raw.replace("\n", " "))
    if not text:
        return None
    style_el = p.find(f"{_W}pPr/{_W}pStyle")
    style_id = style_el.get(f"{_W}val") if style_el is not None else ""
    style = (styles.get(style_id or "", style_id or "") or "").lower()
    level = 0
    for candidate in (style_id or "", style):
        if match := _HEADING_STYLE.match(candidate.replace(" ", "")):
            level = int(match.group(1))
    numbered = p.find(f"{_W}pPr/{_W}numPr") is not None
    bold = bold_chars >= 0.8 * len(text.replace(" ", ""))
    kind = "h" if level else ("li" if numbered else "p")
    return Block(text, kind=kind, level=level, bold=bold or bool(level), style=(style_id or "").lower())


def _docx_table(tbl, styles: dict[str, str]) -> list[Block]:
    """A data table as a table; a layout table (Word templates put the punkt heading and case
    number in one) as its paragraphs, each keeping its style."""
    rows: list[list[list[Block]]] = []
    for tr in tbl.iter(f"{_W}tr"):
        cells = []
        for tc in tr.findall(f"{_W}tc"):
            cells.append([b for b in (_docx_paragraph(p, styles) for p in tc.iter(f"{_W}p")) if b is not None])
        if any(cells):
            rows.append(cells)
    texts = [[" ".join(b.text for b in cell) for cell in row] for row in rows]
    if not rows:
        return []
    if is_data_table(texts):
        return [Block("\n".join("\t".join(row) for row in texts), kind="table", table=Table(rows=texts))]
    found: list[Block] = []
    for row in rows:
        cells = [cell for cell in row if cell]
        if len(cells) == 2 and len(cells[0]) == 1 and cells[0][0].text.endswith(":") and len(cells[1]) == 1:
            label, value = cells[0][0], cells[1][0]
            found.append(Block(f"{label.text} {value.text}", style=value.style))
            continue
        for cell in cells:
            found.extend(cell)
    return found
