"""`referat reindex`: rebuild what is derived, from the store alone (no source files needed).

- plain: a fresh vector index generation (new settings, or a damaged index folder);
- `--enrich`: re-run the NLP pipeline on the searched documents whose enrichment is stale
  (ingested with `--no-enrich`, or before the pipeline, its rules or its models changed);
- `--embed`: recompute every passage vector with the configured model (a model change).
"""

from __future__ import annotations

import time

import numpy as np

from index.locks import ingest_lock
from index.store import write_meta
from index.writer import save_document, unpack
from nlp.enrichment import enrich_version


def reindex(archive, *, enrich: bool = False, embed: bool = False) -> dict:
    started = time.perf_counter()
    counts = {"dokumenter_beriget": 0, "passager_indlejret": 0}
    with ingest_lock(archive.home):
        store = archive.store
        if embed:
            counts["passager_indlejret"] = _re_embed(archive)
        if enrich:
            version = enrich_version()
            stale = store.db.execute(
                "SELECT path, sha256, content FROM documents WHERE active AND "
                "(enrich_version IS NULL OR enrich_version != ?) ORDER BY seq",
                (version,),
            ).fetchall()
            enricher = archive.enricher()
            for row in stale:
                meeting = unpack(row["content"])
                enrichments = enricher.enrich_meeting(meeting)
                save_document(
                    store,
                    meeting,
                    enrichments,
                    path=row["path"],
                    sha256=row["sha256"],
                    enrich_version=version,
                    keep_order=True,
                )
                counts["dokumenter_beriget"] += 1
        manifest = archive.refresh_index(rebuild=not enrich or embed)
    counts["generation"] = manifest.name
    counts["passager"] = manifest.passages
    counts["indeks"] = manifest.kind
    counts["sekunder"] = round(time.perf_counter() - started, 1)
    return counts


def _re_embed(archive) -> int:
    """Every passage's vector from the configured model, then the store remembers that model."""
    store = archive.store
    embedder = archive.embedder
    rows = store.db.execute(
        "SELECT s.id, s.section, s.text, p.title FROM passages s JOIN punkter p ON p.id = s.punkt ORDER BY s.id"
    ).fetchall()
    from nlp.passages import Passage

    done = 0
    for i in range(0, len(rows), 512):
        chunk = rows[i : i + 512]
        texts = [Passage(r["section"], r["text"], r["title"]).embed_text for r in chunk]
        vectors = np.asarray(embedder.passages(texts), dtype=np.float32)
        with store.transaction() as db:
            db.executemany(
                "UPDATE passages SET vector = ? WHERE id = ?",
                [(v.tobytes(), r["id"]) for v, r in zip(vectors, chunk, strict=True)],
            )
        done += len(chunk)
    with store.transaction() as db:
        write_meta(db, "embed_model", embedder.name)
    return done
