"""What enrichment adds to a punkt: entities, amounts, laws, themes, KLE. Links come later, in the index."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.model import Amount, Entity, LawRef


@dataclass
class Enrichment:
    entities: list[Entity] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    laws: list[LawRef] = field(default_factory=list)
    themes: list[dict] = field(default_factory=list)
    kle: dict = field(default_factory=dict)
