"""The SQLite store and ingest: idempotent, a changed file replaces its meeting, atomic per file."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from index.ingest import ingest_paths
from index.store import Store
from tests.conftest import SAMPLE, odense_file


@pytest.fixture()
def store(tmp_path):
    return Store(tmp_path / "home" / "referat.sqlite")


def _counts(store: Store) -> dict:
    db = store.db
    return {
        t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("meetings", "punkter", "sections", "attachments", "files")
    }


def test_ingest_is_idempotent(store):
    first = ingest_paths(store, [SAMPLE / "odense"])
    assert first.ok and first.meetings == 5 and first.punkter == 70
    before = _counts(store)
    generation = store.generation()
    second = ingest_paths(store, [SAMPLE / "odense"])
    assert second.ok and second.meetings == 0 and second.unchanged == 5
    assert _counts(store) == before
    assert store.generation() == generation


def test_changed_file_replaces_its_meeting(store, tmp_path):
    path = tmp_path / "referat.txt"
    shutil.copy(odense_file("2021-02-02"), path)
    ingest_paths(store, [path])
    pid = "odense/beskaeftigelses-og-socialudvalget/2021-02-02/4"
    assert "Aktuelle sager" in store.punkt(pid)["title"]
    text = path.read_text(encoding="utf-8").replace("Punkt 4: Aktuelle sager", "Punkt 4: Aktuelle sager og nyt")
    path.write_text(text, encoding="utf-8")
    report = ingest_paths(store, [path])
    assert report.meetings == 1
    assert store.punkt(pid)["title"] == "Aktuelle sager og nyt"
    assert _counts(store)["meetings"] == 1 and _counts(store)["punkter"] == 4


def test_a_crash_mid_file_leaves_the_previous_state(store, tmp_path, monkeypatch):
    path = tmp_path / "referat.txt"
    shutil.copy(odense_file("2021-02-02"), path)
    ingest_paths(store, [path])
    before = _counts(store)
    path.write_text(path.read_text(encoding="utf-8").replace("Aktuelle sager", "Ændret"), encoding="utf-8")

    calls = {"n": 0}
    original = Store._insert_punkt

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "_insert_punkt", failing)
    report = ingest_paths(store, [path])
    assert not report.ok and "disk I/O error" in report.failures[0][1]
    assert _counts(store) == before
    assert store.punkt("odense/beskaeftigelses-og-socialudvalget/2021-02-02/4")["title"] == "Aktuelle sager"


def test_bad_files_are_reported_and_the_rest_go_in(store, tmp_path, mixed_folder):
    folder = mixed_folder
    report = ingest_paths(store, [folder, tmp_path / "missing.txt"])
    reasons = dict(report.failures)
    assert report.meetings == 1 and len(report.failures) == 5
    assert "tom" in reasons[str(folder / "empty.txt")]
    assert "findes ikke" in reasons[str(tmp_path / "missing.txt")]
    assert _counts(store)["punkter"] == 4


def test_closed_punkt_is_stored_with_title_only(store):
    ingest_paths(store, [odense_file("2025-11-25")])
    closed = store.punkt("odense/beskaeftigelses-og-socialudvalget/2025-11-25/4")
    assert closed["closed"] and closed["title"].startswith("Lukket:")
    assert closed["sections"] == [] and closed["decision"] is None and closed["entities"] == []
    rows = store.db.execute("SELECT COUNT(*) FROM sections WHERE punkt_id LIKE '%/2025-11-25/4'").fetchone()[0]
    assert rows == 0


def test_show_shape_matches_design(store):
    ingest_paths(store, [odense_file("2025-11-25")])
    data = store.punkt("odense/beskaeftigelses-og-socialudvalget/2025-11-25/15")
    for key in (
        "id",
        "number",
        "title",
        "case_type",
        "journal_number",
        "closed",
        "meeting",
        "sections",
        "decision",
        "absent",
        "attachments",
        "entities",
        "amounts",
        "laws",
        "themes",
        "kle",
        "links",
    ):
        assert key in data
    assert set(data["meeting"]) == {"id", "municipality", "committee", "date"}
    assert data["absent"] == ["Joachim Hoffmann-Petersen", "Mads Thomsen"]


def test_same_journal_number_links_a_case_history(store):
    ingest_paths(store, [SAMPLE / "odense"])
    links = store.punkt("odense/beskaeftigelses-og-socialudvalget/2025-11-25/17")["links"]
    targets = {link["target_id"] for link in links if link["kind"] == "same_case"}
    assert "odense/beskaeftigelses-og-socialudvalget/2025-05-06/9" in targets
    assert "odense/beskaeftigelses-og-socialudvalget/2024-11-12/16" in targets
