"""Hostile input in the new containers: nesting, entity bombs, zip bombs, huge agendas."""

from __future__ import annotations

import io
import zipfile

import pytest

from nlp.errors import NotAReferatError
from nlp.readers import read_bytes


def test_deeply_nested_html_is_refused_with_a_reason() -> None:
    page = b"<html><body>" + b"<div>" * 50_000 + b"x" + b"</div>" * 50_000 + b"</body></html>"
    with pytest.raises(NotAReferatError, match="ingen nummererede punkter"):
        read_bytes(page, source="dyb.html")


def test_an_xml_entity_bomb_is_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Meeting><MeetingAgendaTypes>&c;</MeetingAgendaTypes></Meeting>'
    )
    with pytest.raises(NotAReferatError, match="entitetserklæringer"):
        read_bytes(bomb, source="bombe.xml")


def test_a_zip_bomb_posing_as_docx_is_refused(monkeypatch) -> None:
    from nlp.readers import blocks

    monkeypatch.setattr(blocks, "MAX_UNPACKED", 1_000_000)  # the real limit is 200 MB unpacked
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document>" + b" " * 2_000_000 + b"</w:document>")
    with pytest.raises(NotAReferatError, match="for stort"):
        read_bytes(buffer.getvalue(), source="bombe.docx")


def test_an_agenda_of_twelve_thousand_punkter_keeps_them_all() -> None:
    items = b"".join(
        b"<h2>%d. Sag om noget</h2><p>Sagsnr.: 25/%d</p><h3>Beslutning</h3><p>Godkendt.</p>" % (i, i)
        for i in range(1, 12_001)
    )
    page = b"<html><body><p>Referat</p><p>Byr\xc3\xa5det</p><p>3. marts 2025</p>" + items + b"</body></html>"
    meeting = read_bytes(page, source="stor.html")
    assert len(meeting.punkter) == 12_000 and meeting.punkter[-1].decision == "Godkendt."
