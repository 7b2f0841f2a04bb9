"""A PDF of a referat yields the same punkter as its text (pypdf extraction, then the text reader)."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import pytest

from nlp.readers import read_bytes, read_path
from tests.conftest import odense_file


def _as_pdf(text: str, path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    font = "Helvetica"
    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        try:
            pdfmetrics.registerFont(TTFont("DejaVu", candidate))
            font = "DejaVu"
        except Exception:  # noqa: BLE001 - fall back to the built-in font
            pass
    style = styles["BodyText"].clone("body", fontName=font, fontSize=9, leading=11)
    story = []
    for line in text.split("\n"):
        line = re.sub(r"^#+\s*|\*\*|\\(?=[_*\-])", "", line).replace("\t", "    ")
        story.append(Paragraph(escape(line), style) if line.strip() else Spacer(1, 4))
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


@pytest.mark.parametrize("date", ["2021-02-02", "2025-11-25"])
def test_pdf_round_trip_gives_the_same_punkter(tmp_path, date: str) -> None:
    source = odense_file(date)
    pdf = tmp_path / f"{date}.pdf"
    _as_pdf(source.read_text(encoding="utf-8"), pdf)
    from_text = read_path(source)
    from_pdf = read_path(pdf)
    assert from_pdf.source_format == "referat-pdf"
    assert (from_pdf.committee, from_pdf.date) == (from_text.committee, from_text.date)
    assert [p.number for p in from_pdf.punkter] == [p.number for p in from_text.punkter]
    norm = lambda s: re.sub(r"\s+", " ", s or "").strip()  # noqa: E731
    for a, b in zip(from_pdf.punkter, from_text.punkter, strict=True):
        assert norm(a.title) == norm(b.title)
        assert (a.journal and a.journal.raw) == (b.journal and b.journal.raw)
        assert a.case_type == b.case_type
        assert [s.name for s in a.sections] == [s.name for s in b.sections]
        assert norm(a.decision) == norm(b.decision)


def test_truncated_pdf_is_refused(tmp_path) -> None:
    pdf = tmp_path / "x.pdf"
    _as_pdf(odense_file("2021-02-02").read_text(encoding="utf-8"), pdf)
    from nlp.errors import NotAReferatError

    with pytest.raises(NotAReferatError):
        read_bytes(pdf.read_bytes()[:400], source="x.pdf")
