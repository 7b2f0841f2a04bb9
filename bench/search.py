"""Search quality and latency on the development queries, alone and among look-alikes.

    python bench/search.py [--home DIR] [--distractors ../shared/corpus/greve-firstagenda-more] [-v]

Judged query sets (tests/fixtures): `queries-dev.json` (25 queries over the Odense sample),
`queries-greve-dev.json` (42 over the 145 Greve meetings), `queries-greve-extra-dev.json` (24
English, paraphrase and typo queries over them) and `queries-noanswer-dev.json` (30 no-answer
queries, grepped against every file). The sample run scores the first and the no-answer set on the
sample alone (`noanswer_` prefix); with `--distractors`, the sample and the Greve meetings are
ingested together (distractors without NLP, which ranking does not use) and every set is scored
there (`distractors_`, `greve_`, `greve_extra_`, `distractors_noanswer_` prefixes).

The ranking model was fitted on these same queries (`bench/fit_ranker.py`), so these figures are
in-sample; `bench/fit_ranker.py` prints the cross-validated ones.

Prints `name=value` lines: ndcg_at_10, ndcg_at_5, recall_at_10, mrr overall and per query type,
no-answer flags (a no_answer query scores 1 when flagged low_confidence; `flagged_answerable` counts
answerable queries wrongly flagged), latency_p50_ms / latency_p95_ms (warm, query embedding
included: the query-vector cache is cleared before every query), and the result set that `total`
counts (the relevant hits, `index.search`): `set_precision` / `set_recall` (mean over answerable
queries of the judged members that are relevant / of the judged relevant punkter in the set; an empty
set's precision counts 1, `set_precision_strict` counts it 0; a sample query among the distractors
leaves the Greve punkter it was never judged against out of its precision), `set_mean_total`,
`answerable_total_0`, `feed_precision` (the same over the feed's entries, the first 50 relevant hits) and
`no_answer_total_0` (the share of no-answer queries whose total is 0).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.archive import Archive  # noqa: E402
from index.evaluation import Evaluation, score_no_answer, score_ranking  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE = ROOT / "data" / "sample"
PREFIX_DATES = {"000": "2024-11-12", "001": "2020-05-26", "002": "2025-05-06", "003": "2021-02-02", "004": "2025-11-25"}


def load_queries(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["queries"]


def sample_key(ref: str) -> str:
    """`004#15` (queries-dev.json) -> `<file name>#15`, the file-name id both gold sets share."""
    prefix, number = ref.split("#")
    return f"odense-beskaeftigelses-og-socialudvalget-{PREFIX_DATES[prefix]}.txt#{number}"


def file_ids(archive: Archive) -> dict[str, str]:
    """`<file name>#<punkt number>` -> punkt id, through the documents the store keeps."""
    rows = archive.store.db.execute(
        "SELECT d.path, p.number, p.slug FROM punkter p JOIN documents d ON d.id = p.document"
    )
    return {f"{Path(r['path']).name}#{r['number']}": r["slug"] for r in rows}


def judged(q: dict, ids_of: dict[str, str], key) -> dict[str, int]:
    """The query's graded punkt ids in this archive; a judged punkt the archive lacks is reported."""
    missing = [k for k in q["relevance"] if key(k) not in ids_of]
    if missing:
        print(f"# {q['qid']}: {len(missing)} judged punkter not in this archive: {missing[:3]}", file=sys.stderr)
    return {ids_of[key(k)]: v for k, v in q["relevance"].items() if key(k) in ids_of}


def answer_set(archive: Archive, query: str) -> list[str]:
    """The ids `total` counts: the relevant hits, which are the first `total` of the ranking."""
    ids: list[str] = []
    while True:
        result = archive.search(query, limit=100, offset=len(ids))
        ids += [h["id"] for h in result.hits if h["relevant"]]
        if len(ids) >= result.total or not result.hits:
            return ids[: result.total]


def set_scores(members: list[str], relevance: dict[str, int], known) -> dict:
    """Set precision over the judged members (`known`), recall over the judged relevant punkter."""
    judged_members = [i for i in members if known(i)]
    found = sum(1 for i in judged_members if relevance.get(i, 0) > 0)
    feed = [i for i in members[:50] if known(i)]
    return {
        "set_size": len(members),
        "set_precision": found / len(judged_members) if judged_members else None,
        "set_recall": found / len(relevance) if relevance else None,
        "feed_precision": sum(1 for i in feed if relevance.get(i, 0) > 0) / len(feed) if feed else None,
    }


