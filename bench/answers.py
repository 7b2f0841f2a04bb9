"""Direct answers on the development questions.

    python bench/answers.py [--home DIR] [--questions FILE]

Two question sets: `tests/fixtures/answers-dev.json` (27 over data/sample; the default, built in
./.referat-bench/answers) and `tests/fixtures/answers-greve-dev.json` (30 over Greve's
greve-firstagenda-more, written before the answer rules were generalised; needs `--home` of an
archive holding those meetings).

Prints `name=value` lines: right (the answer box shows the expected value), absent (no box where
a value was expected), wrong (a box with another value, or any box where none was expected),
silent_right (no box where none was expected), and questions. The goal is wrong=0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.archive import Archive  # noqa: E402

GOLD = ROOT / "tests" / "fixtures" / "answers-dev.json"
SAMPLE = ROOT / "data" / "sample"


def matches(answer: dict, expected) -> bool:
    if isinstance(expected, str):
        return str(answer["value"]) == expected
    return abs(float(answer["value"]) - float(expected)) <= 0.005 * abs(float(expected)) + 1e-9


def judge(archive: Archive, questions: list[dict]) -> list[tuple[str, dict, dict | None]]:
    """(verdict, question, answer) for each question; verdict right/absent/wrong/silent_right."""
    out = []
    for q in questions:
        answer = archive.search(q["question"], limit=10).answer
        expected = q["expected"]
        if expected is None:
            verdict = "wrong" if answer else "silent_right"
        elif answer is None:
            verdict = "absent"
        else:
            verdict = "right" if matches(answer, expected) else "wrong"
        out.append((verdict, q, answer))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", help="an archive holding data/sample (else one is built in ./.referat-bench/answers)")
    parser.add_argument("--questions", type=Path, default=GOLD, help="a question file (default: answers-dev.json)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    archive = Archive(args.home or ROOT / ".referat-bench" / "answers")
    if not args.home:
        archive.ingest([SAMPLE])
    questions = json.loads(args.questions.read_text(encoding="utf-8"))["questions"]
    results = judge(archive, questions)
    counts = {k: 0 for k in ("right", "absent", "wrong", "silent_right")}
    for verdict, q, answer in results:
        counts[verdict] += 1
        if args.verbose or verdict == "wrong":
            got = f"{answer['text']} ({answer['punkt_id']})" if answer else "-"
            print(f"# {verdict}: {q['question']} -> {got}; expected {q['expected']}", file=sys.stderr)
    for name, value in counts.items():
        print(f"{name}={value}")
    print(f"questions={len(results)}")


if __name__ == "__main__":
    main()
