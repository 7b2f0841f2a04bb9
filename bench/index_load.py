"""Loading an index generation, checksums verified: what a server pays once per new generation.

Prints `name=value` lines: the current generation of HOME loaded cold (base segment read) and warm
(base segment reused, as when a server picks up the next generation), median of a few runs.

    .venv/bin/python bench/index_load.py HOME [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index import generations  # noqa: E402
from index.store import Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("home", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = args.home / "index"
    store = Store(args.home / "referat.sqlite")
    kwargs = {"store": store} if "store" in generations.load.__code__.co_varnames else {}
    cold, warm = [], []
    for _ in range(args.runs):
        generations._BASES.clear()
        started = time.perf_counter()
        loaded = generations.load(root, **kwargs)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        generations.load(root, **kwargs)
        warm.append(time.perf_counter() - started)
    manifest, view = loaded
    print(f"generation={manifest.name}")
    print(f"passages={view.size}")
    print(f"load_cold_ms={statistics.median(cold) * 1000:.1f}")
    print(f"load_warm_ms={statistics.median(warm) * 1000:.1f}")


if __name__ == "__main__":
    main()
