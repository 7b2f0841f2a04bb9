"""What enrichment adds to a punkt: entities, amounts, laws, themes, KLE, and its passages with
their vectors. Links come later, in the index, since they span meetings."""

from __future__ import annotations

from dataclasses import dataclass, field
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
