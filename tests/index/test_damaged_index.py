"""A damaged vector index never answers silently wrong: each damage either falls back to an intact
generation brought up to date with the store (the same answers as before the damage) or refuses with
a line naming `referat reindex`; `reindex` recovers from every one; a failed write leaves the
previous generation current."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index import generations
from index.archive import Archive
from index.generations import IndexDamagedError
from index.reindex import reindex
from tests.conftest import ROOT
from tests.index.test_store_ingest import small_referat

QUERIES = ("vinterbadning ved stranden", "cykelstier langs havnen", "værested for hjemløse", "solceller på skolen")
TOPICS = ("Om cykelstier langs havnen.", "Om solceller på taget af skolen.", "Om vinterbadning ved stranden.")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A home with two generations: a base with two meetings, then a delta with a third."""
    home = tmp_path_factory.mktemp("pristine") / "home"
    docs = home.parent / "docs"
    docs.mkdir()
    for i, topic in enumerate(TOPICS):
        (docs / f"{i}.txt").write_text(small_referat(date=f"0{i + 5}-11-2024", extra=topic), encoding="utf-8")
    archive = Archive(home)
    archive.ingest([docs / "0.txt", docs / "1.txt"], enrich=False)
    archive.ingest([docs / "2.txt"], enrich=False)
    archive.close()
    return home


def _fresh(home: Path) -> Archive:
    """An archive as a new process opens it: no base segment cached from before."""
    generations._BASES.clear()
    return Archive(home, create=False)


def _answers(archive: Archive) -> list[list[tuple[str, float]]]:
    return [[(h["id"], round(h["score"], 5)) for h in archive.search(q, limit=5).hits] for q in QUERIES]


