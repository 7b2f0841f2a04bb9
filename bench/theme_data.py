"""Judged punkter for `bench/themes.py`, read from the corpora, with the vector themes see.

Each punkt's summary vector is computed as the Enricher computes it at ingest
(`nlp.pipeline.summary_passages`: the title passage and the summary's passages, averaged), but
only those passages are embedded; vectors are cached by text in `.referat-bench/theme-vectors`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.kle import kle_for  # noqa: E402
from nlp.model import Punkt  # noqa: E402
from nlp.passages import punkt_passages  # noqa: E402
from nlp.pipeline import summary_passages  # noqa: E402
from nlp.readers import read_path  # noqa: E402

CACHE = ROOT / ".referat-bench" / "theme-vectors"


@dataclass
class ThemePunkt:
    source: str  # path relative to the folder above the repository (`shared/corpus/...`)
    punkt: Punkt
    kle: str | None
    texts: list[str]  # the passages whose mean is the summary vector
    vector: np.ndarray | None = None


def theme_punkt(source: str, punkt: Punkt) -> ThemePunkt:
    passages = punkt_passages(punkt)
    texts = [passages[i].embed_text for i in summary_passages(passages)]
    kle = kle_for(punkt.journal.kle if punkt.journal else None, punkt.text[:20000], punkt.title)
    return ThemePunkt(source, punkt, kle.get("number"), texts)


def read_judged(path: Path, limit: int | None = None) -> tuple[list[ThemePunkt], list[set[str]]]:
    """The punkter of a judged set (`{"punkter": [{"source", "punkt", "themes"}]}`) and their themes
    (the first `limit` only, for a quick run)."""
    items = json.loads(path.read_text(encoding="utf-8"))["punkter"][:limit]
    meetings: dict[str, object] = {}
    out = []
    for item in items:
        if item["source"] not in meetings:
            meetings[item["source"]] = read_path(ROOT.parent / item["source"])
        meeting = meetings[item["source"]]
        punkt = next(p for p in meeting.punkter if p.number == item["punkt"])
        out.append(theme_punkt(item["source"], punkt))
    return out, [set(item["themes"]) for item in items]


def embed(punkter: list[ThemePunkt], embedder) -> None:
    """Fill each punkt's summary vector, from the cache where its texts were embedded before."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(embedder.name.encode()).hexdigest()[:12]
    cache_file = CACHE / f"{key}.npz"
    cached: dict[str, np.ndarray] = dict(np.load(cache_file)) if cache_file.exists() else {}
    digest = {t: hashlib.sha256(t.encode()).hexdigest() for p in punkter for t in p.texts}
    missing = sorted({t for t, d in digest.items() if d not in cached})
    if missing:
        vectors = embedder.passages(missing)
        cached.update({digest[t]: v for t, v in zip(missing, vectors, strict=True)})
        np.savez(cache_file, **cached)
    for p in punkter:
        v = np.mean([cached[digest[t]] for t in p.texts], axis=0).astype(np.float32)
        p.vector = v / (np.linalg.norm(v) or 1.0)
