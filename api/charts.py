"""Small accessible bar charts, as inline SVG rendered on the server (no JavaScript, no CDN).

A table whose rows or columns are years (or months) and whose cells are numbers reads faster as
a picture. The chart carries a <title> and a <desc> with every number, and the table stays on the
page beside it, so nothing is only visual.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from nlp.dates import MONTH_NAMES

MONTHS = MONTH_NAMES
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_NUMBER = re.compile(r"^[-−–]?\s?\d{1,3}(?:\.\d{3})*(?:,\d+)?$|^[-−–]?\s?\d+(?:,\d+)?$")
COLOURS = ["#0b5394", "#b45f06", "#38761d", "#741b47", "#45818e", "#7f6000"]  # >= 4.5:1 on white
#: The drawing is 480 units wide with 13-unit labels, and style.css never lets it shrink below 26rem
#: (a phone scrolls it sideways inside its region instead): labels stay >= 11 px on screen. At
#: 640 units scaled into a 343 px phone column they were 6 px.
WIDTH, HEIGHT, FONT = 480, 220, 13


def is_period(cell: str) -> bool:
    cell = cell.strip().lower().rstrip(".")
    return bool(_YEAR.match(cell)) or cell in MONTHS or cell[:3] in {m[:3] for m in MONTHS} and len(cell) <= 9


def number(cell: str) -> tuple[float, str] | None:
    """'1.250,5' -> (1250.5, ''); '38 %' -> (38.0, '%'); anything else -> None."""
    text = cell.strip().replace("\u00a0", " ")
    unit = ""
    if text.endswith("%"):
        text, unit = text[:-1].strip(), "%"
    if not _NUMBER.match(text):
        return None
    text = text.replace("−", "-").replace("–", "-").replace(" ", "").replace(".", "").replace(",", ".")
    try:
        return float(text), unit
    except ValueError:
        return None


def chart_series(rows: list[list[str]]) -> tuple[list[str], list[tuple[str, list[float]]], str] | None:
    """(periods, [(series name, values)], unit) when the table is numbers over time, else None."""
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    header, body = rows[0], rows[1:]
    width = len(header)
    if any(len(r) != width for r in body):
        return None
    # Periods across the header row: one series per body row.
    if all(is_period(c) for c in header[1:]) and len(header) >= 3:
        periods = header[1:]
        series = [(r[0], r[1:]) for r in body]
    # Periods down the first column: one series per column.
    elif all(is_period(r[0]) for r in body) and len(body) >= 2:
        periods = [r[0] for r in body]
        series = [(header[j], [r[j] for r in body]) for j in range(1, width)]
    else:
        return None
    parsed: list[tuple[str, list[float]]] = []
    units = set()
    for name, cells in series:
        values = [number(c) for c in cells]
        if any(v is None for v in values):
            return None
        units |= {v[1] for v in values}
        parsed.append((name, [v[0] for v in values]))
    if len(units) > 1 or not parsed or len(parsed) > len(COLOURS):
        return None
    return periods, parsed, units.pop()


def _fmt(value: float, unit: str) -> str:
    text = f"{value:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
    text = text[:-2] if text.endswith(",0") else text
    return f"{text} {unit}".strip()


def bar_chart(rows: list[list[str]], title: str, ident: str) -> Markup | None:
    """A <figure> with an SVG grouped bar chart of the table, or None when it is not numbers over time."""
    found = chart_series(rows)
    if found is None:
        return None
    periods, series, unit = found
    values = [v for _, vs in series for v in vs]
    top = max(max(values), 0.0)
    bottom = min(min(values), 0.0)
    span = (top - bottom) or 1.0
    w, h, left, right, top_pad, bottom_pad = WIDTH, HEIGHT, 64, 10, 16, 30
    plot_w, plot_h = w - left - right, h - top_pad - bottom_pad
    group_w = plot_w / len(periods)
    bar_w = max(2.0, min(28.0, (group_w * 0.8) / len(series)))
    zero_y = top_pad + plot_h * (top / span)
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{p} {_fmt(v, unit)}" for p, v in zip(periods, vs, strict=True)) for name, vs in series
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
        f'<line x1="{left}" y1="{zero_y:.1f}" x2="{w - right}" y2="{zero_y:.1f}" stroke="#4a4a4a"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="{FONT}" fill="#1b1b1b">'
        f"{escape(_fmt(top, unit))}</text>",
        f'<text x="{left - 6}" y="{zero_y + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="#1b1b1b">'
        f"{escape(_fmt(0.0, unit))}</text>",
    ]
    for i, period in enumerate(periods):
        x0 = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for k, (_, vs) in enumerate(series):
            v = vs[i]
            y = zero_y - plot_h * (max(v, 0) / span)
            height = plot_h * abs(v) / span
            parts.append(
                f'<rect x="{x0 + k * bar_w:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[k]}"><title>{escape(series[k][0])}, {escape(period)}: {escape(_fmt(v, unit))}'
                "</title></rect>"
            )
        parts.append(
            f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{h - bottom_pad + 16}" text-anchor="middle" '
            f'font-size="{FONT}" fill="#1b1b1b">{escape(_label(period, len(periods)))}</text>'
        )
    parts.append("</svg>")
    legend = ""
    if len(series) > 1:
        items = "".join(
            f'<li><span class="swatch" style="background:{COLOURS[k]}" aria-hidden="true"></span>{escape(name)}</li>'
            for k, (name, _) in enumerate(series)
        )
        legend = f'<ul class="legend">{items}</ul>'
    caption = f"<figcaption>{escape(title)} (tallene står i tabellen)</figcaption>"
    region = f'<div class="chart-scroll" role="region" tabindex="0" aria-label="Diagram: {escape(title)}">'
    return Markup(f'<figure class="chart">{region}{"".join(parts)}</div>{legend}{caption}</figure>')


def _label(period: str, count: int) -> str:
    """A month's axis label shortened to three letters when many months share the axis ("sep")."""
    if count > 6 and period.strip().lower().rstrip(".") in MONTHS:
        return period.strip()[:3]
    return period
