"""Every development query's whole search result and ranking evidence, written as JSON, and two such
dumps compared: how a refactor shows that it changed nothing (issue: "the same answers").

    python bench/query_dump.py write OUT.json [--home DIR]     # DIR: an archive (default: the sample's)
    python bench/query_dump.py compare BEFORE.json AFTER.json

`write` runs the judged queries of tests/fixtures (dev, Greve, Greve extra, no-answer) and the
direct-answer questions through `Archive.search` and `Searcher.explain`, and keeps the hits, totals,
flags, answers, facets, snippets, the candidates with their features and scores, and the query's
words as the index read them. `compare` prints `queries=`, `identical=` (byte for byte),
`results_changed=` (hits, total, low_confidence or answer) and `evidence_changed=` (the rest), and
names each query that changed on stderr. Run `write` on the code before and after a change, on the
same archive.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "tests" / "fixtures"
QUERY_SETS = ("queries-dev.json", "queries-greve-dev.json", "queries-greve-extra-dev.json", "queries-noanswer-dev.json")


def queries() -> list[str]:
    out = []
    for name in QUERY_SETS:
        out += [q["query"] for q in json.loads((FIXTURES / name).read_text(encoding="utf-8"))["queries"]]
    out += [q["question"] for q in json.loads((FIXTURES / "answers-dev.json").read_text(encoding="utf-8"))["questions"]]
    return list(dict.fromkeys(out))


def write(out: Path, home: str | None) -> int:
    from index.archive import Archive

    archive = Archive(home or ROOT / ".referat-bench" / "answers")
    if not archive.store.meetings():
        archive.ingest([ROOT / "data" / "sample"])
    searcher = archive.searcher()
    dump = {}
    for query in queries():
        result = archive.search(query, limit=10).to_dict()
        evidence = searcher.explain(query)
        result["evidence"] = {
            "candidates": [int(c) for c in evidence.candidates],
            "features": np.round(evidence.features, 10).tolist(),
            "scores": np.round(evidence.scores, 10).tolist(),
            "passage_cover": round(float(evidence.passage_cover), 10),
            "words": [repr(w) for w in evidence.words],
            "english": evidence.english,
        }
        dump[query] = result
    out.write_text(json.dumps(dump, ensure_ascii=False, sort_keys=True, indent=0, default=str), encoding="utf-8")
    return len(dump)


def compare(before: Path, after: Path) -> dict[str, int]:
    a = json.loads(before.read_text(encoding="utf-8"))
    b = json.loads(after.read_text(encoding="utf-8"))
    counts = {"queries": len(a), "identical": 0, "results_changed": 0, "evidence_changed": 0, "missing": 0}
    for query, mine in a.items():
        theirs = b.get(query)
        if theirs is None:
            counts["missing"] += 1
        elif mine == theirs:
            counts["identical"] += 1
        elif any(mine[k] != theirs[k] for k in ("total", "low_confidence", "answer")) or [
            h["id"] for h in mine["hits"]
        ] != [h["id"] for h in theirs["hits"]]:
            counts["results_changed"] += 1
            print(f"# results changed: {query}", file=sys.stderr)
        else:
            counts["evidence_changed"] += 1
            keys = sorted(k for k in mine if mine[k] != theirs.get(k))
            print(f"# evidence changed ({', '.join(keys)}): {query}", file=sys.stderr)
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out")
    w.add_argument("--home")
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    args = ap.parse_args()
    if args.command == "write":
        print(f"queries={write(Path(args.out), args.home)}")
    else:
        for name, value in compare(Path(args.before), Path(args.after)).items():
            print(f"{name}={value}")


if __name__ == "__main__":
    main()
