"""The one recogniser of Danish minutes, over every container: text, HTML, DOCX, PDF with layout.

The documents are written here in the layouts other systems use (eDoc's `1.` headings and
`…udvalgets beslutning den …`, Acadre's `715.`, a closed part, a wrapped title), so that the tests
say what the recogniser must do for minutes it has never seen, not for one file.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from nlp.dates import find_date, find_time
from nlp.errors import NotAReferatError
from nlp.readers import container_of, read_bytes
from nlp.sections import is_case_line, minutes_section, parse_case_number

EDOC_TEXT = """Referat

Teknik- og Miljøudvalget
tirsdag den 4. december 2012, kl. 13:00
i Mødelokale 2 på Rådhuset

Tilstede
Anne Hansen (A) - formand

INDHOLDSFORTEGNELSE
1.\tMeddelelser\t3
2.\tTrafiksikkerhedsplan for skolevejene i den nordlige del af kommunen og nye\t4
3.\tPersonalesag\t5

1.\tMeddelelser

Sagsnr.: 2011-29298
Dok.nr.: 2012-202935

a. Møder og konferencer

Teknik- og Miljøudvalgets beslutning den 04.12.2012 Punkt 1
Taget til efterretning

2.\tTrafiksikkerhedsplan for skolevejene i den nordlige del af kommunen og nye
cykelstier langs Hovedgaden

Sagsnr.: 2012-28504

Sammendrag
Planen fremlægges til godkendelse. Der er afsat 1.316.000 kr.

Baggrund
Planen blev drøftet i udvalget i foråret.

Økonomiske konsekvenser og finansiering
Udgiften afholdes af anlægspuljen.

Indstilling
Forvaltningen indstiller, at planen godkendes.

Teknik- og Miljøudvalgets beslutning den 06.11.2012 Punkt 4
Sagen udsat.

Teknik- og Miljøudvalgets beslutning den 04.12.2012 Punkt 2
Indstillingen godkendt.
Per Jensen deltog ikke i behandlingen af punktet.

Lukket dagsorden

3.\tPersonalesag

Sagsnr.: 2012-30001

Sagsfremstilling
Navngiven medarbejders forhold drøftes.

