"""The archive at scale: 100,000 punkter and 1,000,000 passages of the real dimension, synthetic.

    python bench/scale.py [--punkter 100000] [--passages-per-punkt 10] [--queries 200]
                          [--meeting FILE]   # the real meeting added incrementally (15 punkter)
                          [--store sqlite|postgres]   # postgres: bench/pg_scale.py on the same archive

Builds a store with realistic filter columns (5 municipalities, 40 committees, ten years, case
types, decisions) and clustered unit vectors, then measures, each in its own process so that
`peak_rss_mb` is the system's and not the bench's:
- `build_s`, `peak_rss_mb`: one index generation from the store (IVF at this size);
- `add_one_meeting_s`: `Archive.ingest` of one real 15-punkt meeting into that archive (read,
  passages, embedding, store, index update as a delta generation), with its parts;
  `add_one_meeting_empty_s` the same meeting into an empty archive, and `add_one_meeting_growth`
  the ratio of the two (what in an update grows with the archive);
- `latency_p50_ms`/`latency_p95_ms` of the full search (BM25 in FTS5, dense, fusion, snippets,
  facets) on one thread, without and with a selective filter (one committee, one year); the query
  vector is given (bench/search.py measures query embedding, ~20-50 ms on two cores);
- `recall_at_10` of the dense search against exact search, without and with the filter.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import signal
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from queue import Empty

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DIM = 384
WORDS = [f"ord{i}" for i in range(20_000)]
DEFAULT_MEETING = (
    ROOT.parent
    / "shared"
    / "corpus"
    / "greve-firstagenda-more"
    / ("Byråd 2022-2025_2024-10-02T19-00-00+02-00_48bd4739-bd13-49b7-a7ad-146088703a6c.json")
)


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """Unit vectors crowded around topic centres, as real passages are."""
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def build_store(home: Path, punkter: int, per_punkt: int, model: str) -> None:
    from index.store import Store, write_meta

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((256, DIM)).astype(np.float32)
    store = Store(home / "referat.sqlite")
    db = store.db
    zipf = rng.zipf(1.3, size=punkter * 60) % len(WORDS)
    per_meeting = 15
    db.execute("BEGIN")
    write_meta(db, "embed_model", model)
    meetings = punkter // per_meeting
    for m in range(meetings):
        municipality = f"Kommune{m % 5}"
        committee = f"Udvalg {m % 40}"
        day = (m * 3650) // max(meetings, 1)  # ten years, evenly
        date = time.strftime("%Y-%m-%d", time.gmtime(1_420_070_400 + day * 86_400))
        slug = f"k{m % 5}/u{m % 40}/{date}-{m}"
        db.execute(
            "INSERT INTO meetings (id, slug, municipality, committee, date) VALUES (?,?,?,?,?)",
            (m + 1, slug, municipality, committee, date),
        )
        db.execute(
            "INSERT INTO documents (id, path, sha256, meeting, kind, punkter, seq, active, content) "
            "VALUES (?,?,?,?,?,?,?,1,?)",
            (m + 1, f"/synthetic/{m}.json", "0" * 64, m + 1, "referat", per_meeting, m + 1, zlib.compress(b"{}")),
        )
        rows, passages, fts = [], [], []
        for k in range(per_meeting):
            pid = m * per_meeting + k + 1
            has_decision = int(rng.random() < 0.8)
            rows.append(
                (
                    pid,
                    f"{slug}/{k + 1}",
                    m + 1,
                    m + 1,
                    k,
                    k + 1,
                    f"Punkt {k + 1} om emne {pid % 997}",
                    "ABCDE"[pid % 5] + "-sag",
                    0,
                    "Godkendt." if has_decision else None,
                    municipality,
                    committee,
                    date,
                    has_decision,
                )
            )
            words = zipf[(pid - 1) * 60 : pid * 60]
            fts.append((pid, " ".join(WORDS[w] for w in words)))
            vectors = clustered(per_punkt, rng, centres)
            for j in range(per_punkt):
                passages.append(
                    (pid, j, "Resume" if j else "Titel", f"Passage {j} af punkt {pid}", vectors[j].tobytes())
                )
        db.executemany(
            "INSERT INTO punkter (id, slug, meeting, document, ordinal, number, title, case_type, closed, decision, "
            "municipality, committee, date, has_decision) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.executemany("INSERT INTO passages (punkt, ordinal, section, text, vector) VALUES (?,?,?,?,?)", passages)
        db.executemany("INSERT INTO punkt_terms (rowid, terms) VALUES (?,?)", fts)
        if m % 500 == 0:
            db.execute("COMMIT")
            db.execute("BEGIN")
    db.execute("COMMIT")


def synthetic_queries(n: int) -> tuple[np.ndarray, list[str]]:
    """The bench's queries: vectors near the archive's clusters and a few Zipf-drawn words each."""
    rng = np.random.default_rng(1)
    centres = np.random.default_rng(0).standard_normal((256, DIM)).astype(np.float32)
    vectors = clustered(n, rng, centres)
    texts = [" ".join(WORDS[w] for w in rng.zipf(1.3, size=3) % len(WORDS)) for _ in range(n)]
    return vectors, texts


def bench_filters() -> dict:
    """No filter, and a selective one (one committee, one year): the label prefix of each figure."""
    from index.filters import Filters

    return {"": Filters(), "filtered_": Filters(committee="Udvalg 7", date_from="2019-01-01", date_to="2019-12-31")}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def job_build(home: str, model: str, out: mp.Queue) -> None:
    from index import generations
    from index.store import Store
    from index.vectors import set_threads
    from nlp.settings import settings

    set_threads(settings.threads)
    store = Store(Path(home) / "referat.sqlite")
    started = time.perf_counter()
    manifest = generations.update(store, Path(home) / "index", model=model, dim=DIM, rebuild=True)
    out.put(
        {
            "build_s": time.perf_counter() - started,
            "peak_rss_mb": _peak_mb(),
            "index": manifest.kind,
            "passages": manifest.passages,
        }
    )


def job_add_meeting(home: str, meeting: str, out: mp.Queue) -> None:
    from index.archive import Archive

    archive = Archive(home)
    archive.embedder  # load the model before timing: a running ingest has it loaded
    started = time.perf_counter()
    report = archive.ingest([meeting], enrich=False)
    out.put(
        {
            "add_one_meeting_s": time.perf_counter() - started,
            "add_punkter": report.punkter,
            **{f"add_{k}": getattr(report, k) for k in ("read_s", "enrich_s", "embed_s", "store_s", "index_s")},
            "add_ok": report.ok,
            "add_peak_rss_mb": _peak_mb(),
        }
    )


def job_search(home: str, queries: int, out: mp.Queue) -> None:
    from bench.given_vector import GivenVector, time_searches
    from index import generations
    from index.archive import Archive
    from index.vectors import set_threads

    set_threads(1)
    archive = Archive(home)
    given = GivenVector(DIM)
    archive.embedder = given  # no model loaded: the query vectors are given
    searcher = archive.searcher()
    searcher.embedder = given
    qs, texts = synthetic_queries(queries)
    result = {"generation": generations.current_name(archive.index_root)}
    for label, filters in bench_filters().items():
        for name, value in time_searches(searcher, given, texts, qs, filters).items():
            result[f"{label}{name}"] = value
        found = []
        with archive.store.snapshot() as db:
            mask = filters.punkt_mask(db)
        allowed = searcher.view.allowed(mask)
        for q in qs:
            _, ids = searcher.view.search(q, 10, allowed)
            found.append(ids.tolist())
        result[f"{label}found"] = found
    result["search_peak_rss_mb"] = _peak_mb()
    np.save(Path(home) / "queries.npy", qs)
    out.put(result)


def exact_recall(home: Path, result: dict) -> dict:
    """recall@10 of the index's answers against brute force over the same (allowed) vectors."""
    from index.store import Store

    store = Store(home / "referat.sqlite")
    qs = np.load(home / "queries.npy")
    out = {}
    for label, filters in bench_filters().items():
        where, params = filters.sql()
        sql = "SELECT s.id, s.vector FROM passages s JOIN punkter p ON p.id = s.punkt"
        rows = store.db.execute(sql + (f" WHERE {where}" if where else ""), params).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), DIM)
        del rows
        recalls = []
        for q, got in zip(qs, result[f"{label}found"], strict=True):
            truth = ids[np.argsort(-(matrix @ q))[:10]]
            recalls.append(len(set(got) & set(truth.tolist())) / 10)
        out[f"{label}recall_at_10"] = statistics.mean(recalls)
        out[f"{label}allowed_passages"] = len(ids)
        del matrix
    return out


