"""What enrichment adds to a punkt: entities, amounts, laws, themes, KLE, and its passages with
their vectors. Links come later, in the index, since they span meetings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from nlp.model import Amount, Entity, LawRef
from nlp.passages import Passage


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


#: Bump when the enrichment code changes what it produces; resources and models are hashed in.
ENRICH_CODE_VERSION = "2"


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
    roots = [Path(__file__).resolve().parent / "resources", models_dir() / "ner-da"]
    for root in roots:
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(str(path.stat().st_size).encode())
                digest.update(hashlib.sha1(path.read_bytes()).digest())
    return f"{ENRICH_CODE_VERSION}-{digest.hexdigest()[:10]}"
