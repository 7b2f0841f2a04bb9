from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: The development corpus beside a checkout (`../shared`): corpora, gold, NER data. Not in the repository.
SHARED = ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path in the development corpus, for the few tests that need more than the repository ships.

    Every test that reads `../shared` goes through here: without it the test is skipped and says
    why (a fresh clone passes), but in CI (`CI=true`) a missing corpus is a failure, not a quiet skip.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"the development corpus is not here: {path} (../shared beside the checkout)"
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):  # as tests/api/test_web_browser.py reads it
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


def odense_file(date: str) -> Path:
    return SAMPLE / "odense" / f"odense-beskaeftigelses-og-socialudvalget-{date}.txt"


BAD_FILES = ("empty.txt", "binary.pdf", "foreign.json", "novel.md")


@pytest.fixture()
def mixed_folder(tmp_path) -> Path:
    """One good referat beside one file of each kind that is not a referat."""
    import shutil

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(odense_file("2021-02-02"), folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.pdf").write_bytes(b"%PDF-1.4\n\x00\x01garbage")
    (folder / "foreign.json").write_text('{"hello": "world"}')
    (folder / "novel.md").write_text("Der var engang en konge.\n")
    return folder


@pytest.fixture(scope="session")
def structure_gold() -> dict:
    return json.loads((FIXTURES / "structure.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def queries_gold() -> dict:
    return json.loads((FIXTURES / "queries-dev.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def archive(tmp_path_factory):
    """The bundled sample, ingested and enriched once per test session (the slow part of the suite)."""
    from index.archive import Archive

    # REFERAT_TEST_HOME reuses an archive across runs while developing (ingest is idempotent).
    home = os.environ.get("REFERAT_TEST_HOME") or tmp_path_factory.mktemp("referat-home")
    archive = Archive(home)
    report = archive.ingest([SAMPLE])
    assert report.ok, report.failures
    return archive


#: The keys DESIGN.md promises on every search hit (`referat search --json`, `/api/search`).
HIT_KEYS = {"id", "municipality", "committee", "meeting_date", "number", "title", "case_type", "score", "snippet"}

PREFIX_DATES = {"000": "2024-11-12", "001": "2020-05-26", "002": "2025-05-06", "003": "2021-02-02", "004": "2025-11-25"}


def gold_punkt_id(ref: str) -> str:
    """`004#15` -> the punkt id of the sample store."""
    prefix, number = ref.split("#")
    return f"odense/beskaeftigelses-og-socialudvalget/{PREFIX_DATES[prefix]}/{number}"