@pytest.fixture()
def home(pristine, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(pristine, copy)
    return copy


@pytest.fixture(scope="module")
def expected(pristine, tmp_path_factory) -> list:
    copy = tmp_path_factory.mktemp("expected") / "home"
    shutil.copytree(pristine, copy)
    archive = _fresh(copy)
    assert archive.searcher().view is not None and archive.searcher().view.size > 0
    return _answers(archive)


def _generation_names(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if generations.NAME.fullmatch(p.name))


def _overwrite_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(255 - b for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


def _current(root: Path) -> Path:
    return root / generations.current_name(root)


# Damage that leaves an intact generation to fall back on: same answers, a warning in the log.
FALLBACK = {
    "CURRENT deleted": lambda root: (root / "CURRENT").unlink(),
    "CURRENT garbled": lambda root: (root / "CURRENT").write_bytes(b"\x00\xffgen-\x13 nonsense\n"),
    "CURRENT names a missing generation": lambda root: (root / "CURRENT").write_text("gen-999999999"),
    "current folder removed": lambda root: shutil.rmtree(_current(root)),
    "current manifest truncated": lambda root: (_current(root) / "manifest.json").write_text('{"name": "gen-'),
    "current manifest empty": lambda root: (_current(root) / "manifest.json").write_bytes(b""),
    "passage_punkt.npy overwritten": lambda root: _overwrite_middle(_current(root) / "passage_punkt.npy"),
    "delta_vectors.npy overwritten": lambda root: _overwrite_middle(_current(root) / "delta_vectors.npy"),
    "delta_ids.npy truncated": lambda root: (_current(root) / "delta_ids.npy").write_bytes(b"\x93NUMPY"),
}


def _all_manifests(root: Path, text: str) -> None:
    for name in _generation_names(root):
        (root / name / "manifest.json").write_text(text)


def _base(root: Path) -> Path:
    return next((root / "segments").glob("base-*.faiss"))


# Damage that leaves nothing intact: a refusal naming `referat reindex`, never lexical-only results.
REFUSED = {
    "every generation folder removed": lambda root: [shutil.rmtree(root / n) for n in _generation_names(root)],
    "the whole index folder removed": lambda root: shutil.rmtree(root),
    "every manifest truncated": lambda root: _all_manifests(root, "{"),
    "base segment overwritten": lambda root: _overwrite_middle(_base(root)),
    "base segment truncated": lambda root: _base(root).write_bytes(_base(root).read_bytes()[:100]),
    "base segment ids removed": lambda root: Path(str(_base(root)) + ".ids.npy").unlink(),
    "segments folder removed": lambda root: shutil.rmtree(root / "segments"),
}


@pytest.mark.parametrize("damage", FALLBACK)
def test_damage_with_an_intact_generation_falls_back_to_the_same_answers(home, expected, damage, caplog):
    FALLBACK[damage](home / "index")
    archive = _fresh(home)
    with caplog.at_level("WARNING", logger="index.generations"):
        assert _answers(archive) == expected
    assert "referat reindex" in caplog.text  # said, not silent
    assert archive.searcher().view.size == _fresh_size(home)


def _fresh_size(home: Path) -> int:
    archive = Archive(home, create=False)
    return archive.store.db.execute("SELECT COUNT(*) FROM passages WHERE vector IS NOT NULL").fetchone()[0]


@pytest.mark.parametrize("damage", REFUSED)
def test_damage_without_an_intact_generation_refuses_naming_reindex(home, damage):
    REFUSED[damage](home / "index")
    archive = _fresh(home)
    with pytest.raises(IndexDamagedError, match="kør 'referat reindex'") as refused:
        archive.search(QUERIES[0])
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("damage", [*FALLBACK, *REFUSED])
def test_reindex_recovers_from_every_damage(home, expected, damage):
    (FALLBACK | REFUSED)[damage](home / "index")
    report = reindex(_fresh(home))
    assert report["passager"] == _fresh_size(home)
    root = home / "index"
    generations._BASES.clear()
    generations.check(root, generations.current_name(root))  # every checksum matches
    assert not [p for p in root.iterdir() if ".tmp" in p.name or ".old" in p.name]
    assert _answers(_fresh(home)) == expected


@pytest.mark.parametrize("damage", ["passage_punkt.npy overwritten", "current manifest truncated"])
def test_an_ingest_over_a_damaged_generation_rebuilds_instead_of_carrying_it_on(home, tmp_path, damage):
    FALLBACK[damage](home / "index")
    archive = _fresh(home)
    extra = tmp_path / "extra.txt"
    extra.write_text(small_referat(date="09-11-2024", extra="Om en ny skøjtebane på torvet."), encoding="utf-8")
    archive.ingest([extra], enrich=False)
    root = home / "index"
    manifest = generations.check(root, generations.current_name(root))
    assert manifest.base_log == manifest.log  # a fresh base, not the damaged arrays carried over
    after = _answers(_fresh(home))
    reindex(_fresh(home))
    assert _answers(_fresh(home)) == after


def test_a_store_without_vectors_is_searched_lexically_without_complaint(home):
    shutil.rmtree(home / "index")
    archive = _fresh(home)
    with archive.store.transaction() as db:
        db.execute("UPDATE passages SET vector = NULL")
    hits = archive.search("vinterbadning").hits
    assert hits and archive.searcher().view is None


def test_a_generation_ahead_of_the_store_is_not_trusted(home):
    """The store restored from an older backup: the index covers passages the store never logged."""
    archive = _fresh(home)
    first = min(generations.Manifest.read(home / "index" / n).log for n in _generation_names(home / "index"))
    with archive.store.transaction() as db:
        db.execute("DELETE FROM index_log WHERE seq >= ?", (first,))
    with pytest.raises(IndexDamagedError, match="dækker mere af arkivet"):
        _fresh(home).search(QUERIES[0])


def test_old_generations_without_checksums_are_refused(home):
    root = home / "index"
    for name in _generation_names(root):
        manifest = generations.Manifest.read(root / name)
        manifest.format, manifest.files = 3, {}
        (root / name / "manifest.json").write_text(json.dumps(manifest.__dict__))
    with pytest.raises(IndexDamagedError, match="format 3"):
        _fresh(home).search(QUERIES[0])


UPDATE_UNDER_LIMIT = """
import resource, signal, sys
from pathlib import Path
from index import generations
from index.store import Store
from index.operational import DiskFullError
home = Path(sys.argv[1])
store = Store(home / "referat.sqlite")
manifest = generations.current_manifest(home / "index")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), resource.RLIM_INFINITY))
try:
    generations.update(store, home / "index", model=manifest.model, dim=manifest.dim, rebuild=sys.argv[2] == "rebuild")
except DiskFullError as exc:
    print("full:", exc)
"""


@pytest.mark.parametrize(("mode", "limit"), [("rebuild", 9000), ("delta", 4000)])
def test_a_write_that_fails_leaves_the_previous_generation_current_and_nothing_half_written(home, mode, limit):
    """A real failing write: the file size limit (RLIMIT_FSIZE, EFBIG) in a child process stops the
    new base segment (rebuild) or the new generation's delta (an incremental update) half-way."""
    root = home / "index"
    if mode == "delta":  # something for an incremental update to write
        archive = _fresh(home)
        with archive.store.transaction() as db:
            db.execute("DELETE FROM passages WHERE id = (SELECT MIN(id) FROM passages)")
        archive.close()
    before = generations.current_name(root)
    files_before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    proc = subprocess.run(
        [sys.executable, "-c", UPDATE_UNDER_LIMIT, str(home), mode, str(limit)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.stdout.startswith("full:") and "plads" in proc.stdout, proc.stdout + proc.stderr
    assert generations.current_name(root) == before
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == files_before
    generations.check(root, before)
