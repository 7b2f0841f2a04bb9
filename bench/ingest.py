"""Ingest speed: read and store the sample corpus (and optionally more), without and with NLP.

    python bench/ingest.py [--extra ../shared/corpus/greve-firstagenda-more] [--enrich]

Prints `punkter_per_s=`, `files=`, `punkter=`, `seconds=` and `peak_rss_mb=`. Reading and storing is
measured alone by default; `--enrich` includes the NLP pipeline (bench/enrich.py measures it alone).
Building the search index is measured by bench/search.py.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.ingest import ingest_paths  # noqa: E402
from index.store import Store  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra", action="append", default=[], help="more folders to ingest beside the sample")
    ap.add_argument("--enrich", action="store_true")
    args = ap.parse_args()
    paths = [ROOT / "data" / "sample", *map(Path, args.extra)]
    enricher = None
    if args.enrich:
        from nlp.pipeline import Enricher

        enricher = Enricher(embedder=None)
        enricher.nlp("Opvarmning af modellen.")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "referat.sqlite")
        started = time.perf_counter()
        report = ingest_paths(store, paths, enricher)
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        second = ingest_paths(store, paths, enricher)
        unchanged_s = time.perf_counter() - again
    print(f"files={report.files}")
    print(f"punkter={report.punkter}")
    print(f"failures={len(report.failures)}")
    print(f"seconds={seconds:.2f}")
    print(f"punkter_per_s={report.punkter / seconds:.1f}")
    print(f"second_ingest_changed={second.meetings}")
    print(f"second_ingest_s={unchanged_s:.2f}")
    print(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
