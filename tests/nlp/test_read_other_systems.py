"""The other publication systems of `../shared/corpus/other-systems` against the hand-written gold
(`tests/fixtures/structure-other-systems.json`): eDoc, Acadre MM, eDoc Fujitsu, FirstAgenda web
pages. `bench/coverage.py` prints the same comparison as figures."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from index.ingest import discover
from nlp.errors import NotAReferatError
from nlp.readers import read_path
from tests.conftest import FIXTURES, ROOT

try:
    from tests.conftest import shared_path
except ImportError:  # until the shared helper lands in tests/conftest.py

    def shared_path(*parts: str) -> Path:
        path = ROOT.parent.joinpath("shared", *parts)
        if not path.exists():
            reason = f"the development corpus is not here: {path} (../shared beside the checkout)"
            if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
                pytest.fail(reason, pytrace=False)
            pytest.skip(reason)
        return path


GOLD = json.loads((FIXTURES / "structure-other-systems.json").read_text(encoding="utf-8"))["documents"]
READ = [d for d in GOLD if "punkter" in d and not d.get("extract")]


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").strip())


@pytest.mark.parametrize("doc", READ, ids=[f"{d['system']}:{Path(d['path']).name}" for d in READ])
def test_every_punkt_title_case_number_decision_and_closed_flag(doc: dict) -> None:
    meeting = read_path(shared_path("corpus", "other-systems", doc["path"]))
    want = doc["meeting"]
    assert (meeting.municipality, meeting.committee, meeting.date, meeting.time, meeting.kind) == (
        want["municipality"] or "",
        want["committee"],
        want["date"],
        want["time"],
        want["kind"],
    )
    assert [p.number for p in meeting.punkter] == [g["number"] for g in doc["punkter"]]
    for punkt, gold in zip(meeting.punkter, doc["punkter"], strict=True):
        assert _norm(punkt.title) == _norm(gold["title"])
        assert punkt.closed == gold["closed"]
        if gold["closed"]:
            assert not punkt.sections and punkt.decision is None
        assert (punkt.journal.raw if punkt.journal else None) == gold["case_number"]
        if gold["decision"]:
            assert _norm(punkt.decision).startswith(_norm(gold["decision"]))


def test_a_folder_reads_each_meeting_once_and_names_every_other_file() -> None:
    corpus = shared_path("corpus", "other-systems")
    found = discover([corpus])
    read = {p.name for p in found.files}
    skipped = {Path(p).name: reason for p, reason in found.skipped}
    assert read == {"eDocAgendaPublishing.xml", "3687981.xml", "v1.xml", "v2.xml", "dagsorden.html", "listing.html"}
    for doc in GOLD:
        if doc.get("part_of"):
            assert doc["part_of"] in skipped[Path(doc["path"]).name]
    every = {p.name for p in corpus.rglob("*") if p.is_file()}
    assert every == read | set(skipped)  # nothing left out without a word


@pytest.mark.parametrize("doc", [d for d in GOLD if d.get("alone") == "refused"], ids=lambda d: Path(d["path"]).name)
def test_a_part_on_its_own_is_refused_with_a_reason(doc: dict) -> None:
    with pytest.raises(NotAReferatError) as info:
        read_path(shared_path("corpus", "other-systems", doc["path"]))
    assert re.search(r"enkelt punkt|intet mødehoved|indeks", str(info.value))


def test_a_listing_page_is_named_with_what_it_lists() -> None:
    with pytest.raises(NotAReferatError, match="oversigt over 20 møder"):
        read_path(shared_path("corpus", "other-systems", "firstagenda-html-aarhus", "listing.html"))