def evaluate(archive: Archive, queries: list[dict], key, repeats: int = 1) -> dict:
    ids_of = file_ids(archive)
    sample_files = {f.name for f in SAMPLE.rglob("*") if f.is_file()}
    sample_ids = {i for k, i in ids_of.items() if k.split("#")[0] in sample_files}
    # Sample queries were judged against the sample alone: other punkter are unknown to them.
    known = (lambda i: i in sample_ids) if key is sample_key else (lambda i: True)
    evaluation = Evaluation()
    latencies: list[float] = []
    archive.search("opvarmning")  # warm
    for q in queries:
        relevance = judged(q, ids_of, key)
        for _ in range(repeats):
            archive.embedder.clear_cache()  # measure the query embedding too, every time
            t0 = time.perf_counter()
            result = archive.search(q["query"], limit=10)
            latencies.append((time.perf_counter() - t0) * 1000)
        ids = [h["id"] for h in result.hits]
        if q["relevance"]:
            scores = score_ranking(ids, relevance)
        else:
            scores = score_no_answer(result.low_confidence)
        scores.update(set_scores(answer_set(archive, q["query"]), relevance, known))
        scores.update(top=ids[:3], low_confidence=result.low_confidence, answerable=bool(q["relevance"]))
        evaluation.add(q["qid"], q["type"], scores)
    return {"evaluation": evaluation, "latencies": latencies}


def report(result: dict, label: str, verbose: bool) -> None:
    evaluation: Evaluation = result["evaluation"]
    everything = evaluation.rows
    for name, value in evaluation.figures(label).items():
        print(f"{name}={value:.4f}")
    if verbose:
        for kind, rows in evaluation.by_type().items():
            for s in rows:
                print(f"#   {kind} {s['qid']} ndcg10={s['ndcg_at_10']:.3f} low={s['low_confidence']} top={s['top']}")
    answerable = [s for s in everything if s["answerable"]]
    if answerable:
        for m in ("set_precision", "feed_precision"):
            values = [s[m] for s in answerable]
            print(f"{label}{m}={statistics.mean(1.0 if v is None else v for v in values):.4f}")
        print(f"{label}set_precision_strict={statistics.mean(s['set_precision'] or 0.0 for s in answerable):.4f}")
        print(f"{label}set_recall={statistics.mean(s['set_recall'] for s in answerable):.4f}")
        print(f"{label}set_mean_total={statistics.mean(s['set_size'] for s in answerable):.2f}")
        print(f"{label}answerable_total_0={sum(s['set_size'] == 0 for s in answerable)}")
        if verbose:
            for s in answerable:
                print(f"#   {s['qid']} set={s['set_size']} p={s['set_precision']} r={s['set_recall']}")
    no_answer = evaluation.by_type().get("no_answer", [])
    print(f"{label}no_answer_flagged={sum(s['low_confidence'] for s in no_answer)}/{len(no_answer)}")
    if no_answer:
        print(f"{label}no_answer_total_0={sum(s['set_size'] == 0 for s in no_answer)}/{len(no_answer)}")
    print(f"{label}flagged_answerable={sum(s['low_confidence'] for s in everything if s['answerable'])}")
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
    sample_queries = load_queries("queries-dev.json")

    archive = Archive(Path(args.home) / "sample")
    archive.ingest([SAMPLE])
    stats = archive.stats()
    print(f"punkter={stats['punkter']} passages={stats['passages']} index={stats['index']}")
    report(evaluate(archive, sample_queries, sample_key, args.repeats), "", args.verbose)
    no_answer = load_queries("queries-noanswer-dev.json")
    report(evaluate(archive, no_answer, lambda k: k, 1), "noanswer_", args.verbose)
    if args.distractors:
        big = Archive(Path(args.home) / "distractors")
        t0 = time.time()
        big.ingest([SAMPLE], enrich=True)
        big.ingest([Path(args.distractors)], enrich=args.enrich_distractors)
        print(f"distractors_ingest_and_index_s={time.time() - t0:.1f}")
        stats = big.stats()
        print(f"distractors_punkter={stats['punkter']} distractors_passages={stats['passages']}")
        report(evaluate(big, sample_queries, sample_key, args.repeats), "distractors_", args.verbose)
        greve = load_queries("queries-greve-dev.json")
        report(evaluate(big, greve, lambda k: k, args.repeats), "greve_", args.verbose)
        extra = load_queries("queries-greve-extra-dev.json")
        report(evaluate(big, extra, lambda k: k, args.repeats), "greve_extra_", args.verbose)
        report(evaluate(big, no_answer, lambda k: k, 1), "distractors_noanswer_", args.verbose)


if __name__ == "__main__":
    main()
