"""Ingest speed.

    python bench/ingest.py                      # read and store only (no NLP, no embedding)
    python bench/ingest.py --full [--limit N] [--corpus ../shared/corpus/greve-firstagenda-more]

`--full` runs the whole ingest as `referat ingest` does (read, enrich, embed, store, search index)
into a fresh home, on the sample and, with `--corpus`, on the first `--limit` files of that folder
too; then, in a child process, plain `SentenceTransformer.encode` (default settings) of the very
same passages, so both figures come from the same run on the same machine. Prints
`punkter_per_s=`, `embed_passages_per_s=`, `enrich_punkter_per_s=`, `peak_rss_mb=`, each beside
the sentence-transformers figure (`st_...`) and `speedup_vs_st=` / `ingest_vs_st_ratio=`
(whole ingest seconds over plain embedding seconds; goal <= 1.0). The encoder runtime follows
`REFERAT_ENCODER=onnx|torch` and `REFERAT_DEVICE`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.ingest import discover, ingest_paths  # noqa: E402
from index.store import Store  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_only(paths: list[Path]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "referat.sqlite")
        started = time.perf_counter()
        report = ingest_paths(store, paths, None, embedder=None)
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        second = ingest_paths(store, paths, None, embedder=None)
        unchanged_s = time.perf_counter() - again
    print(f"files={report.files}")
    print(f"punkter={report.punkter}")
    print(f"failures={len(report.failures)}")
    print(f"seconds={seconds:.2f}")
    print(f"punkter_per_s={report.punkter / seconds:.1f}")
    print(f"second_ingest_changed={second.meetings}")
    print(f"second_ingest_s={unchanged_s:.2f}")
    print(f"peak_rss_mb={_rss_mb():.0f}")


_ST_CHILD = """
import json, resource, sys, time
from sentence_transformers import SentenceTransformer
texts = json.load(open(sys.argv[1]))
model = SentenceTransformer(sys.argv[2], device="cpu")
model.encode(texts[:4])
started = time.perf_counter()
model.encode(texts, normalize_embeddings=True)
seconds = time.perf_counter() - started
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]  # ru_maxrss survives exec
rss = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss": rss}))
"""


def plain_sentence_transformers(texts: list[str]) -> dict:
    """Plain `SentenceTransformer.encode` of `texts`, default settings, alone in a child process."""
    from nlp.e5 import default_model_path

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(texts, f)
    out = subprocess.run(
        [sys.executable, "-c", _ST_CHILD, f.name, str(default_model_path())],  # alone: its own memory and cores
        capture_output=True,
        text=True,
        check=True,
    )
    Path(f.name).unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


def full(paths: list[Path], label: str) -> None:
    from index.archive import Archive
    from nlp.e5 import PASSAGE_PREFIX
    from nlp.passages import punkt_passages
    from nlp.readers import read_path

    files = discover(paths).files
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive(tmp)
        load = time.perf_counter()
        enricher = archive.enricher()
        enricher.enrich_meeting(read_path(files[0]))  # load every model once before timing
        load_s = time.perf_counter() - load
        started = time.perf_counter()
        report = ingest_paths(archive.store, files, enricher, embedder=archive.embedder)
        index_started = time.perf_counter()
        archive.refresh_index()
        report.index_s += time.perf_counter() - index_started
        seconds = time.perf_counter() - started
        rss = _rss_mb()
    texts = [
        PASSAGE_PREFIX + p.embed_text for f in files for punkt in read_path(f).punkter for p in punkt_passages(punkt)
    ]
    embed_rate = report.passages / report.embed_s if report.embed_s else 0.0
    enrich_s = report.enrich_s + report.embed_s
    print(f"[{label}] runtime={enricher.embedder.name} threads={_threads()}")
    print(f"[{label}] files={report.files} punkter={report.punkter} passages={report.passages}")
    print(f"[{label}] failures={len(report.failures)} model_load_s={load_s:.1f}")
    print(
        f"[{label}] read_s={report.read_s:.1f} enrich_s={report.enrich_s:.1f} embed_s={report.embed_s:.1f} "
        f"store_s={report.store_s:.1f} index_s={report.index_s:.1f} seconds={seconds:.1f}"
    )
    print(f"[{label}] punkter_per_s={report.punkter / seconds:.2f}")
    print(f"[{label}] embed_passages_per_s={embed_rate:.1f}")
    print(f"[{label}] enrich_punkter_per_s={report.punkter / enrich_s:.2f} (NLP and embedding, as enrich_meeting runs)")
    print(f"[{label}] peak_rss_mb={rss:.0f}", flush=True)
    st = plain_sentence_transformers(texts)  # printed after ours, so a failure here loses nothing above
    st_rate = len(texts) / st["seconds"]
    print(f"[{label}] st_punkter_per_s={report.punkter / st['seconds']:.2f}")
    print(f"[{label}] ingest_vs_st_ratio={seconds / st['seconds']:.2f}")
    print(f"[{label}] st_embed_passages_per_s={st_rate:.1f}")
    print(f"[{label}] speedup_vs_st={embed_rate / st_rate:.2f}")
    print(f"[{label}] st_peak_rss_mb={st['rss']:.0f}")


def _threads() -> int:
    from nlp.settings import settings

    return settings.threads


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="the whole ingest, compared with plain sentence-transformers")
    ap.add_argument("--corpus", default=None, help="a second folder to ingest (with --full)")
    ap.add_argument("--limit", type=int, default=0, help="take the first N files of --corpus")
    ap.add_argument("--no-sample", action="store_true", help="skip the sample (with --full and --corpus)")
    ap.add_argument("--extra", action="append", default=[], help="more folders beside the sample (store only)")
    args = ap.parse_args()
    if not args.full:
        store_only([ROOT / "data" / "sample", *map(Path, args.extra)])
        return
    if not args.no_sample:
        full([ROOT / "data" / "sample"], "sample")
    if args.corpus:
        files = discover([args.corpus]).files
        full(files[: args.limit] if args.limit else files, Path(args.corpus).name)


if __name__ == "__main__":
    main()