class JobDied(RuntimeError):
    """A measuring process ended without its figures (a crash, a kill for memory)."""


def run(target, *args) -> dict:
    """Run one measuring job in its own process; a job that dies is reported with its exit status,
    never waited for."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=1.0)
            break
        except Empty:
            if not proc.is_alive():
                try:  # the figures may have been put just before it ended
                    result = queue.get(timeout=1.0)
                    break
                except Empty:
                    raise JobDied(f"{target.__name__} died with exit status {proc.exitcode}") from None
    proc.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--punkter", type=int, default=100_000)
    ap.add_argument("--passages-per-punkt", type=int, default=10)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--meeting", default=str(DEFAULT_MEETING))
    ap.add_argument("--home", default=None, help="keep the synthetic archive here (default: a temporary folder)")
    ap.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    args = ap.parse_args()
    if args.store == "postgres":
        return main_postgres(args)
    from nlp.embedder import get_embedder

    model = get_embedder().name
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home or tmp)
        started = time.perf_counter()
        build_store(home, args.punkter, args.passages_per_punkt, model)
        print(f"punkter={args.punkter}")
        print(f"passages={args.punkter * args.passages_per_punkt}")
        print(f"store_fill_s={time.perf_counter() - started:.1f}")
        for k, v in run(job_build, str(home), model).items():
            print(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}")
        if Path(args.meeting).exists():
            added = run(job_add_meeting, str(home), args.meeting)
            for k, v in added.items():
                print(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}")
            with tempfile.TemporaryDirectory() as empty:
                alone = run(job_add_meeting, empty, args.meeting)
            print(f"add_one_meeting_empty_s={alone['add_one_meeting_s']:.2f}")
            print(f"add_one_meeting_growth={added['add_one_meeting_s'] / alone['add_one_meeting_s']:.2f}")
        else:
            print("add_one_meeting_s=not-measured (meeting file missing)")
        result = run(job_search, str(home), args.queries)
        for k, v in result.items():
            if not k.endswith("found"):
                print(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}")
        for k, v in exact_recall(home, result).items():
            print(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}")
        print(json.dumps({"note": "query embedding excluded from latency; see bench/search.py"}))


def main_postgres(args) -> None:
    """The same synthetic archive published into a local PostgreSQL primary (bench/pg_scale.py)."""
    from bench.pg_scale import PgBench
    from nlp.embedder import get_embedder

    model = get_embedder().name
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home or tmp)
        build_store(home, args.punkter, args.passages_per_punkt, model)
        print(f"punkter={args.punkter}")
        print(f"passages={args.punkter * args.passages_per_punkt}")
        bench = PgBench(home)
        try:
            published = bench.publish()
            print(f"pg_publish_s={published['s']:.1f}")
            print(f"pg_size_mb={bench.size_mb()}")
            # The bulk load's dirty pages written out now, untimed, so that the one meeting is added to
            # a server at rest (0.5 s at 1,000,000 passages), not timed beside the checkpointer.
            print(f"pg_checkpoint_s={bench.checkpoint():.1f}")
            if Path(args.meeting).exists():
                # The home's own index first (untimed here): otherwise the meeting's ingest would
                # build the whole first generation and be counted as the cost of one meeting.
                run(job_build, str(home), model)
                added = run(job_add_meeting, str(home), args.meeting)
                delta = bench.publish()
                print(f"add_one_meeting_sqlite_s={added['add_one_meeting_s']:.2f}")
                print(f"add_embed_s={added['add_embed_s']:.2f}")
                print(f"pg_publish_one_meeting_s={delta['s']:.2f} pg_added_punkter={delta['added']}")
                whole = added["add_one_meeting_s"] + delta["s"]
                print(f"pg_add_one_meeting_s={whole:.2f}")
                with tempfile.TemporaryDirectory() as empty:  # the same meeting into empty archives
                    alone = run(job_add_meeting, empty, args.meeting)
                    alone_publish = bench.publish_into_empty(Path(empty))
                alone_s = alone["add_one_meeting_s"] + alone_publish
                print(f"pg_add_one_meeting_empty_s={alone_s:.2f} pg_publish_one_meeting_empty_s={alone_publish:.2f}")
                print(f"add_one_meeting_sqlite_empty_s={alone['add_one_meeting_s']:.2f}")
                print(f"add_embed_empty_s={alone['add_embed_s']:.2f}")
                print(f"pg_add_one_meeting_growth={whole / alone_s:.2f}")
            else:
                print("pg_add_one_meeting_s=not-measured (meeting file missing)")
            qs, texts = synthetic_queries(args.queries)
            for k, v in bench.search(qs, texts, bench_filters()).items():
                print(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}")
        finally:
            bench.close()


if __name__ == "__main__":
    # A bench stopped by its PID (SIGTERM) still stops the PostgreSQL servers it started and removes
    # its temporary archive: the signal becomes SystemExit, so every `finally` and `with` runs.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        main()
    except JobDied as exc:
        print(f"job_failed={exc}", flush=True)
        sys.exit(1)
