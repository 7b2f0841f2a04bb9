"""What a cross-encoder reranker would cost per query here, before anyone trains one (issue 24).

    python bench/rerank_cost.py --home DIR [--pairs 10,30,50] [--repeats 6]

A cross-encoder initialised from e5-small reads each (query, passage) pair in one forward pass of
the same encoder, so its cost is measured with the process's own encoder (`nlp.encoder`: int8 ONNX
on a CPU) over pairs of a real query and the archive's own passages (the longer ones: a candidate's
best passage is rarely its title). Prints `rerank_<k>_pairs_ms_p50` / `_max` for each k and, as
the peer in the same run, `query_embedding_ms` (what dense search pays for the query today).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.archive import Archive  # noqa: E402
from nlp.encoder import get_encoder  # noqa: E402

QUERIES = ("tiltag mod førtidspension for unge", "hjælp til unge der ikke kan arbejde", "budget for hjemløse 2025")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--pairs", default="10,30,50", help="candidates reranked per query, comma-separated")
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    sizes = [int(k) for k in args.pairs.split(",")]
    with Archive(args.home).store.snapshot() as db:
        passages = [r[0] for r in db.execute("SELECT text FROM passages WHERE length(text) > 200 ORDER BY id")]
    if len(passages) < max(sizes):
        sys.exit(f"arkivet har kun {len(passages)} passager over 200 tegn; brug færre par (--pairs)")
    encoder = get_encoder()
    encoder.encode_queries(list(QUERIES))  # warm
    for k in sizes:
        times = []
        for rep in range(args.repeats):
            query = QUERIES[rep % len(QUERIES)]
            start = (rep * k) % max(1, len(passages) - k)
            pairs = [f"{query} {p}" for p in passages[start : start + k]]
            began = time.perf_counter()
            encoder.encode_passages(pairs)
            times.append((time.perf_counter() - began) * 1000)
        print(f"rerank_{k}_pairs_ms_p50={statistics.median(times):.0f}")
        print(f"rerank_{k}_pairs_ms_max={max(times):.0f}")
    began = time.perf_counter()
    for query in QUERIES * 3:
        encoder.encode_queries([query])
    print(f"query_embedding_ms={(time.perf_counter() - began) * 1000 / (3 * len(QUERIES)):.1f}")


if __name__ == "__main__":
    main()
