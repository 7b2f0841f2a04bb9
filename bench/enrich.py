"""NLP enrichment speed over the sample corpus (the whole pipeline: rules, NER, amounts, laws,
themes with embeddings, KLE).

    python bench/enrich.py

Prints `punkter_per_s=`, `words_per_s=`, `seconds=` (of which `embed_s=`: the one encoder pass over
the passages, whose token states also feed the NER); the goal is the whole sample in under 30 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.ingest import discover  # noqa: E402
from nlp.embedder import get_embedder  # noqa: E402
from nlp.pipeline import Enricher  # noqa: E402
from nlp.readers import read_path  # noqa: E402


def main() -> None:
    files = discover([ROOT / "data" / "sample"]).files
    meetings = [read_path(f) for f in files]
    enricher = Enricher(embedder=get_embedder())
    enricher.enrich_meeting(meetings[0])  # load every model once before timing
    punkter = sum(len(m.punkter) for m in meetings)
    words = sum(len(p.text.split()) for m in meetings for p in m.punkter)
    embed_before = enricher.timings["embed_s"]
    started = time.perf_counter()
    entities = 0
    for meeting in meetings:
        entities += sum(len(e.entities) for e in enricher.enrich_meeting(meeting).values())
    seconds = time.perf_counter() - started
    print(f"meetings={len(meetings)}")
    print(f"punkter={punkter}")
    print(f"words={words}")
    print(f"entities={entities}")
    embed_s = enricher.timings["embed_s"] - embed_before
    print(f"runtime={enricher.embedder.name}")
    print(f"seconds={seconds:.1f}")
    print(f"embed_s={embed_s:.1f}")
    print(f"nlp_s={seconds - embed_s:.1f}")
    print(f"punkter_per_s={punkter / seconds:.2f}")
    print(f"words_per_s={words / seconds:.0f}")


if __name__ == "__main__":
    main()
