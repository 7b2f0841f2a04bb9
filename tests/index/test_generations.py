"""The vector index as generations of a view of the store: incremental, atomic, one writer at a time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index import generations
from index.archive import Archive
from index.locks import ArchiveBusyError, ingest_lock
from index.store import StoreError
from tests.index.test_store_ingest import small_referat


def _write(folder, name: str, text: str):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def small_archive(tmp_path):
    archive = Archive(tmp_path / "home")
    docs = tmp_path / "docs"
    docs.mkdir()
    return archive, docs


def test_a_new_meeting_is_added_to_the_index_without_a_rebuild(small_archive):
    archive, docs = small_archive
    first = _write(docs, "a.txt", small_referat(date="12-11-2024", extra="Om cykelstier."))
    archive.ingest([first], enrich=False)
    g1 = generations.current_manifest(archive.index_root)
    assert g1 is not None and g1.passages > 0
    second = _write(docs, "b.txt", small_referat(date="03-12-2024", extra="Om vinterbadning ved stranden."))
    archive.ingest([second], enrich=False)
    g2 = generations.current_manifest(archive.index_root)
    assert g2.name != g1.name
    assert g2.base == g1.base  # the base segment was reused, not rebuilt
    delta = np.load(archive.index_root / g2.name / "delta_ids.npy")
    new_ids = [
        r[0]
        for r in archive.store.db.execute(
            "SELECT id FROM passages WHERE punkt IN (SELECT id FROM punkter WHERE date = '2024-12-03')"
        )
    ]
    assert sorted(delta.tolist()) == sorted(new_ids)
    hits = archive.search("vinterbadning ved stranden", limit=3).hits
    assert hits and hits[0]["meeting_date"] == "2024-12-03"


def test_a_changed_file_leaves_no_old_vectors_searchable(small_archive):
    archive, docs = small_archive
    path = _write(docs, "a.txt", small_referat(extra="Et stort akvarium med hajer."))
    archive.ingest([path], enrich=False)
    old_ids = {r[0] for r in archive.store.db.execute("SELECT id FROM passages")}
    path.write_text(small_referat(extra="En ny legeplads med gynger."), encoding="utf-8")
    archive.ingest([path], enrich=False)
    manifest = generations.current_manifest(archive.index_root)
    tomb = set(np.load(archive.index_root / manifest.name / "tombstones.npy").tolist())
    assert old_ids <= tomb  # every old passage is deleted from the view
    searcher = archive.searcher()
    live = set(np.nonzero(searcher.view.passage_punkt >= 0)[0].tolist())
    assert not (live & old_ids)
    top = archive.search("akvarium med hajer", limit=5)
    assert all("hajer" not in h["snippet"] for h in top.hits)


def test_current_switches_in_one_step_and_old_generations_are_collected(small_archive):
    archive, docs = small_archive
    for i, day in enumerate(["05", "06", "07", "08"]):
        archive.ingest(
            [_write(docs, f"{i}.txt", small_referat(date=f"{day}-11-2024", extra=f"Emne nummer {i}."))], enrich=False
        )
    root = archive.index_root
    current = generations.current_name(root)
    folders = sorted(p.name for p in root.glob("gen-*"))
    assert current in folders and len(folders) <= 2  # the current and the previous one
    assert not list(root.glob("*.tmp*"))
    manifest = json.loads((root / current / "manifest.json").read_text())
    assert manifest["log"] == archive.store.log_position()


def test_a_running_searcher_picks_up_a_new_generation(small_archive):
    archive, docs = small_archive
    archive.ingest([_write(docs, "a.txt", small_referat(date="05-11-2024"))], enrich=False)
    reader = Archive(archive.home, create=False)  # like a server process: its own archive object
    assert not reader.search("solceller på taget af skolen").hits or reader.search("solceller").low_confidence
    archive.ingest(
        [_write(docs, "b.txt", small_referat(date="06-11-2024", extra="Solceller på taget af skolen."))], enrich=False
    )
    hits = reader.search("solceller på taget af skolen", limit=3).hits
    assert hits and hits[0]["meeting_date"] == "2024-11-06"
    assert reader.searcher().generation == generations.current_name(archive.index_root)


def test_two_writers_are_serialised_with_a_clear_message(small_archive):
    archive, docs = small_archive
    with ingest_lock(archive.home):
        with pytest.raises(ArchiveBusyError, match="anden indlæsning"):
            archive.ingest([_write(docs, "a.txt", small_referat())], enrich=False)


def test_the_store_refuses_vectors_of_another_model(small_archive):
    archive, docs = small_archive
    archive.ingest([_write(docs, "a.txt", small_referat())], enrich=False)
    with archive.store.transaction() as db:
        db.execute("UPDATE meta SET value = 'some-other-model' WHERE key = 'embed_model'")
    with pytest.raises(StoreError, match="some-other-model"):
        archive.ingest([_write(docs, "b.txt", small_referat(date="13-11-2024"))], enrich=False)


def test_reindex_enriches_what_was_ingested_without_nlp(small_archive):
    from index.reindex import reindex

    archive, docs = small_archive
    archive.ingest([_write(docs, "a.txt", small_referat())], enrich=False)
    slug = archive.store.meetings()[0]["id"] + "/2"
    assert archive.store.punkt(slug)["enrich_version"] is None
    report = reindex(archive, enrich=True)
    assert report["dokumenter_beriget"] == 1
    punkt = archive.store.punkt(slug)
    assert punkt["enrich_version"] and punkt["themes"]
    assert reindex(archive, enrich=True)["dokumenter_beriget"] == 0  # nothing stale any more
