"""The derived search artifacts of a store, built together and stamped with what built them.

Passages, their vectors (FAISS), a passage-level and a punkt-level BM25 index and the per-punkt
filter fields. `SearchIndex.open` loads them from the home folder, or rebuilds them when the
store changed or another model or analyser version is configured.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.lexical import LexicalIndex
from index.passages import Passage, punkt_passages
from index.store import Store
from index.vectors import VectorIndex
from nlp.errors import IndexMismatchError

log = logging.getLogger(__name__)

INDEX_VERSION = 4  # bump when passages or analysis change
#: Passages embedded per punkt (summary sections first): dense encoding is the costly step on a CPU,
#: and a punkt's gist is in its first passages; BM25 still reads every passage.
DENSE_PASSAGES_PER_PUNKT = int(os.environ.get("REFERAT_DENSE_PASSAGES", "12"))
_SECTION_PRIORITY = {
    name: i
    for i, name in enumerate(
        [
            "Titel",
            "Resume",
            "Initiativretsforslag",
            "Indstilling",
            "Beslutning",
            "Indstilling fra forslagsstiller",
            "Forvaltningens belysning",
            "Sagsfremstilling",
            "Effekt",
            "Økonomi",
        ]
    )
}


@dataclass
class PunktInfo:
    """What search needs of a punkt without touching SQLite: filter fields and display fields."""

    id: str
    municipality: str
    committee: str
    meeting_id: str
    meeting_date: str
    number: int
    title: str
    case_type: str | None
    closed: bool
    decision: str | None
    journal_number: str | None
    kle: str | None
    kle_title: str | None
    themes: list[str]
    entities: list[str]


def dense_selection(passages: list[Passage], per_punkt: int = DENSE_PASSAGES_PER_PUNKT) -> list[int]:
    """Indices of the passages to embed: per punkt, the first `per_punkt` by section priority."""
    by_punkt: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        by_punkt.setdefault(p.punkt_id, []).append(i)
    chosen: list[int] = []
    for rows in by_punkt.values():
        ranked = sorted(rows, key=lambda i: (_SECTION_PRIORITY.get(passages[i].section, 50), i))
        chosen.extend(sorted(ranked[:per_punkt]))
    return sorted(chosen)


class SearchIndex:
    def __init__(
        self,
        punkter: list[PunktInfo],
        passages: list[Passage],
        vectors: VectorIndex,
        punkt_lexical: LexicalIndex,
        passage_lexical: LexicalIndex,
        stamp: dict,
        vector_passage: list[int] | np.ndarray,
    ) -> None:
        self.punkter = punkter
        self.passages = passages
        self.vectors = vectors
        self.punkt_lexical = punkt_lexical
        self.passage_lexical = passage_lexical
        self.stamp = stamp
        self.vector_passage = np.asarray(vector_passage, dtype=np.int64)
        self.punkt_row = {p.id: i for i, p in enumerate(punkter)}
        self.passage_punkt = np.array([self.punkt_row[p.punkt_id] for p in passages], dtype=np.int64)
        self.passages_of: dict[int, list[int]] = {}
        for j, row in enumerate(self.passage_punkt):
            self.passages_of.setdefault(int(row), []).append(j)

    # -- building ---------------------------------------------------------------------------

    @staticmethod
    def stamp_for(store: Store, embedder) -> dict:
        return {
            "version": INDEX_VERSION,
            "generation": store.generation(),
            "model": embedder.name,
            "dim": embedder.dim,
            "dense_passages": DENSE_PASSAGES_PER_PUNKT,
        }

    @classmethod
    def build(cls, store: Store, embedder, folder: Path | None = None, progress=None) -> SearchIndex:
        started = time.time()
        tags = store.tag_index()
        punkter: list[PunktInfo] = []
        passages: list[Passage] = []
        punkt_docs: list[str] = []
        for row in store.all_punkter_for_index():
            kle = json.loads(row["kle"] or "{}")
            punkt_tags = tags.get(row["id"], {})
            punkter.append(
                PunktInfo(
                    id=row["id"],
                    municipality=row["municipality"],
                    committee=row["committee"],
                    meeting_id=row["meeting_id"],
                    meeting_date=row["date"],
                    number=row["number"],
                    title=row["title"],
                    case_type=row["case_type"],
                    closed=bool(row["closed"]),
                    decision=None if row["closed"] else row["decision"],
                    journal_number=row["journal_number"],
                    kle=kle.get("number"),
                    kle_title=kle.get("title"),
                    themes=punkt_tags.get("themes", []),
                    entities=punkt_tags.get("entities", []),
                )
            )
            own = punkt_passages(store, row)
            passages.extend(own)
            # The title counts twice in the punkt-level document: it is the best summary there is.
            punkt_docs.append("\n".join([row["title"], row["title"], *(p.text for p in own[1:])]))
        chosen = dense_selection(passages)
        vectors = cls._embed(store, embedder, [passages[i] for i in chosen], progress)
        punkt_lexical = LexicalIndex.build(punkt_docs)
        passage_lexical = LexicalIndex.build([f"{p.title} {p.text}" for p in passages], punkt_lexical.analyzer)
        index = cls(
            punkter,
            passages,
            VectorIndex.build(vectors),
            punkt_lexical,
            passage_lexical,
            cls.stamp_for(store, embedder),
            chosen,
        )
        log.info(
            "built search index: %d punkter, %d passages in %.1fs", len(punkter), len(passages), time.time() - started
        )
        if folder is not None:
            index.save(folder)
        return index

    @staticmethod
    def _embed(store: Store, embedder, passages: list[Passage], progress=None) -> np.ndarray:
        """Vectors for all passages; unchanged passages come from the store's cache."""
        texts = [p.embed_text for p in passages]
        shas = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        cached = store.cached_vectors(embedder.name, shas)
        todo = [i for i, s in enumerate(shas) if s not in cached]
        out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        for i, s in enumerate(shas):
            if s in cached:
                out[i] = np.frombuffer(cached[s], dtype=np.float32)
        batch = 256
        for b in range(0, len(todo), batch):
            ids = todo[b : b + batch]
            vecs = embedder.passages([texts[i] for i in ids])
            out[ids] = vecs
            store.cache_vectors(embedder.name, [(shas[i], vecs[k].tobytes()) for k, i in enumerate(ids)])
            if progress:
                progress(min(b + batch, len(todo)), len(todo))
        return out

    def passage_of_vector(self, ids: np.ndarray) -> np.ndarray:
        return self.vector_passage[ids]

    # -- persistence ------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.vectors.save(tmp / "vectors.faiss")
        self.punkt_lexical.save(tmp / "bm25-punkter")
        self.passage_lexical.save(tmp / "bm25-passages")
        (tmp / "punkter.json").write_text(json.dumps([asdict(p) for p in self.punkter], ensure_ascii=False))
        (tmp / "passages.json").write_text(json.dumps([asdict(p) for p in self.passages], ensure_ascii=False))
        (tmp / "stamp.json").write_text(json.dumps(self.stamp))
        np.save(tmp / "vector_passage.npy", self.vector_passage)
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> SearchIndex:
        punkter = [PunktInfo(**p) for p in json.loads((folder / "punkter.json").read_text())]
        passages = [Passage(**p) for p in json.loads((folder / "passages.json").read_text())]
        return cls(
            punkter,
            passages,
            VectorIndex.load(folder / "vectors.faiss"),
            LexicalIndex.load(folder / "bm25-punkter"),
            LexicalIndex.load(folder / "bm25-passages"),
            json.loads((folder / "stamp.json").read_text()),
            np.load(folder / "vector_passage.npy"),
        )

    @classmethod
    def open(cls, store: Store, embedder, folder: Path, *, rebuild: bool = True, progress=None) -> SearchIndex:
        """The saved index if its stamp matches the store and model, else a fresh build."""
        wanted = cls.stamp_for(store, embedder)
        stamp_file = folder / "stamp.json"
        if stamp_file.exists():
            stamp = json.loads(stamp_file.read_text())
            if stamp == wanted:
                return cls.load(folder)
            if stamp.get("model") != wanted["model"] and not rebuild:
                raise IndexMismatchError(
                    f"indekset er bygget med modellen '{stamp.get('model')}', ikke '{wanted['model']}'; "
                    "kør 'referat index --rebuild'"
                )
        return cls.build(store, embedder, folder, progress)
