"""A section's text as structured HTML: paragraphs, lists, sub-headings and real tables.

The store keeps a section as plain text (tables as tab-separated lines, so that search reads them)
plus the tables as rows of cells. The page shows each run of table lines as the stored table (an
accessible <table> in a scrolling wrapper, with a chart when it is numbers over time), bullets
as <ul>, and short title lines as sub-headings; entities and amounts stay marked in the prose.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from api.charts import bar_chart, number

_BULLET = re.compile(r"^\s*(?:[•·▪◦●\-–*]|\d{1,2}[.)])\s+")
_UNORDERED = re.compile(r"^\s*[•·▪◦●\-–*]\s+")


def _marked(text: str, start: int, spans: list[tuple[int, int, str, str]]) -> Markup:
    """text (found at `start` in the section) with the spans inside it wrapped in labelled <mark>."""
    out, pos = [], 0
    end_all = start + len(text)
    for s, e, css, title in spans:
        if s is None or e is None or s < start + pos or e > end_all:
            continue
        a, b = s - start, e - start
        out.append(escape(text[pos:a]))
        out.append(Markup(f'<mark class="{css}" title="{escape(title)}">') + escape(text[a:b]) + Markup("</mark>"))
        pos = b
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _is_subheading(line: str, next_line: str | None) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 7
        and len(line) <= 60
        and line[:1].isupper()
        and not re.search(r"[.:;,!?]$", line)
        and not re.search(r"\d{3}", line)
        and next_line is not None
        and "\t" not in next_line
        and len(next_line) > len(line)
    )


def table_html(rows: list[list[str]], ident: str, caption: str) -> Markup:
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = rows[0] if len(rows) > 1 and sum(number(c) is None for c in rows[0] if c.strip()) >= 1 else None
    body = rows[1:] if header else rows
    numeric = [
        all(number(r[j]) is not None or not r[j].strip() for r in body) and any(r[j].strip() for r in body)
        for j in range(width)
    ]
    parts = [
        f'<div class="table-wrap" role="region" aria-labelledby="{ident}-c" tabindex="0">',
        f'<table id="{ident}"><caption id="{ident}-c">{escape(caption)}</caption>',
    ]
    if header:
        cells = "".join(
            f'<th scope="col"{" class=num" if numeric[j] and j else ""}>{escape(c)}</th>' for j, c in enumerate(header)
        )
        parts.append(f"<thead><tr>{cells}</tr></thead>")
    parts.append("<tbody>")
    for r in body:
        if sum(1 for c in r if c.strip()) == 1 and r[0].strip() and width > 1:  # a group label row
            parts.append(f'<tr><th scope="rowgroup" colspan="{width}">{escape(r[0])}</th></tr>')
            continue
        cells = []
        for j, c in enumerate(r):
            if j == 0 and not numeric[0]:
                cells.append(f'<th scope="row">{escape(c)}</th>')
            else:
                cells.append(f"<td{' class=num' if numeric[j] else ''}>{escape(c)}</td>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    parts.append("</tbody></table></div>")
    return Markup("".join(parts))


def render_section(
    text: str, tables: list[list[list[str]]], spans: list[tuple[int, int, str, str]], ident: str
) -> Markup:
    """The section's HTML. `spans` are (start, end, css class, title) of marks in the text."""
    spans = sorted((s for s in spans if s[0] is not None), key=lambda s: s[0])
    lines: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    out: list[Markup] = []
    tables_left = list(tables)
    n_table = 0
    i = 0
    while i < len(lines):
        start, line = lines[i]
        if "\t" in line:  # a run of table lines -> the stored table (or the lines themselves, split)
            j = i
            while j < len(lines) and "\t" in lines[j][1]:
                j += 1
            rows = tables_left.pop(0) if tables_left else [ln.split("\t") for _, ln in lines[i:j]]
            n_table += 1
            previous = lines[i - 1][1].strip() if i else ""
            caption = f"Tabel {n_table}" + (f": {previous.rstrip(':')}" if previous.endswith(":") else "")
            if rows:
                out.append(table_html(rows, f"{ident}-t{n_table}", caption))
                chart = bar_chart(rows, f"{caption} som diagram", f"{ident}-g{n_table}")
                if chart is not None:
                    out.append(chart)
            i = j
            continue
        if _BULLET.match(line):
            j = i
            while j < len(lines) and _BULLET.match(lines[j][1]):
                j += 1
            ordered = not _UNORDERED.match(line)
            items = []
            for s, ln in lines[i:j]:
                cut = _BULLET.match(ln).end()
                items.append(Markup("<li>") + _marked(ln[cut:], s + cut, spans) + Markup("</li>"))
            first = re.match(r"\s*(\d+)", line)
            opening = f'<ol start="{int(first.group(1))}">' if ordered and first else "<ul>"
            out.append(Markup(opening) + Markup("").join(items) + Markup("</ol>" if ordered and first else "</ul>"))
            i = j
            continue
        if line.strip():
            following = lines[i + 1][1] if i + 1 < len(lines) else None
            if _is_subheading(line.strip(), following):
                out.append(Markup("<h3>") + _marked(line, start, spans) + Markup("</h3>"))
            else:
                out.append(Markup("<p>") + _marked(line, start, spans) + Markup("</p>"))
        i += 1
    return Markup("\n").join(out)
