"""Index generations: the vector index as a view of the store, updated without a rebuild and
switched atomically, checked rather than trusted.

A generation is read from the store inside one read transaction and named after the store's log
position it covers (`gen-000123`). It is written to a temporary folder, renamed into place, and
only then made current by replacing the `CURRENT` file (one `os.replace`), so a reader never sees
a half-written generation; a write that fails (a full disk) removes what it wrote and leaves
`CURRENT` on the previous generation. An update reuses the immutable base segment and writes only
the delta (passages added since the base), the tombstones (base passages removed since) and the
passage -> punkt map; when `index.merge_policy` says the changes outgrow the base, or
the model or settings change, the base is rebuilt. Writers are serialised by the ingest lock
(`index.locks`).

The manifest records the size and sha256 of every file of the generation and of its base segment.
A reader verifies them before it uses a generation (`load`); when the current one is missing or
damaged it takes the newest intact earlier generation and brings it up to date with the store's log
in memory, so the answers are those of a good current generation, and says so in the log. With no
intact generation and vectors in the store it refuses (`IndexDamagedError`, naming `referat
reindex`) instead of searching lexical-only without a word; a store without vectors is searched
lexically, as it always was. `update` trusts only a verified current generation and rebuilds
otherwise, so `referat reindex` (and the next ingest) recover from any damage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.merge_policy import MergePolicy
from index.operational import translate
from index.store import Store, write_meta
from index.vectors import VectorView, build_segment, kind_of, read_index, write_index
from nlp.errors import IndexMismatchError, ReferatError
from nlp.settings import settings

log = logging.getLogger(__name__)

FORMAT = 4  # bump when the files of a generation change (4: checksums in the manifest)
NAME = re.compile(r"gen-\d{9}")
FILES = ("delta_ids.npy", "delta_vectors.npy", "tombstones.npy", "passage_punkt.npy")


class IndexDamagedError(ReferatError):
    """No usable index generation while the store holds vectors: a search would silently be lexical-only."""

    status_code = 503
    exit_status = 6


class _Damaged(Exception):
    """Why one generation cannot be used (Danish, for the log and the error)."""


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
    files: dict = field(default_factory=dict)  # file name -> {"bytes", "sha256"}, the generation's files
    segment: dict = field(default_factory=dict)  # the same for the base segment and its ids

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            return cls(**json.loads((folder / "manifest.json").read_text()))
        except FileNotFoundError:
            raise _Damaged(f"{folder.name}/manifest.json mangler") from None
        except (OSError, ValueError, TypeError) as exc:
            raise _Damaged(f"{folder.name}/manifest.json kan ikke læses ({exc.__class__.__name__})") from None


def _index_settings() -> dict:
    return {"ann_threshold": settings.ann_threshold, "ivf_probe_share": settings.ivf_probe_share}


def current_name(root: Path) -> str | None:
    """What `CURRENT` says (garbled text included: `load` judges it), None when there is none."""
    try:
        return (root / "CURRENT").read_bytes()[:200].decode("utf-8", "replace").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def current_manifest(root: Path) -> Manifest | None:
    """The current generation's manifest if it can be read (unverified), else None."""
    name = current_name(root)
    if not name or not NAME.fullmatch(name):
        return None
    try:
        return Manifest.read(root / name)
    except _Damaged:
        return None


def digest(path: Path) -> dict:
    """Size and sha256 of a file (sha256 runs at ~1.9 GB/s here: 0.8 s for a 1M-passage base)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": h.hexdigest()}


def _verify(path: Path, expected: dict | None, *, full: bool = True) -> None:
    if not expected:
        raise _Damaged(f"manifestet har ingen kontrolsum for {path.name}")
    if not path.is_file():
        raise _Damaged(f"{path.parent.name}/{path.name} mangler")
    size = path.stat().st_size
    if size != expected.get("bytes"):
        raise _Damaged(f"{path.parent.name}/{path.name} har {size} bytes, manifestet siger {expected.get('bytes')}")
    if full and digest(path)["sha256"] != expected.get("sha256"):
        raise _Damaged(f"{path.parent.name}/{path.name} er ændret (kontrolsummen passer ikke)")


def check(root: Path, name: str, *, full_base: bool = True) -> Manifest:
    """The manifest of generation `name` once its files match it; raises `_Damaged` with the reason.
    `full_base=False` checks the base segment's size only (`update` never reads it)."""
    if not NAME.fullmatch(name):
        shown = name.encode("ascii", "backslashreplace").decode()[:40]
        raise _Damaged(f"CURRENT peger på '{shown}', som ikke er en generation")
    folder = root / name
    if not folder.is_dir():
        raise _Damaged(f"generationen {name} findes ikke")
    manifest = Manifest.read(folder)
    if manifest.format != FORMAT:
        raise _Damaged(f"{name} har format {manifest.format}, denne Referat bruger {FORMAT}")
    if manifest.name != name:
        raise _Damaged(f"{name}/manifest.json hører til {manifest.name}")
    for file in FILES:
        _verify(folder / file, manifest.files.get(file))
    segments = root / "segments"
    _verify(segments / (manifest.base + ".ids.npy"), manifest.segment.get(manifest.base + ".ids.npy"))
    _verify(segments / manifest.base, manifest.segment.get(manifest.base), full=full_base)
    return manifest


