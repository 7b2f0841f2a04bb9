"""The SQLite store and ingest: documents kept, meetings told apart, nothing silently replaced or lost."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from index import writer
from index.ingest import Overrides, ingest_paths
from index.operational import OperationalError
from index.store import Store
from tests.conftest import SAMPLE, odense_file, shared_path


@pytest.fixture()
def store(tmp_path):
    return Store(tmp_path / "home" / "referat.sqlite")


def _counts(store: Store) -> dict:
    db = store.db
    return {
        t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("meetings", "documents", "punkter", "sections", "attachments", "passages")
    }


def small_referat(kind: str = "REFERAT", *, date: str = "12-11-2024", time: str = "14:00", extra: str = "") -> str:
    """A referat in Odense's text layout, small enough to read at a glance."""
    d, m, y = date.split("-")
    return (
        f"{kind} Testudvalget d. {date}\n\nMødedato: {int(d)}. november {y} kl. {time}\nMødested: Rådhuset\n\n"
        "Punkt 1: Godkendelse af dagsorden\n\nBeslutning\nGodkendt.\n\n"
        "Punkt 2: B-sag: Nyt værested for hjemløse\n\nResume\nOdense Kommune vil åbne et værested for hjemløse "
        f"borgere i Vollsmose. {extra}\n\nIndstilling\nForvaltningen indstiller, at udvalget godkender planen.\n\n"
        + ("Beslutning\nGodkendt.\n" if kind == "REFERAT" else "")
    )


def test_ingest_is_idempotent(store):
    first = ingest_paths(store, [SAMPLE / "odense"])
    assert first.ok and first.meetings == 5 and first.punkter == 70
    before = _counts(store)
    log = store.log_position()
    second = ingest_paths(store, [SAMPLE / "odense"])
    assert second.ok and second.meetings == 0 and second.unchanged == 5
    assert _counts(store) == before
    assert store.log_position() == log  # nothing for the index to do either


def test_changed_file_replaces_its_own_document(store, tmp_path):
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
    counts = _counts(store)
    assert counts["meetings"] == 1 and counts["documents"] == 1 and counts["punkter"] == 4


@pytest.mark.parametrize("order", ["dagsorden-first", "referat-first"])
def test_a_referat_supersedes_its_dagsorden_in_either_order(store, tmp_path, order):
    agenda = tmp_path / "dagsorden.txt"
    minutes = tmp_path / "referat.txt"
    agenda.write_text(small_referat("DAGSORDEN", extra="Kun i dagsordenen: zebraord."), encoding="utf-8")
    minutes.write_text(small_referat("REFERAT", extra="Kun i referatet: giraford."), encoding="utf-8")
    files = [agenda, minutes] if order == "dagsorden-first" else [minutes, agenda]
    for f in files:
        assert ingest_paths(store, [f]).ok
    meetings = store.meetings()
    assert len(meetings) == 1, meetings
    docs = meetings[0]["documents"]
    assert sorted(d["kind"] for d in docs) == ["dagsorden", "referat"]  # both kept
    assert [d["kind"] for d in docs if d["searched"]] == ["referat"]
    punkt = store.punkt(f"{meetings[0]['id']}/2")
    text = " ".join(s["text"] for s in punkt["sections"])
    assert "giraford" in text and "zebraord" not in text
    assert punkt["decision"] == "Godkendt."
    # re-ingesting the unsearched dagsorden changes nothing and is reported as unchanged
    again = ingest_paths(store, [agenda])
    assert again.unchanged == 1 and _counts(store)["documents"] == 2


def test_a_newer_version_of_a_document_replaces_the_older(store, tmp_path):
    first = tmp_path / "v1.txt"
    second = tmp_path / "v2.txt"
    first.write_text(small_referat(extra="Første udgave."), encoding="utf-8")
    second.write_text(small_referat(extra="Rettet udgave."), encoding="utf-8")
    ingest_paths(store, [first])
    ingest_paths(store, [second])
    meeting = store.meetings()[0]
    assert len(meeting["documents"]) == 2 and [d["path"] for d in meeting["documents"] if d["searched"]] == [
        str(second.resolve())
    ]
    assert "Rettet udgave" in store.punkt(f"{meeting['id']}/2")["sections"][0]["text"]


