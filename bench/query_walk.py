"""The modules one search walks through, in order: how far a query is from "each module once".

    python bench/query_walk.py --home DIR [--query "tiltag mod førtidspension for unge"] [-v]

Runs `Archive.search` once to warm caches and models, then again under `sys.setprofile`, and
records each call into a Referat module (nlp/, index/, api/) from another one. Prints
`stops=` (module changes on the way), `modules=` (distinct modules), `returns=` (entries into a
module already left: 0 is the goal of issue 20), `most_entries=` (the most entries into one module)
beside `candidates=` (the query's ranked candidates: a module entered once per candidate or per
passage would show most_entries above it) and, with -v, the walk and who called whom.
Generator resumptions and property reads count as calls, as they do for Python.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.archive import Archive  # noqa: E402

LAYERS = ("nlp", "index", "api")


def module_of(frame) -> str | None:
    try:
        rel = Path(frame.f_code.co_filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    return ".".join(rel.with_suffix("").parts) if rel.parts[0] in LAYERS else None


def walk(archive: Archive, query: str) -> tuple[list[str], list[str]]:
    """(modules entered, in order; `module:function<-caller` of each entry)."""
    archive.search(query)
    seq: list[str] = []
    calls: list[str] = []

    def profile(frame, event, arg) -> None:
        if event != "call":
            return
        module = module_of(frame)
        if module and (not seq or seq[-1] != module):
            seq.append(module)
            caller = frame.f_back.f_code.co_name if frame.f_back else ""
            calls.append(f"{module}:{frame.f_code.co_name}<-{caller}")

    sys.setprofile(profile)
    try:
        archive.search(query)
    finally:
        sys.setprofile(None)
    return seq, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", required=True, help="an archive (for instance the sample's, after `referat ingest`)")
    parser.add_argument("--query", default="tiltag mod førtidspension for unge")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    archive = Archive(args.home)
    seq, calls = walk(archive, args.query)
    entries = Counter(seq)
    print(f"stops={len(seq)}")
    print(f"modules={len(entries)}")
    print(f"returns={sum(n - 1 for n in entries.values())}")
    print(f"most_entries={max(entries.values())}")
    print(f"candidates={len(archive.searcher().explain(args.query).candidates)}")
    if args.verbose:
        print(" -> ".join(seq), file=sys.stderr)
        print("\n".join(calls), file=sys.stderr)


if __name__ == "__main__":
    main()