def _generations(root: Path) -> list[str]:
    """Complete generation folders, newest first."""
    try:
        names = [p.name for p in root.iterdir() if NAME.fullmatch(p.name) and p.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(names, reverse=True)


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


@dataclass
class _State:
    """A generation's arrays: what `update` writes and `load` searches."""

    base_ids: np.ndarray
    delta_ids: np.ndarray
    delta_vectors: np.ndarray
    tombstones: np.ndarray
    passage_punkt: np.ndarray

    @classmethod
    def read(cls, root: Path, manifest: Manifest) -> _State:
        folder = root / manifest.name
        try:
            return cls(
                np.load(root / "segments" / (manifest.base + ".ids.npy")),
                np.load(folder / "delta_ids.npy"),
                np.load(folder / "delta_vectors.npy"),
                np.load(folder / "tombstones.npy"),
                np.load(folder / "passage_punkt.npy"),
            )
        except (OSError, ValueError) as exc:
            raise _Damaged(f"{manifest.name} kan ikke læses ({exc.__class__.__name__})") from None

    def advance(self, db, since: int) -> None:
        """Apply the store's passage log after position `since`: added passages join the delta,
        removed ones leave it (or become tombstones of the base), the passage -> punkt map follows."""
        last: dict[int, str] = {}
        for pid, op in db.execute("SELECT passage, op FROM index_log WHERE seq > ? ORDER BY seq", (since,)):
            last[pid] = op
        if not last:
            return
        removed = np.array(sorted(p for p, op in last.items() if op == "del"), dtype=np.int64)
        added = sorted(p for p, op in last.items() if op == "add")
        tomb = np.union1d(self.tombstones, removed[np.isin(removed, self.base_ids)]).astype(np.int64)
        keep = ~np.isin(self.delta_ids, removed)
        new_ids, new_punkter, new_vectors = _vectors(db, added)
        d_vectors = self.delta_vectors[keep]
        if len(new_ids):
            d_vectors = np.concatenate([d_vectors, new_vectors]) if len(d_vectors) else new_vectors
        self.delta_ids = np.concatenate([self.delta_ids[keep], new_ids])
        self.delta_vectors = d_vectors
        self.tombstones = tomb
        # The passage -> punkt map: carried over, changed only where passages came and went.
        pp = self.passage_punkt.copy()
        pp[removed[removed < len(pp)]] = -1
        self.passage_punkt = _set_punkter(pp, new_ids, new_punkter)


def _usable_current(root: Path) -> Manifest | None:
    """The current generation if its files check out, else None (and `update` rebuilds)."""
    name = current_name(root)
    if not name:
        return None
    try:
        return check(root, name, full_base=False)
    except _Damaged as why:
        log.warning("søgeindeksets generation kan ikke bruges (%s); den bygges forfra fra arkivet", why)
        return None


def update(store: Store, root: Path, *, model: str, dim: int, rebuild: bool = False, progress=None) -> Manifest:
    """Bring the vector index up to date with the store; returns the current generation's manifest.
    A full disk or a read-only folder is an `index.operational` error, and nothing is half-written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / "segments").mkdir(exist_ok=True)
    except OSError as exc:
        raise translate(exc, root) or exc from None
    cur = _usable_current(root)
    purge = store.meta("purge_pending") is not None  # a punkt turned closed: no old vector may stay
    rebuild = rebuild or purge
    with store.snapshot() as db:
        position = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM index_log").fetchone()[0])
        compatible = (
            cur is not None
            and cur.model == model
            and cur.settings == _index_settings()
            and cur.log <= position  # a generation ahead of the store (a restored backup) is not trusted
        )
        if compatible and not rebuild and cur.log == position:
            return cur
        started = time.time()
        state = None
        if compatible and not rebuild:
            try:
                state = _State.read(root, cur)
            except _Damaged as why:
                log.warning("søgeindeksets generation kan ikke bruges (%s); den bygges forfra fra arkivet", why)
                compatible = False
            else:
                state.advance(db, cur.log)
                rebuild = MergePolicy().should_rebuild(len(state.base_ids), len(state.delta_ids), len(state.tombstones))
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
            segment = _write_segment(root / "segments", base_name, base, base_ids, keep=cur.base if cur else None)
            base_log, kind = position, kind_of(base)
            empty = np.zeros(0, dtype=np.int64)
            state = _State(
                base_ids,
                empty,
                np.zeros((0, dim), dtype=np.float32),
                empty,
                _set_punkter(np.full(1, -1, dtype=np.int32), base_ids, base_punkter),
            )
            if progress:
                progress(len(base_ids), len(base_ids))
        else:
            base_name, base_log, kind, segment = cur.base, cur.base_log, cur.kind, cur.segment
    live = int((state.passage_punkt >= 0).sum())
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
        segment=segment,
    )
    try:
        _write_generation(root, manifest, state)
    except BaseException as exc:
        if cur is None or base_name != cur.base:  # the new base is no generation's: it goes too
            _remove_segment(root / "segments", base_name)
        if isinstance(exc, OSError):
            raise translate(exc, root) or exc from None
        raise
    try:
        _collect_garbage(root, keep={name} if purge else {name, cur.name if cur else name})
    except OSError as exc:  # the new generation is current; what is left over goes next time
        log.warning("gamle generationer blev ikke ryddet op (%s)", exc)
    if purge:
        with store.transaction() as db:
            write_meta(db, "purge_pending", None)
    log.info("index generation %s (%s, %d passages) in %.1fs", name, kind, live, time.time() - started)
    return manifest


class _Writes:
    """A file numpy sees as a plain writer: it writes in chunks through Python, so a full disk is an
    OSError with its errno (numpy's own `tofile` reports a short write without one)."""

    def __init__(self, fh) -> None:
        self.write = fh.write


def _save(path: Path, array: np.ndarray) -> dict:
    with open(path, "wb") as fh:
        np.save(_Writes(fh), array)
    return digest(path)


def _write_segment(folder: Path, name: str, base, ids: np.ndarray, *, keep: str | None) -> dict:
    """The base segment and its ids, each written whole or not at all; returns their checksums."""
    ids_path = folder / (name + ".ids.npy")
    tmp = folder / (name + ".ids.tmp.npy")
    try:
        segment = {name: {"bytes": 0, "sha256": write_index(base, folder / name)}}
        segment[name]["bytes"] = (folder / name).stat().st_size
        segment[ids_path.name] = _save(tmp, ids)
        os.replace(tmp, ids_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if name != keep:
            _remove_segment(folder, name)
        raise translate(exc, folder) or exc from None
    return segment


def _remove_segment(folder: Path, name: str) -> None:
    for path in (folder / name, folder / (name + ".ids.npy")):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def _write_generation(root: Path, manifest: Manifest, state: _State) -> None:
    """Files into a temporary folder, renamed into place, then `CURRENT` replaced: the one atomic
    step. Any failure before it removes the folder and leaves `CURRENT` as it was."""
    name = manifest.name
    tmp = root / f"{name}.tmp-{os.getpid()}"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        arrays = {
            "delta_ids.npy": state.delta_ids.astype(np.int64),
            "delta_vectors.npy": state.delta_vectors.reshape(len(state.delta_ids), manifest.dim),
            "tombstones.npy": np.asarray(state.tombstones, dtype=np.int64),
            "passage_punkt.npy": state.passage_punkt,
        }
        manifest.files = {file: _save(tmp / file, array) for file, array in arrays.items()}
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1))
        final = root / name
        if final.exists():  # the same position rebuilt (reindex): the old folder steps aside first
            aside = root / f"{name}.old-{os.getpid()}"
            shutil.rmtree(aside, ignore_errors=True)
            final.rename(aside)
            tmp.rename(final)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer = root / f"CURRENT.tmp-{os.getpid()}"
    try:
        pointer.write_text(name)
        os.replace(pointer, root / "CURRENT")
    except BaseException:
        pointer.unlink(missing_ok=True)
        raise


def _collect_garbage(root: Path, keep: set[str]) -> None:
    """Old generations (all but the current and the previous), left-over temporary folders, and
    segments none of the kept generations uses."""
    used: set[str] = set()
    for folder in root.iterdir():
        if folder.name in keep:
            try:
                used.add(Manifest.read(folder).base)
            except _Damaged:
                pass
        elif folder.name.startswith("gen-") and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
    for segment in (root / "segments").glob("base-*"):
        if segment.name.split(".faiss")[0] + ".faiss" not in used:
            segment.unlink(missing_ok=True)


_BASES: dict[str, tuple[str, object]] = {}  # segment path -> (sha256, index): a new generation reuses its base


def _base(root: Path, manifest: Manifest):
    """The base segment, verified when first read in this process, then shared by generations."""
    path = root / "segments" / manifest.base
    expected = manifest.segment.get(manifest.base) or {}
    cached = _BASES.get(str(path))
    if cached is not None and cached[0] == expected.get("sha256"):
        return cached[1]
    _verify(path, expected)
    try:
        base = read_index(path)
    except RuntimeError as exc:
        raise _Damaged(f"{manifest.base} kan ikke læses af FAISS ({' '.join(str(exc).split())[:80]})") from None
    _BASES.clear()  # keep one base per process: the old one goes with the old generation
    _BASES[str(path)] = (expected["sha256"], base)
    return base


def _load_one(root: Path, name: str, store: Store | None) -> tuple[Manifest, VectorView]:
    manifest = check(root, name, full_base=False)  # the base is verified by `_base`, once per process
    model = store.meta("embed_model") if store is not None else None
    if model and manifest.model != model:
        raise _Damaged(f"{name} er lavet med modellen '{manifest.model}', arkivets vektorer med '{model}'")
    state = _State.read(root, manifest)
    base = _base(root, manifest)
    if base.d != manifest.dim or base.ntotal != len(state.base_ids):
        raise _Damaged(f"{manifest.base} passer ikke til sit manifest")
    if int((state.passage_punkt >= 0).sum()) != manifest.passages:
        raise _Damaged(f"{name}/passage_punkt.npy passer ikke til sit manifest")
    if store is not None:
        with store.snapshot() as db:
            position = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM index_log").fetchone()[0])
            if manifest.log > position:
                raise _Damaged(f"{name} dækker mere af arkivet (log {manifest.log}) end arkivet har ({position})")
            if manifest.log < position:  # an earlier generation, or a write that failed: catch up in memory
                state.advance(db, manifest.log)
    view = VectorView(base, state.delta_ids, state.delta_vectors, state.passage_punkt, state.tombstones)
    return manifest, view


def _has_vectors(store: Store) -> bool:
    return store.db.execute("SELECT 1 FROM passages WHERE vector IS NOT NULL LIMIT 1").fetchone() is not None


def load(root: Path, name: str | None = None, *, store: Store | None = None) -> tuple[Manifest, VectorView] | None:
    """The named (default: current) generation, verified and, given the store, brought up to date
    with it; the newest intact earlier generation when that one is missing or damaged. None when
    there is no generation and the store has no vectors (a lexical archive); `IndexDamagedError`
    when the store has vectors but no generation can be used."""
    pointer = name or current_name(root)
    candidates = ([pointer] if pointer else []) + [g for g in _generations(root) if g != pointer]
    reasons: list[str] = [] if pointer else ["CURRENT mangler"]
    for candidate in candidates:
        try:
            manifest, view = _load_one(root, candidate, store)
        except _Damaged as why:
            reasons.append(str(why))
            continue
        if reasons:
            log.warning(
                "søgeindekset er beskadiget (%s); bruger %s, bragt ajour med arkivet; kør 'referat reindex'",
                "; ".join(reasons),
                manifest.name,
            )
        return manifest, view
    if store is None and not candidates:
        return None
    if store is not None and not _has_vectors(store):
        return None  # nothing to search semantically: the lexical search is the whole answer
    why = "; ".join(reasons + ([] if candidates else ["der er ingen generationer"]))
    raise IndexDamagedError(f"søgeindekset i {root} kan ikke bruges ({why}); kør 'referat reindex'")
