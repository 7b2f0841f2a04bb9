"""Section text to HTML: stored tables as real tables (with a chart for numbers over time), lists, sub-headings."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree, html

from api.charts import bar_chart, chart_series
from api.section_html import render_section
from nlp.readers.firstagenda import read_firstagenda

GREVE = Path(__file__).resolve().parents[2] / "data" / "sample" / "greve"


def _klagesager():
    data = json.loads((GREVE / "greve-social-og-handicapudvalget-2023-10-09.json").read_text("utf-8"))
    punkt = next(p for p in read_firstagenda(data).punkter if p.number == 3)
    return next(s for s in punkt.sections if s.tables)


def test_stored_tables_replace_their_tab_lines():
    section = _klagesager()
    rows = [t.rows for t in section.tables]
    page = html.fromstring(f"<div>{render_section(section.text, rows, [], 's0')}</div>")
    tables = page.findall(".//table")
    assert len(tables) == len(rows) == 3
    assert "\t" not in page.text_content()
    first = tables[0]
    assert first.find("caption").text_content().startswith("Tabel 1")
    assert [th.text_content() for th in first.findall("thead/tr/th")] == rows[0][0]
    assert all(th.get("scope") == "col" for th in first.findall("thead/tr/th"))
    assert [th.text_content() for th in first.findall("tbody/tr/th[@scope='row']")] == [r[0] for r in rows[0][1:]]
    assert first.getparent().get("class") == "table-wrap"  # scrolls sideways on a phone, not the page
    # The paragraphs around the tables stay paragraphs, in order.
    paragraphs = [p.text_content() for p in page.findall("p")]
    assert paragraphs[0].startswith("Danmarkskortet med opgørelse")


def test_years_across_the_header_become_an_accessible_chart():
    section = _klagesager()
    rows = section.tables[1].rows  # '' | 2018 … 2022, percentages per row
    periods, series, unit = chart_series(rows)
    assert periods == ["2018", "2019", "2020", "2021", "2022"] and unit == "%"
    assert series[0] == ("Greve Kommune hele socialområdet", [38.0, 39.0, 40.0, 35.0, 27.0])
    figure = etree.fromstring(str(bar_chart(rows, "Omgørelsesprocent", "g1")).encode())
    svg = figure.find(".//{http://www.w3.org/2000/svg}svg")  # inside its scrollable region
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "g1-t g1-d"
    desc = svg.find("{http://www.w3.org/2000/svg}desc").text
    assert "Greve Kommune hele socialområdet: 2018 38 %" in desc and "2022 37,5 %" in desc
    bars = svg.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) == sum(len(v) for _, v in series)
    # Not numbers over time: no chart.
    assert bar_chart(section.tables[0].rows, "x", "g2") is None
    assert bar_chart([["År", "Antal"], ["2023", "12"], ["2024", "n/a"]], "x", "g3") is None


def test_years_down_the_first_column():
    rows = [["År", "Borgere"], ["2022", "1.176"], ["2023", "1.600"], ["2024", "1.800"]]
    periods, series, unit = chart_series(rows)
    assert periods == ["2022", "2023", "2024"] and series == [("Borgere", [1176.0, 1600.0, 1800.0])] and unit == ""


def test_bullets_become_a_list_and_marks_keep_their_place():
    text = "Indsatsen har tre spor:\n• Job til 100 borgere\n• Uddannelse\n• Sundhed\nDerefter følger en evaluering."
    start = text.index("100 borgere")
    out = render_section(text, [], [(start, start + len("100 borgere"), "amount", "count")], "s1")
    page = html.fromstring(f"<div>{out}</div>")
    items = page.findall(".//ul/li")
    assert [li.text_content() for li in items] == ["Job til 100 borgere", "Uddannelse", "Sundhed"]
    assert items[0].find("mark").text == "100 borgere"
    assert [p.text_content() for p in page.findall("p")] == [
        "Indsatsen har tre spor:",
        "Derefter følger en evaluering.",
    ]


def test_text_is_escaped():
    out = render_section('<script>alert("x")</script> & mere', [], [], "s2")
    assert "<script>" not in out and "&lt;script&gt;" in out
