"""The enrichment fingerprint changes with what decides a shown tag, so `reindex --enrich` applies it."""

from __future__ import annotations

from nlp.enrichment import enrich_version
from nlp.settings import settings


def test_a_changed_threshold_makes_every_punkt_stale(monkeypatch):
    enrich_version.cache_clear()
    before = enrich_version()
    monkeypatch.setattr(settings, "entity_min_confidence", settings.entity_min_confidence + 0.1)
    enrich_version.cache_clear()
    try:
        assert enrich_version() != before
    finally:
        monkeypatch.undo()
        enrich_version.cache_clear()
    assert enrich_version() == before
