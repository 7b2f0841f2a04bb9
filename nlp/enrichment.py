"""What enrichment adds to a punkt: its passages and the earlier meetings it names (`structure`,
which every stored punkt gets, with or without the NLP models), then entities, amounts, laws,
themes, KLE and the passages' vectors. Links come later, in the index, since they span meetings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from nlp.links import DateReference, find_meeting_references
from nlp.model import Amount, Entity, LawRef, Meeting
from nlp.passages import Passage, punkt_passages


@dataclass
class Enrichment:
    entities: list[Entity] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    laws: list[LawRef] = field(default_factory=list)
    themes: list[dict] = field(default_factory=list)
    kle: dict = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    #: float32 array (len(passages), dim), L2-normalised; None until the encoder has run.
    vectors: Any = None
    #: Earlier meetings the punkt names by date ("behandlet på mødet den 3. marts"), for links.
    references: list[DateReference] = field(default_factory=list)


def structure(meeting: Meeting, result: dict[int, Enrichment] | None = None) -> dict[int, Enrichment]:
    """What every stored punkt carries, with or without the NLP models: its passages (a closed
    punkt: its title only) and the meetings it refers to (none for a closed punkt). Fills `result`
    (punkt number -> Enrichment) and returns it; the writer stores what this gives and derives nothing."""
    result = {} if result is None else result
    for punkt in meeting.punkter:
        tags = result.setdefault(punkt.number, Enrichment())
        tags.passages = punkt_passages(punkt)
        tags.references = [] if punkt.closed else find_meeting_references(punkt.text, meeting.date)
    return result


#: Bump when the enrichment code changes what it produces; resources and models are hashed in.
ENRICH_CODE_VERSION = "3"


@lru_cache(maxsize=1)
def enrich_version() -> str:
    """A short fingerprint of what enrichment depends on: code version, resources, NER model and the
    thresholds that decide what is shown (they are applied when a punkt is written).

    Stored per punkt; `referat reindex --enrich` re-enriches punkter whose fingerprint differs.
    """
    import hashlib
    from pathlib import Path

    from nlp.e5 import models_dir
    from nlp.settings import settings

    digest = hashlib.sha1(ENRICH_CODE_VERSION.encode())
    digest.update(f"{settings.entity_min_confidence}:{settings.amount_min_confidence}".encode())
    roots = [Path(__file__).resolve().parent / "resources", models_dir() / "ner-da", models_dir() / "themes"]
    for root in roots:
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(str(path.stat().st_size).encode())
                digest.update(hashlib.sha1(path.read_bytes()).digest())
    return f"{ENRICH_CODE_VERSION}-{digest.hexdigest()[:10]}"