def test_two_meetings_of_one_committee_on_one_day_are_two_meetings(store):
    files = sorted(shared_path("corpus", "greve-firstagenda-more").glob("Byråd 2022-2025_2025-09-08T*.json"))
    assert len(files) == 2, files
    report = ingest_paths(store, files)
    assert report.ok and report.meetings == 2 and report.punkter == 52
    meetings = store.meetings()
    assert len(meetings) == 2
    assert sorted(m["punkter"] for m in meetings) == [3, 49]
    assert len({m["id"] for m in meetings}) == 2
    assert {m["time"] for m in meetings} == {"17:15", "17:30"}
    assert _counts(store)["punkter"] == 52  # nothing lost


def test_a_file_without_municipality_asks_for_it(store, tmp_path):
    path = tmp_path / "referat.txt"
    path.write_text(small_referat().replace("Odense Kommune", "Kommunen"), encoding="utf-8")
    report = ingest_paths(store, [path])
    assert not report.ok and "--municipality" in report.failures[0][1]
    assert _counts(store)["documents"] == 0
    report = ingest_paths(store, [path], overrides=Overrides(municipality="Faaborg-Midtfyn"))
    assert report.ok
    assert store.meetings()[0]["id"].startswith("faaborg-midtfyn/testudvalget/")


def test_a_crash_mid_file_leaves_the_previous_state(store, tmp_path, monkeypatch):
    path = tmp_path / "referat.txt"
    shutil.copy(odense_file("2021-02-02"), path)
    ingest_paths(store, [path])
    before = _counts(store)
    path.write_text(path.read_text(encoding="utf-8").replace("Aktuelle sager", "Ændret"), encoding="utf-8")

    calls = {"n": 0}
    original = writer._insert_punkt

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return original(*args, **kwargs)

    monkeypatch.setattr(writer, "_insert_punkt", failing)
    # An operational error (here a write error) stops the ingest in one typed error: the next file would fail too.
    with pytest.raises(OperationalError, match="disk I/O error"):
        ingest_paths(store, [path])
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
    pid = store.resolve_punkt("odense/beskaeftigelses-og-socialudvalget/2025-11-25/4")
    assert store.db.execute("SELECT COUNT(*) FROM sections WHERE punkt = ?", (pid,)).fetchone()[0] == 0
    passages = store.db.execute("SELECT section, text FROM passages WHERE punkt = ?", (pid,)).fetchall()
    assert [(p["section"], p["text"]) for p in passages] == [("Titel", closed["title"])]
    content = json.loads(__import__("zlib").decompress(store.db.execute("SELECT content FROM documents").fetchone()[0]))
    kept = next(p for p in content["punkter"] if p["number"] == 4)
    assert kept["sections"] == []  # the kept document holds no closed body either


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
    assert {"id", "municipality", "committee", "date"} <= set(data["meeting"])
    assert data["absent"] == ["Joachim Hoffmann-Petersen", "Mads Thomsen"]


def test_same_journal_number_links_a_case_history(store):
    ingest_paths(store, [SAMPLE / "odense"])
    links = store.punkt("odense/beskaeftigelses-og-socialudvalget/2025-11-25/17")["links"]
    targets = {link["target_id"] for link in links if link["kind"] == "same_case"}
    assert "odense/beskaeftigelses-og-socialudvalget/2025-05-06/9" in targets
    assert "odense/beskaeftigelses-og-socialudvalget/2024-11-12/16" in targets


def test_a_dated_reference_is_resolved_through_an_index_not_a_scan(store):
    """Resolving each dated reference scanned every punkt of the municipality: a meeting added to
    Greve's 3,131 punkter spent 5.2 s there (0.2 s with the index), and it grew with the archive."""
    from index.links import TARGETS

    plan = " ".join(str(row[-1]) for row in store.db.execute(f"EXPLAIN QUERY PLAN {TARGETS}", ("Greve", "2024-01-08")))
    assert "punkter_place_date" in plan, plan


def test_links_are_the_same_whatever_the_order_of_ingest(tmp_path):
    files = sorted((SAMPLE / "odense").glob("*.txt"))

    def all_links(store: Store) -> set:
        return {
            (a, b, k)
            for a, b, k in store.db.execute(
                "SELECT s.slug, t.slug, l.kind FROM links l JOIN punkter s ON s.id = l.punkt "
                "JOIN punkter t ON t.id = l.target"
            )
        }

    forward = Store(tmp_path / "a" / "referat.sqlite")
    for f in files:
        ingest_paths(forward, [f])
    backward = Store(tmp_path / "b" / "referat.sqlite")
    for f in reversed(files):
        ingest_paths(backward, [f])
    assert all_links(forward) and all_links(forward) == all_links(backward)
