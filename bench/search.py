"""Search quality and latency on the development queries (tests/fixtures/queries-dev.json).

    python bench/search.py [--home DIR] [--distractors ../shared/corpus/greve-firstagenda-more]

Prints `name=value` lines: ndcg_at_10, ndcg_at_5, recall_at_10, mrr overall and per query type,
latency_p50_ms / latency_p95_ms (warm, one process, query embedding included). A no_answer
query scores 1 when the search flags it low_confidence, else 0.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.archive import Archive  # noqa: E402

GOLD = ROOT / "tests" / "fixtures" / "queries-dev.json"
SAMPLE = ROOT / "data" / "sample"
PREFIX_DATES = {"000": "2024-11-12", "001": "2020-05-26", "002": "2025-05-06", "003": "2021-02-02", "004": "2025-11-25"}


def gold_id(ref: str) -> str:
    prefix, number = ref.split("#")
    return f"odense/beskaeftigelses-og-socialudvalget/{PREFIX_DATES[prefix]}/{number}"


def dcg(gains: list[float]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def evaluate(archive: Archive, queries: list[dict], repeats: int = 1) -> dict:
    per_type: dict[str, list[dict]] = defaultdict(list)
    latencies: list[float] = []
    archive.search("opvarmning")  # warm
    for q in queries:
        relevance = {gold_id(k): v for k, v in q["relevance"].items()}
        for _ in range(repeats):
            archive.embedder.clear_cache()  # measure the query embedding too, every time
            t0 = time.perf_counter()
            result = archive.search(q["query"], limit=10)
            latencies.append((time.perf_counter() - t0) * 1000)
        ids = [h["id"] for h in result.hits]
        if not relevance:
            flagged = 1.0 if result.low_confidence else 0.0
            scores = {"ndcg_at_10": flagged, "ndcg_at_5": flagged, "recall_at_10": flagged, "mrr": flagged}
        else:
            gains = [relevance.get(i, 0) for i in ids]
            ideal = sorted(relevance.values(), reverse=True)
            scores = {
                "ndcg_at_10": dcg(gains[:10]) / dcg(ideal[:10]),
                "ndcg_at_5": dcg(gains[:5]) / dcg(ideal[:5]),
                "recall_at_10": sum(1 for i in ids[:10] if i in relevance) / len(relevance),
                "mrr": next((1 / (r + 1) for r, i in enumerate(ids) if relevance.get(i, 0) > 0), 0.0),
            }
        scores["qid"] = q["qid"]
        scores["top"] = ids[:3]
        scores["low_confidence"] = result.low_confidence
        per_type[q["type"]].append(scores)
    return {"per_type": per_type, "latencies": latencies}


def report(result: dict, label: str, verbose: bool) -> None:
    metrics = ("ndcg_at_10", "ndcg_at_5", "recall_at_10", "mrr")
    everything = [s for rows in result["per_type"].values() for s in rows]
    for m in metrics:
        print(f"{label}{m}={statistics.mean(s[m] for s in everything):.4f}")
    for kind, rows in sorted(result["per_type"].items()):
        print(f"{label}ndcg_at_10_{kind}={statistics.mean(s['ndcg_at_10'] for s in rows):.4f}")
        if verbose:
            for s in rows:
                print(f"#   {s['qid']} ndcg10={s['ndcg_at_10']:.3f} low={s['low_confidence']} top={s['top']}")
    lat = sorted(result["latencies"])
    print(f"{label}latency_p50_ms={statistics.median(lat):.1f}")
    print(f"{label}latency_p95_ms={lat[int(0.95 * (len(lat) - 1))]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default=str(ROOT / ".referat-bench"))
    ap.add_argument("--distractors", default=None, help="folder of more referater to ingest beside the sample")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--enrich-distractors", action="store_true", help="run the NLP pipeline on distractors too (slow)")
    args = ap.parse_args()
    queries = json.loads(GOLD.read_text(encoding="utf-8"))["queries"]

    archive = Archive(Path(args.home) / "sample")
    archive.ingest([SAMPLE])
    stats = archive.stats()
    print(f"punkter={stats['punkter']} passages={stats['passages']} index={stats['index']}")
    report(evaluate(archive, queries, args.repeats), "", args.verbose)
    if args.distractors:
        big = Archive(Path(args.home) / "distractors")
        t0 = time.time()
        big.ingest([SAMPLE], enrich=True)
        big.ingest([Path(args.distractors)], enrich=args.enrich_distractors)
        print(f"distractors_ingest_and_index_s={time.time() - t0:.1f}")
        stats = big.stats()
        print(f"distractors_punkter={stats['punkter']} distractors_passages={stats['passages']}")
        report(evaluate(big, queries, args.repeats), "distractors_", args.verbose)


if __name__ == "__main__":
    main()
