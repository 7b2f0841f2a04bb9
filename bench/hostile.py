"""Hostile inputs, timed: each must be read or refused fast (goal: < 60 s per file on two cores,
ingest included). Prints `name=value` lines: seconds per input, and the old super-linear
patterns beside their replacements (before/after).

    .venv/bin/python bench/hostile.py            # readers and patterns
    .venv/bin/python bench/hostile.py --ingest   # also ingest each file, enriched, into a temp home
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.errors import ReferatError  # noqa: E402
from nlp.readers import read_bytes  # noqa: E402
from nlp.sections import absent_names  # noqa: E402
from nlp.text import is_separator  # noqa: E402

HEAD = "REFERAT Byrådet 2022-2025 d. 01-02-2024\n\nPunkt 1: Godkendelse\n\n00.01.00-A00-1-24\n\nBeslutning\n\n"


def firstagenda(html: str) -> bytes:
    doc = {"Moede": {"Dato": "2024-01-01"}, "Dagsordenpunkter": [{"Navn": "A", "Felter": [{"Html": html}]}]}
    return json.dumps(doc).encode()


def inputs() -> dict[str, bytes]:
    many = "".join(f"Punkt {i}: Sag {i}\n\nBeslutning\n\nGodkendt.\n\n" for i in range(1, 2001))
    return {
        "lt_20000_text": (HEAD + "<" * 20_000).encode(),
        "lt_416kb_json": firstagenda("<" * 416_000),
        "caps_8000_words": (HEAD + "Anna " * 8000).encode(),
        "one_char_1mb": (HEAD + "-" * 1_000_000 + "x").encode(),
        "letter_1mb": (HEAD + "a" * 1_000_000).encode(),
        "lt_a_1mb": (HEAD + "<a" * 500_000).encode(),
        "unclosed_h3_json": firstagenda("<h3>" * 200_000),
        "unclosed_table_json": firstagenda("<table><tr><td>" * 100_000),
        "data_uri_150kb_json": firstagenda('<p>x</p><img src="data:image/png;base64,' + "A" * 150_000 + '">'),
        "text_50mb": (HEAD + "ord " * 12_500_000).encode(),
        "deep_json": b"[" * 500_000 + b"]" * 500_000,
        "punkter_2000": (HEAD.split("Punkt")[0] + many).encode(),
    }


def timed(fn) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        result = fn()
        outcome = f"ok:{len(result.punkter)}" if hasattr(result, "punkter") else "ok"
    except ReferatError:
        outcome = "refused"
    return time.perf_counter() - start, outcome


def old_patterns() -> None:
    """The patterns this work replaced, on the inputs that made them slow (before/after)."""
    old_absent = re.compile(
        r"(?P<who>(?:[A-ZÆØÅ][\w.\-]+(?:\s+(?:[A-ZÆØÅ][\w.\-]+|og|,))*?))\s+deltog\s+ikke\b[^.\n]*\.?"
    )
    caps = "Anna " * 8000
    seconds, _ = timed(lambda: list(old_absent.finditer(caps)))
    print(f"absent_8000_caps_before_s={seconds:.3f}")
    seconds, _ = timed(lambda: absent_names(caps))
    print(f"absent_8000_caps_after_s={seconds:.4f}")
    old_separator = re.compile(r"^[\s|:\-\t]*-{2,}[\s|:\-\t]*$")
    rule = "-" * 1_000 + "x"
    seconds, _ = timed(lambda: old_separator.match(rule))
    print(f"separator_1000_before_s={seconds:.3f}")
    seconds, _ = timed(lambda: is_separator(rule))
    print(f"separator_1000_after_s={seconds:.4f}")
    seconds, _ = timed(lambda: is_separator("-" * 1_000_000 + "x"))
    print(f"separator_1000000_after_s={seconds:.4f}")
    old_heading = re.compile(r"<h(?P<level>[34])[^>]*>(?P<title>.*?)</h(?P=level)>", re.IGNORECASE | re.DOTALL)
    html = "<h3>" * 5_000
    seconds, _ = timed(lambda: list(old_heading.finditer(html)))
    print(f"h3_5000_before_s={seconds:.3f}")
    seconds, _ = timed(lambda: read_bytes(firstagenda(html), source="h3"))
    print(f"h3_5000_after_read_s={seconds:.4f}")
    from nlp.amounts import find_amounts
    from nlp.laws import find_laws

    seconds, _ = timed(lambda: find_laws("a" * 200_000))
    print(f"laws_200000_letters_after_s={seconds:.4f}")  # before: over an hour (quadratic)
    seconds, _ = timed(lambda: find_amounts("1" * 4_000))
    print(f"amounts_4000_digits_s={seconds:.3f}")  # quadratic in nlp/amounts.py (not fixed here)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingest", action="store_true", help="also ingest each input, enriched")
    args = parser.parse_args()
    old_patterns()
    worst = 0.0
    cases = inputs()
    for name, data in cases.items():
        seconds, outcome = timed(lambda data=data, name=name: read_bytes(data, source=name))
        worst = max(worst, seconds)
        print(f"read_{name}_s={seconds:.3f}")
        print(f"read_{name}_outcome={outcome}")
    print(f"read_worst_s={worst:.3f}")
    if args.ingest:
        from index.archive import Archive

        with tempfile.TemporaryDirectory() as tmp:
            archive = Archive(Path(tmp) / "home")
            archive.enricher()  # models loaded once, outside the timings
            worst = 0.0
            for name, data in cases.items():
                if len(data) > 5_000_000:
                    continue  # the 50 MB text is refused or capped by the reader; enrichment sees 800k chars
                path = Path(tmp) / f"{name}.{'json' if data[:1] in b'{[' else 'txt'}"
                path.write_bytes(data)
                start = time.perf_counter()
                report = archive.ingest([path])
                seconds = time.perf_counter() - start
                worst = max(worst, seconds)
                print(f"ingest_{name}_s={seconds:.2f}")
                print(f"ingest_{name}_failures={len(report.failures)}")
            print(f"ingest_worst_s={worst:.2f}")


if __name__ == "__main__":
    main()
