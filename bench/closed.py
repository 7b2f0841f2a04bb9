"""The closed decision (`nlp.closed`), measured: markings closed, open titles kept open.

Prints `name=value` lines:
- `reported_closed`, `own_closed`: the markings of `tests/closed_variants.py` that are closed;
- `generated_closed`: random disguises of the markings (case, look-alikes, invisible characters,
  entities, wraps, positions), as the property test makes them, with a fixed seed;
- `corpus_punkter`, `corpus_closed`, `corpus_closed_by_marker_only`: over every development
  referat (`../shared/corpus`), how many punkter are closed, and how many of those carry no
  `Lukket:` prefix, i.e. what the structural rules add (each one is printed for a reader to judge);
- `seconds_per_title`: the cost of one decision.

    python bench/closed.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.closed import decide, is_closed  # noqa: E402
from tests.closed_variants import OWN_TITLES, REPORTED_TITLES  # noqa: E402

MARKINGS = ["Lukket", "Lukket punkt", "Lukkede punkter", "Fortroligt", "Ikke offentligt punkt", "Undtaget offentlighed"]
LOOK = {"e": "еｅ𝐞", "k": "кｋκ", "u": "υｕ", "t": "тｔ", "l": "ʟｌӏ", "o": "оο", "i": "іｉ", "a": "аａ", "p": "рｐ"}
INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufeff"


def disguise(text: str, rng: random.Random) -> str:
    out = []
    for char in text:
        char = rng.choice([char, char.upper(), char.lower()])
        if char.lower() in LOOK and rng.random() < 0.25:
            char = rng.choice(LOOK[char.lower()])
        elif rng.random() < 0.1:
            char = f"&#{ord(char)};"
        out.append(char)
        if rng.random() < 0.12:
            out.append(rng.choice(INVISIBLE))
    return "".join(out)


def generated(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    titles = []
    for _ in range(n):
        marking = disguise(rng.choice(MARKINGS), rng)
        subject = rng.choice(["Salg af grund", "Personalesag", "Køb af ejendom"])
        sep = rng.choice([": ", "; ", " - ", " | ", ", ", " "])
        shape = rng.randrange(4)
        titles.append(
            [f"{marking}{sep}{subject}", f"{subject}{sep}{marking}", f"B-sag{sep}{marking}{sep}{subject}",
             f"({marking}) {subject}"][shape]
        )  # fmt: skip
    return titles


def corpus(folder: Path) -> tuple[int, int, list[str]]:
    from nlp.readers import read_path

    punkter = closed = 0
    by_marker_only: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in (".json", ".txt") or path.name in ("SOURCE", "README.md"):
            continue
        try:
            meeting = read_path(path)
        except Exception:  # noqa: BLE001 - not every file is a referat (README, listings)
            continue
        for punkt in meeting.punkter:
            punkter += 1
            if punkt.closed:
                closed += 1
                if not punkt.title.lower().startswith("lukket:"):
                    by_marker_only.append(punkt.title)
    return punkter, closed, by_marker_only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--generated", type=int, default=2000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    print(f"reported_closed={sum(map(is_closed, REPORTED_TITLES))}/{len(REPORTED_TITLES)}")
    print(f"own_closed={sum(map(is_closed, OWN_TITLES))}/{len(OWN_TITLES)}")
    titles = generated(args.generated)
    started = time.perf_counter()
    closed = sum(bool(decide(t)) for t in titles)
    print(f"generated_closed={closed}/{len(titles)}")
    print(f"seconds_per_title={(time.perf_counter() - started) / len(titles):.6f}")
    if args.corpus.is_dir():
        punkter, shut, extra = corpus(args.corpus)
        print(f"corpus_punkter={punkter}")
        print(f"corpus_closed={shut}")
        print(f"corpus_closed_by_marker_only={len(extra)}")
        for title in sorted(set(extra)):
            print(f"#   {title}")
    else:
        print(f"corpus_missing={args.corpus}")


if __name__ == "__main__":
    main()