Teknik- og Miljøudvalgets beslutning den 04.12.2012 Punkt 3
Godkendt.
"""


def test_an_edoc_style_referat_as_text() -> None:
    meeting = read_bytes(EDOC_TEXT.encode(), source="edoc.txt")
    assert (meeting.committee, meeting.date, meeting.time) == ("Teknik- og Miljøudvalget", "2012-12-04", "13:00")
    assert meeting.place == "Mødelokale 2 på Rådhuset"
    assert meeting.kind == "referat"
    assert [p.number for p in meeting.punkter] == [1, 2, 3]
    assert len(meeting.toc) == 3  # the contents are not punkter
    second = meeting.punkter[1]
    # A title wrapped onto a second line is joined up to its case number.
    assert second.title.endswith("nye cykelstier langs Hovedgaden")
    assert second.journal.raw == "2012-28504"
    assert second.decision.startswith("Indstillingen godkendt.")
    names = [s.name for s in second.sections]
    assert names[:2] == ["Resume", "Sagsfremstilling"] and "Økonomi" in names and "Indstilling" in names
    # An earlier meeting's decision is kept, as history, not as this meeting's decision.
    assert "Tidligere beslutning" in names
    assert second.absent == ["Per Jensen"]
    assert meeting.punkter[0].decision == "Taget til efterretning"


def test_a_closed_part_closes_its_punkter_and_keeps_nothing_but_the_title() -> None:
    closed = read_bytes(EDOC_TEXT.encode(), source="edoc.txt").punkter[2]
    assert closed.closed and closed.title == "Personalesag"
    assert closed.sections == [] and closed.decision is None


ACADRE_DOCX_PARAGRAPHS = [
    ("", False, "Referat"),
    ("", False, "Udvalget for plan, udvikling og kultur (PUK)"),
    ("", False, "Torsdag den 20. juni 2013"),
    ("", False, "Kl. 10:30"),
    ("Overskrift1", False, "715.Kulturkommune 2017. Politiske fokusområder"),
    ("", True, "Sagsnr.: 12/27845"),
    ("Overskrift2", False, "Resumé"),
    ("", False, "Kulturafdelingen har lagt en plan for arbejdet i Syddjurs Kommune."),
    ("Overskrift2", False, "Beslutning i Udvalget for plan, udvikling og kultur (PUK) den 10-04-2013"),
    ("", False, "Punktet genoptages."),
    ("Overskrift2", False, "Beslutning i Udvalget for plan, udvikling og kultur (PUK) den 20-06-2013"),
    ("", False, "Punktet blev drøftet."),
    ("Overskrift1", False, "716.Lukket punkt: Køb af ejendom"),
    ("", False, "Forhandlingerne om prisen fortsætter."),
]


def _docx(paragraphs: list[tuple[str, bool, str]]) -> bytes:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = []
    for style, bold, text in paragraphs:
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
        body.append(f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>')
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document {w}><w:body>{"".join(body)}</w:body></w:document>'
    styles = (
        f'<?xml version="1.0"?><w:styles {w}><w:style w:styleId="Overskrift1"><w:name w:val="heading 1"/></w:style>'
        f'<w:style w:styleId="Overskrift2"><w:name w:val="heading 2"/></w:style></w:styles>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", document)
        archive.writestr("word/styles.xml", styles)
    return buffer.getvalue()


def test_a_docx_referat_numbered_the_acadre_way() -> None:
    data = _docx(ACADRE_DOCX_PARAGRAPHS)
    assert container_of(data) == "docx"
    meeting = read_bytes(data, source="referat.txt")  # the content decides, not the name
    assert meeting.source_format == "minutes-docx"
    assert (meeting.municipality, meeting.date, meeting.committee) == (
        "Syddjurs",
        "2013-06-20",
        "Udvalget for plan, udvikling og kultur (PUK)",
    )
    first, second = meeting.punkter
    assert (first.number, first.title) == (715, "Kulturkommune 2017. Politiske fokusområder")
    assert first.journal.raw == "12/27845"
    assert first.decision == "Punktet blev drøftet."
    assert [s.name for s in first.sections].count("Tidligere beslutning") == 1
    assert second.number == 716 and second.closed and not second.sections


HTML_PAGE = """<!DOCTYPE html><html><head><title>Dagsorden</title><script>var x = "1. Ikke et punkt";</script></head>
<body><h1>Dagsorden</h1><p>Børne- og Skoleudvalget</p><p>Mødedato: mandag den 3. marts 2025 kl. 16.00</p>
<p>Mødested: Byrådssalen</p>
<h2>1. Godkendelse af dagsorden</h2><p>Sagsnr.: EMN-2025-000101</p>
<h3>Indstilling</h3><p>At dagsordenen godkendes.</p>
<h2>2. Skoledistrikter fra skoleåret 2026/27</h2><p>Sagsnr.: EMN-2025-000202</p>
<h3>Sagsfremstilling</h3><p>Elevtallet stiger.</p>
<table><tr><th>Skole</th><th>Elever 2025</th><th>Elever 2026</th></tr>
<tr><td>Nordskolen</td><td>412</td><td>430</td></tr>
<tr><td>Sydskolen</td><td>388</td><td>395</td></tr></table>
<h3>Bilag</h3><ul><li>Kort over distrikterne</li><li>Høringssvar</li></ul>
<h2>Lukkede punkter</h2>
<h2>3. Klage over skoleanvisning</h2><p>Sagsnr.: EMN-2025-000303</p><p>Forældrenes navne og adresse.</p>
</body></html>"""


def test_an_html_agenda_page() -> None:
    meeting = read_bytes(HTML_PAGE.encode(), source="side.xml")  # an HTML page named .xml is HTML
    assert meeting.kind == "dagsorden" and meeting.date == "2025-03-03" and meeting.time == "16:00"
    assert meeting.committee == "Børne- og Skoleudvalget" and meeting.place == "Byrådssalen"
    assert [p.number for p in meeting.punkter] == [1, 2, 3]
    districts = meeting.punkter[1]
    assert districts.journal.raw == "EMN-2025-000202"
    table = districts.section("Sagsfremstilling").tables[0]
    assert table.rows[1] == ["Nordskolen", "412", "430"]
    assert [a.title for a in districts.attachments] == ["• Kort over distrikterne", "• Høringssvar"]
    assert meeting.punkter[2].closed and "navne" not in str(meeting.punkter[2])


def _pdf(lines: list[tuple[str, str, int]]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for font, text, size in lines:
        page.setFont(font, size)
        page.drawString(60, y, text)
        y -= size + 8
    page.save()
    return buffer.getvalue()


def test_a_pdf_read_from_its_layout() -> None:
    """No `Punkt N:` here: headings are told by their bold, larger font."""
    data = _pdf(
        [
            ("Helvetica-Bold", "Referat", 18),
            ("Helvetica", "Økonomiudvalget", 12),
            ("Helvetica", "Onsdag den 12. marts 2025 kl. 15.00", 10),
            ("Helvetica-Bold", "4. Salg af grund på Havnevej 7 til udvikling af boliger", 13),
            ("Helvetica-Bold", "og erhverv", 13),
            ("Helvetica", "Sagsnr.: 25/1234", 10),
            ("Helvetica-Bold", "Sagsfremstilling", 10),
            ("Helvetica", "Kommunen har modtaget et bud på grunden i Fredensborg Kommune.", 10),
            ("Helvetica-Bold", "Beslutninger", 10),
            ("Helvetica", "Udvalget godkendte salget.", 10),
            ("Helvetica-Bold", "5. Orientering", 13),
            ("Helvetica", "Sagsnr.: 25/1240", 10),
            ("Helvetica-Bold", "Beslutninger", 10),
            ("Helvetica", "Taget til efterretning.", 10),
        ]
    )
    meeting = read_bytes(data, source="referat.pdf")
    assert meeting.source_format == "minutes-pdf"
    assert (meeting.committee, meeting.date, meeting.time, meeting.municipality) == (
        "Økonomiudvalget",
        "2025-03-12",
        "15:00",
        "Fredensborg",
    )
    assert [(p.number, p.title) for p in meeting.punkter] == [
        (4, "Salg af grund på Havnevej 7 til udvikling af boliger og erhverv"),
        (5, "Orientering"),
    ]
    assert [p.decision for p in meeting.punkter] == ["Udvalget godkendte salget.", "Taget til efterretning."]
    assert meeting.punkter[0].journal.raw == "25/1234"


def test_an_aarhus_style_firstagenda_referat_text_joins_wrapped_titles_before_emn_numbers() -> None:
    """FirstAgenda's PDF layout: `Punkt N:` headings, a title wrapped onto a second line, an
    `EMN-` case number (not an Odense KLE number) and a `Beslutninger` section."""
    text = (
        "REFERAT Aarhus Byråd d. 08-10-2025\n\nMødedato: 8. oktober 2025, kl. 16:00\n\n"
        "Punkt 1: Forslag fra V, KF, LA og DD om afledte konsekvenser af lukning af\nVesterbro Torv\n"
        "EMN-2025-010810\n\nResume\nForslaget handler om trafikken i Aarhus Kommune.\n\n"
        "Beslutninger\nForslaget blev forkastet.\n\n"
        "Punkt 2: Godkendelse af dagsorden\nEMN-2023-009832\n\nBeslutninger\nGodkendt.\n"
    )
    meeting = read_bytes(text.encode(), source="aarhus.txt")
    first = meeting.punkter[0]
    assert first.title == "Forslag fra V, KF, LA og DD om afledte konsekvenser af lukning af Vesterbro Torv"
    assert first.journal.raw == "EMN-2025-010810"
    assert [p.decision for p in meeting.punkter] == ["Forslaget blev forkastet.", "Godkendt."]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b"1. Meddelelser\nSagsnr.: 2011-29298\nUdvalgets beslutning den 04.12.2012 Punkt 1\nTaget til efterretning",
            "enkelt punkt",
        ),
        ("Referat\nByrådet\nmandag den 3. marts 2025\nIngen sager på dagsordenen.\n".encode(), "ligner ikke"),
        (b"<?xml version='1.0'?><order><item>3</item></order>", "ikke et kendt mødeformat"),
        (b"<html><body><p>Velkommen til vores hjemmeside</p></body></html>", "ingen nummererede punkter"),
        (b"PK\x03\x04" + b"\x00" * 200, "ZIP"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "gammelt Office-dokument"),
    ],
)
def test_what_is_not_minutes_is_refused_with_what_was_found(data: bytes, reason: str) -> None:
    with pytest.raises(NotAReferatError) as info:
        read_bytes(data, source="fil")
    assert str(info.value).startswith("fil: ") and reason.lower() in str(info.value).lower()


@pytest.mark.parametrize(
    ("text", "iso", "time"),
    [
        ("tirsdag den 4. december 2012, kl. 13:00", "2012-12-04", "13:00"),
        ("Dato: 04.12.2012", "2012-12-04", None),
        ("onsdag den 8. oktober 2025 kl. 16.00", "2025-10-08", "16:00"),
        ("Mødet 4. dec. 2012 klokken 9", "2012-12-04", "09:00"),
        ("20-06-2013", "2013-06-20", None),
        ("2013-06-20 10:30", "2013-06-20", None),
        ("den 31. februar 2013", None, None),
    ],
)
def test_dates_in_every_danish_form(text: str, iso: str | None, time: str | None) -> None:
    assert find_date(text) == iso
    assert find_time(text) == time


@pytest.mark.parametrize(
    ("heading", "name"),
    [
        ("Beslutninger", "Beslutning"),
        ("Sundheds- og Forebyggelsesudvalgets beslutning den 04.12.2012 Punkt 1", "Beslutning"),
        ("Beslutning i Økonomiudvalget den 20-06-2013", "Beslutning"),
        ("Afgørelse", "Beslutning"),
        ("Forslag:", "Indstilling"),
        ("Direktionens indstilling", "Indstilling"),
        ("Sagsbeskrivelse", "Sagsfremstilling"),
        ("Økonomiske konsekvenser", "Økonomi"),
        ("Bilag", "Bilag"),
        ("Det besluttede udvalget i går", None),
    ],
)
def test_section_names_are_data(heading: str, name: str | None) -> None:
    assert minutes_section(heading) == name


@pytest.mark.parametrize(
    ("line", "raw"),
    [
        ("27.15.12-Ø40-53-19", "27.15.12-Ø40-53-19"),
        ("EMN-2025-008308", "EMN-2025-008308"),
        ("Sagsnr.: 2012-28504", "2012-28504"),
        ("Sagsnr.: 12/27845", "12/27845"),
        ("Sagsnr.: 200906126", "200906126"),
    ],
)
def test_case_numbers_of_every_system(line: str, raw: str) -> None:
    assert is_case_line(line)
    assert parse_case_number(line).raw == raw


def test_a_year_range_is_no_case_number() -> None:
    assert parse_case_number("Budget 2026-2029") is None
    assert not is_case_line("Kvalitetsstandarder 2012-2013 for stof- og alkoholbehandling")


def test_punkt_headings_under_a_header_the_odense_layout_does_not_know() -> None:
    """`Punkt N:` headings are the Odense layout's, but this header is not: the general recogniser
    reads it instead of refusing it."""
    text = (
        "Referat\n\nByrådet\nmandag den 3. marts 2025 kl. 17.00\nRådhuset, Horsens Kommune\n\n"
        "Punkt 1: Godkendelse af dagsorden\nEMN-2025-000001\n\nBeslutning\nGodkendt.\n\n"
        "Punkt 2: Budgetopfølgning for\nfjerde kvartal\nEMN-2025-000002\n\nIndstilling\nAt den tages til efterretning."
        "\n\nBeslutning\nTaget til efterretning.\n"
    )
    meeting = read_bytes(text.encode(), source="horsens.txt")
    assert (meeting.municipality, meeting.committee, meeting.date, meeting.time) == (
        "Horsens",
        "Byrådet",
        "2025-03-03",
        "17:00",
    )
    assert [(p.number, p.title) for p in meeting.punkter] == [
        (1, "Godkendelse af dagsorden"),
        (2, "Budgetopfølgning for fjerde kvartal"),
    ]
    assert [p.decision for p in meeting.punkter] == ["Godkendt.", "Taget til efterretning."]


def test_a_pdf_s_running_header_is_not_text() -> None:
    """eDoc prints `Udvalg / Referat / Dato: … / Side N` on every page; a punkt's decision that
    starts a page must not start with it, and the time comes from the cover page's date line."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    cover = ["Referat", "Miljøudvalget", "tirsdag den 4. december 2012, kl. 13:00", "i Mødelokale 1 på Rådhuset"]
    pages = [cover]
    for n in range(1, 5):
        pages.append([f"{n}. Sag nummer {n} om vandløb", f"Sagsnr.: 2012-{1000 + n}", "Sagsfremstilling", "Tekst."])
        pages.append([f"Miljøudvalgets beslutning den 04.12.2012 Punkt {n}", f"Godkendt som punkt {n}."])
    for number, lines in enumerate(pages, start=1):
        y = 820
        if number > 1:
            for running in ("Miljøudvalget", "Referat", "Dato: 04.12.2012", f"Side {number}"):
                page.setFont("Helvetica", 8)
                page.drawString(40, y, running)
                y -= 12
        y = 700 - 40 * (number % 3)  # the body starts where it will
        for line in lines:
            page.setFont("Helvetica-Bold" if line[0].isdigit() or "beslutning" in line else "Helvetica", 10)
            page.drawString(40, y, line)
            y -= 14
        page.showPage()
    page.save()
    meeting = read_bytes(buffer.getvalue(), source="referat.pdf")
    assert (meeting.committee, meeting.date, meeting.time) == ("Miljøudvalget", "2012-12-04", "13:00")
    assert [p.decision for p in meeting.punkter] == [f"Godkendt som punkt {n}." for n in range(1, 5)]
    assert all("Side" not in s.text for p in meeting.punkter for s in p.sections)


def test_a_bold_numbered_line_in_the_text_is_no_punkt_heading() -> None:
    text = (
        "Referat\nSocialudvalget\n4. marts 2025 kl. 15.00\n\n"
        "## 1. Handleplan for hjemløse\nSagsnr.: 25/100\n\nSagsfremstilling\nPlanen har tre spor:\n"
        "## 2. Boliger først\n## 3. Opsøgende arbejde\nDe to spor koster 2 mio. kr.\n\nBeslutning\nGodkendt.\n\n"
        "## 2. Orientering om budget\nSagsnr.: 25/101\n\nBeslutning\nTaget til efterretning.\n"
    )
    meeting = read_bytes(text.encode(), source="t.md")
    assert [(p.number, p.title) for p in meeting.punkter] == [
        (1, "Handleplan for hjemløse"),
        (2, "Orientering om budget"),
    ]
    assert meeting.punkter[0].decision == "Godkendt." and "Boliger først" in meeting.punkter[0].text
