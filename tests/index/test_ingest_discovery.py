"""Nothing is skipped silently: every file under an ingested folder is read or named with its reason."""

from __future__ import annotations

import pytest

from index.ingest import discover, ingest_paths
from index.store import Store
from tests.nlp.test_read_minutes import ACADRE_DOCX_PARAGRAPHS, _docx


@pytest.fixture()
def store(tmp_path):
    return Store(tmp_path / "home" / "referat.sqlite")


def test_a_folder_of_files_that_are_not_minutes_names_every_one(store, tmp_path) -> None:
    """Once, a folder holding only .html/.xml/.docx files reported `filer=0 ... fejl=0` and exit 0."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "forside.html").write_text("<html><body><p>Velkommen til kommunen</p></body></html>")
    (folder / "sub" / "data.xml").write_text("<?xml version='1.0'?><order><item>3</item></order>")
    (folder / "notat.docx").write_bytes(_docx([("", False, "Et notat uden møde")]))
    (folder / "billede.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    (folder / "README.md").write_text("Referater hentet fra kommunens hjemmeside.")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    report = ingest_paths(store, [folder])
    assert report.files == 4 and not report.ok
    reasons = dict(report.failures)
    assert set(reasons) == {str(folder / n) for n in ("forside.html", "sub/data.xml", "notat.docx", "billede.png")}
    assert "HTML" in reasons[str(folder / "forside.html")] or "punkter" in reasons[str(folder / "forside.html")]
    assert "ikke et kendt mødeformat" in reasons[str(folder / "sub" / "data.xml")]
    assert "binær" in reasons[str(folder / "billede.png")]
    skipped = dict(report.skipped)
    assert "dokumentation" in skipped[str(folder / "README.md")]
    assert "skjult" in skipped[str(folder / ".DS_Store")]


EDOC = """<?xml version="1.0"?>
<Meeting><Committee>Kultur- og Fritidsudvalget</Committee><MeetingDate>03-03-2025 17:00:00</MeetingDate>
<MeetingState>Referat endeligt godkendt</MeetingState><MeetingAgendaTypes><MeetingAgendaType>
<AgendaType>Åben dagsorden</AgendaType><PDFDocument>900.PDF</PDFDocument><MeetingAgendaItems>
<MeetingAgendaItem><AgendaItemNumber>1</AgendaItemNumber><PDFDocument>901.PDF</PDFDocument>
<Document><Title>Tilskud til foreninger i Esbjerg Kommune</Title></Document>
<FullText>1.&#x9;Tilskud til foreninger i Esbjerg Kommune&#xC;
Sagsnr.: 2025-1234

Sagsfremstilling
Foreningerne har søgt om tilskud.

Kultur- og Fritidsudvalgets beslutning den 03.03.2025 Punkt 1
Godkendt.
</FullText></MeetingAgendaItem></MeetingAgendaItems></MeetingAgendaType>
<MeetingAgendaType><AgendaType>Lukket dagsorden</AgendaType><MeetingAgendaItems><MeetingAgendaItem>
<AgendaItemNumber>2</AgendaItemNumber><PDFDocument>902.PDF</PDFDocument><Document><Title>Personalesag</Title>
</Document><FullText>2.&#x9;Personalesag
Sagsfremstilling
Medarbejderens navn og forhold.</FullText></MeetingAgendaItem></MeetingAgendaItems></MeetingAgendaType>
</MeetingAgendaTypes></Meeting>"""


def test_an_export_and_its_per_punkt_files_are_one_meeting(tmp_path) -> None:
    folder = tmp_path / "edoc"
    folder.mkdir()
    (folder / "eDocAgendaPublishing.xml").write_text(EDOC, encoding="utf-8")
    for name in ("900.pdf", "901.pdf", "902.pdf"):
        (folder / name).write_bytes(b"%PDF-1.4 a punkt")
    (folder / "andet.pdf").write_bytes(b"%PDF-1.4 not named by the export")
    found = discover([folder])
    assert [p.name for p in found.files] == ["andet.pdf", "eDocAgendaPublishing.xml"]
    assert {p.rsplit("/", 1)[1]: r for p, r in found.skipped} == {
        n: "del af mødet i eDocAgendaPublishing.xml, som læses i stedet" for n in ("900.pdf", "901.pdf", "902.pdf")
    }


def test_the_edoc_export_is_read_from_its_structure(tmp_path) -> None:
    from nlp.readers import read_bytes

    meeting = read_bytes(EDOC.encode(), source="eDocAgendaPublishing.xml")
    assert (meeting.municipality, meeting.committee, meeting.date, meeting.time, meeting.kind) == (
        "Esbjerg",
        "Kultur- og Fritidsudvalget",
        "2025-03-03",
        "17:00",
        "referat",
    )
    first, second = meeting.punkter
    assert first.title == "Tilskud til foreninger i Esbjerg Kommune" and first.journal.raw == "2025-1234"
    assert first.decision == "Godkendt."
    assert second.closed and "Medarbejderens" not in str(second)


def test_acadre_docx_beside_nothing_is_read(tmp_path) -> None:
    folder = tmp_path / "acadre"
    folder.mkdir()
    (folder / "3687982.docx").write_bytes(_docx(ACADRE_DOCX_PARAGRAPHS))
    assert [p.name for p in discover([folder]).files] == ["3687982.docx"]


def test_a_discovery_is_handed_on_not_walked_again(tmp_path):
    """The CLI counts the files for its progress bar and hands that discovery to the ingest: the
    folder is walked once (a file added in between is not read by this ingest)."""
    from index.ingest import discover

    folder = tmp_path / "referater"
    folder.mkdir()
    (folder / "a.txt").write_text("x", encoding="utf-8")
    found = discover([folder])
    (folder / "b.txt").write_text("y", encoding="utf-8")
    assert discover(found) is found
    assert [p.name for p in discover(found).files] == ["a.txt"]
    assert [p.name for p in discover([folder]).files] == ["a.txt", "b.txt"]
