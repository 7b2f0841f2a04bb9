"""Facets offer only entities precise enough to filter by; snippets mark whole content words only."""

from __future__ import annotations

import re
from collections import Counter

from index.search import highlight, marked_words
from nlp.analysis import stem
from nlp.settings import settings


def _marks(archive, query: str) -> Counter:
    result = archive.search(query, limit=100)
    return Counter(m.lower() for h in result.hits for m in re.findall(r"<mark>([^<]*)</mark>", h["snippet"]))


def test_query_words_mark_whole_words_not_parts_of_names(archive):
    marked = _marks(archive, "borgere")
    assert marked["borgere"] > 10 and marked["borgerne"]
    assert not {"aalborg", "silkeborg", "kalundborg"} & set(marked), marked  # 10 such marks before


def test_function_words_are_never_marked(archive):
    marked = _marks(archive, "tiltag mod førtidspension for unge")
    assert marked["førtidspension"] and "mod" not in marked and "for" not in marked  # "mod" was marked 18 times


def test_compounds_are_marked_by_their_lexicon_parts():
    text = "Flere unge på førtidspension i Aalborg; pensionen stiger. Borgerinddragelse hjælper borgerne."
    marked = [text[s:e] for s, e in marked_words(text, {"pension", stem("borgere")})]
    assert marked == ["førtidspension", "pensionen", "Borgerinddragelse", "borgerne"]
    assert "<mark>Aalborg" not in highlight(text, {stem("borgere"), "borg"})


def test_facets_offer_only_precise_entities(archive):
    facets = archive.search("frivillige profilprojekt ulighed i sundhed", limit=20).facets
    people = [f["value"] for f in facets["people"]]
    assert "A Flere" not in people and "Elisabet" not in people
    ai = archive.search("hjælp til nyt job med AI", limit=20).facets
    assert "Elisabet" not in [f["value"] for f in ai["people"]]
    db = archive.store.db
    for query in ("frivillige profilprojekt", "hjælp til nyt job med AI", "hjemløse", "budget"):
        result = archive.search(query, limit=50)
        for key, label in (("people", "PER"), ("organisations", "ORG")):
            for facet in result.facets[key]:
                best = db.execute(
                    "SELECT MAX(confidence) FROM entities WHERE shown AND label = ? AND canonical = ?",
                    (label, facet["value"]),
                ).fetchone()[0]
                assert best is not None and best >= settings.facet_min_confidence, (query, facet)
        assert all(len(p["value"].split()) >= 2 for p in result.facets["people"])
