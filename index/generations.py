"""Index generations: the vector index as a view of the store, updated without a rebuild and
switched atomically.

A generation is read from the store inside one read transaction and named after the store's log
position it covers (`gen-000123`). It is written to a temporary folder, renamed into place, and
only then made current by replacing the `CURRENT` file (one `os.replace`), so a reader never sees
a half-written generation. An update reuses the immutable base segment and writes only the delta
(passages added since the base), the tombstones (base passages removed since) and the passage ->
punkt map; when the delta and tombstones outgrow `settings.merge_ratio` of the base, or the model
or settings change, the base is rebuilt. Writers are serialised by the ingest lock (`index.locks`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.store import Store
from index.vectors import VectorView, build_segment, kind_of, read_index, write_index
from nlp.errors import IndexMismatchError
from nlp.settings import settings

log = logging.getLogger(__name__)

FORMAT = 3  # bump when the files of a generation change


@dataclass
class Manifest:
    name: str
    log: int  # the store's index_log position this generation covers
    model: str
    dim: int
    base: str  # file name under segments/
    base_log: int
    kind: str
    passages: int
    format: int = FORMAT
    settings: dict = field(default_factory=dict)
    built_at: float = 0.0

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        return cls(**json.loads((folder / "manifest.json").read_text()))


def _index_settings() -> dict:
    return {"ann_threshold": settings.ann_threshold, "ivf_probe_share": settings.ivf_probe_share}


def current_name(root: Path) -> str | None:
    try:
        return (root / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def current_manifest(root: Path) -> Manifest | None:
    name = current_name(root)
    if not name or not (root / name / "manifest.json").exists():
        return None
    return Manifest.read(root / name)


def _vectors(db, ids: list[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, punkt ids, vectors) of passages that have a vector; all of them, or the given ids.
    One read gives both the segment's vectors and the passage -> punkt map."""
    sql = "SELECT id, punkt, vector FROM passages WHERE vector IS NOT NULL"
    if ids is None:
        rows = db.execute(sql + " ORDER BY id").fetchall()
    else:
        rows = []
        for i in range(0, len(ids), 900):
            chunk = ids[i : i + 900]
            rows += db.execute(f"{sql} AND id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        rows.sort(key=lambda r: r[0])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros((0, 0), dtype=np.float32)
    got = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    punkter = np.fromiter((r[1] for r in rows), dtype=np.int32, count=len(rows))
    vectors = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    return got, punkter, vectors


def _set_punkter(passage_punkt: np.ndarray, ids: np.ndarray, punkter: np.ndarray) -> np.ndarray:
    """The passage -> punkt map with `ids` set, grown to hold them."""
    top = int(ids.max()) + 1 if len(ids) else 0
    if top > len(passage_punkt):
        passage_punkt = np.concatenate([passage_punkt, np.full(top - len(passage_punkt), -1, np.int32)])
    passage_punkt[ids] = punkter
    return passage_punkt


def update(store: Store, root: Path, *, model: str, dim: int, rebuild: bool = False, progress=None) -> Manifest:
    """Bring the vector index up to date with the store; returns the current generation's manifest."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "segments").mkdir(exist_ok=True)
    cur = current_manifest(root)
    purge = store.meta("purge_pending") is not None  # a punkt turned closed: no old vector may stay
    rebuild = rebuild or purge
    with store.snapshot() as db:
        position = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM index_log").fetchone()[0])
        compatible = (
            cur is not None
            and cur.format == FORMAT
            and cur.model == model
            and cur.settings == _index_settings()
            and (root / "segments" / cur.base).exists()
        )
        if compatible and not rebuild and cur.log == position:
            return cur
        started = time.time()
        if compatible and not rebuild:
            old = root / cur.name
            base_ids = np.load(root / "segments" / (cur.base + ".ids.npy"))
            d_ids = np.load(old / "delta_ids.npy")
            d_vectors = np.load(old / "delta_vectors.npy")
            tomb = set(np.load(old / "tombstones.npy").tolist())
            passage_punkt = np.load(old / "passage_punkt.npy")
            last: dict[int, str] = {}
            for pid, op in db.execute("SELECT passage, op FROM index_log WHERE seq > ? ORDER BY seq", (cur.log,)):
                last[pid] = op
            removed = np.array(sorted(p for p, op in last.items() if op == "del"), dtype=np.int64)
            added = sorted(p for p, op in last.items() if op == "add")
            tomb |= set(removed[np.isin(removed, base_ids)].tolist())
            keep = ~np.isin(d_ids, removed)
            new_ids, new_punkter, new_vectors = _vectors(db, added)
            d_ids = np.concatenate([d_ids[keep], new_ids])
            d_vectors = np.concatenate([d_vectors[keep], new_vectors]) if len(new_ids) else d_vectors[keep]
            # The passage -> punkt map: carried over, changed only where passages came and went.
            passage_punkt[removed[removed < len(passage_punkt)]] = -1
            passage_punkt = _set_punkter(passage_punkt, new_ids, new_punkter)
            rebuild = len(d_ids) + len(tomb) > max(1000, settings.merge_ratio * len(base_ids))
        if not compatible or rebuild:
            base_ids, base_punkter, vectors = _vectors(db)
            if vectors.size and vectors.shape[1] != dim:
                raise IndexMismatchError(
                    f"passagernes vektorer har dimension {vectors.shape[1]}, modellen '{model}' {dim}; "
                    "kør 'referat reindex --embed'"
                )
            if progress:
                progress(0, len(base_ids))
            base = build_segment(base_ids, vectors if vectors.size else np.zeros((0, dim), dtype=np.float32))
            del vectors
            base_name = f"base-{position:09d}.faiss"
            write_index(base, root / "segments" / base_name)
            np.save(root / "segments" / (base_name + ".ids.npy"), base_ids)
            base_log, kind = position, kind_of(base)
            d_ids, d_vectors, tomb = np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32), set()
            passage_punkt = _set_punkter(np.full(1, -1, dtype=np.int32), base_ids, base_punkter)
            if progress:
                progress(len(base_ids), len(base_ids))
        else:
            base_name, base_log, kind = cur.base, cur.base_log, cur.kind
    live = int((passage_punkt >= 0).sum())
    name = f"gen-{position:09d}"
    manifest = Manifest(
        name=name,
        log=position,
        model=model,
        dim=dim,
        base=base_name,
        base_log=base_log,
        kind=kind,
        passages=live,
        settings=_index_settings(),
        built_at=time.time(),
    )
    tmp = root / f"{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    np.save(tmp / "delta_ids.npy", d_ids)
    np.save(tmp / "delta_vectors.npy", d_vectors.reshape(len(d_ids), dim))
    np.save(tmp / "tombstones.npy", np.array(sorted(tomb), dtype=np.int64))
    np.save(tmp / "passage_punkt.npy", passage_punkt)
    (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))
    final = root / name
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    pointer = root / f"CURRENT.tmp-{os.getpid()}"
    pointer.write_text(name)
    os.replace(pointer, root / "CURRENT")  # the one atomic step
    _collect_garbage(root, keep={name} if purge else {name, cur.name if cur else name})
    if purge:
        with store.transaction() as db:
            db.execute("DELETE FROM meta WHERE key = 'purge_pending'")
    log.info("index generation %s (%s, %d passages) in %.1fs", name, kind, live, time.time() - started)
    return manifest


def _collect_garbage(root: Path, keep: set[str]) -> None:
    """Old generations (all but the current and the previous) and segments none of them uses."""
    used: set[str] = set()
    for folder in root.glob("gen-*"):
        if folder.name in keep:
            used.add(Manifest.read(folder).base)
        elif folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
    for segment in (root / "segments").glob("base-*.faiss"):
        if segment.name not in used:
            segment.unlink(missing_ok=True)
            Path(str(segment) + ".ids.npy").unlink(missing_ok=True)


_BASES: dict[str, object] = {}  # segment path -> loaded index: a new generation reuses its base


def load(root: Path, name: str | None = None) -> tuple[Manifest, VectorView] | None:
    """The named (default: current) generation, loaded for searching; None if there is none."""
    name = name or current_name(root)
    if not name or not (root / name / "manifest.json").exists():
        return None
    folder = root / name
    manifest = Manifest.read(folder)
    base_path = str(root / "segments" / manifest.base)
    base = _BASES.get(base_path)
    if base is None:
        base = read_index(Path(base_path))
        _BASES.clear()  # keep one base per process: the old one goes with the old generation
        _BASES[base_path] = base
    view = VectorView(
        base,
        np.load(folder / "delta_ids.npy"),
        np.load(folder / "delta_vectors.npy"),
        np.load(folder / "passage_punkt.npy"),
        np.load(folder / "tombstones.npy"),
    )
    return manifest, view
