"""Entities in referater: gazetteers and patterns as data, a confidence per entity, one canonical form.

The statistical NER knows newspaper Danish; minutes are full of public bodies
(`Beskæftigelses- og Socialforvaltningen`, `Styrelsen for Arbejdsmarked og Rekruttering`),
politicians with a party letter (`Claus Houden (V)`), municipalities, districts and addresses.
Those live as editable data under `nlp/resources/` (`gazetteers/*.txt|jsonl`, `patterns/*.jsonl`),
matched by spaCy's `SpanRuler`. Every entity carries a confidence and its evidence; a display
threshold (`settings.entity_min_confidence`) decides what a reader is shown (`is_shown`), the rest
stay candidates. Precision first: a journalist must be able to trust what is shown.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.model import Entity
from nlp.settings import settings

RESOURCES = Path(__file__).resolve().parent / "resources"
GAZETTEERS = RESOURCES / "gazetteers"
PATTERNS = RESOURCES / "patterns"

#: Confidence of each kind of evidence when it stands alone (a pattern id or `gazetteer`).
RULE_CONFIDENCE = {
    "gazetteer": 0.95,
    "party_person": 0.97,
    "title_person": 0.85,
    "name_list_person": 0.8,
    "org_suffix": 0.85,
    "org_for": 0.9,
    "org_named": 0.8,
    "address": 0.85,
    "street": 0.8,
    "place_council": 0.95,
}
#: A person pattern ending in one of these is an institution or a street (`Marie Jørgensens Skole`).
INSTITUTION_WORDS = {"Skole", "Skolen", "Fond", "Fonden", "Hotel", "Center", "Centret", "Kollegium", "Hus", "Huset"}
STREET_WORDS = {"Vej", "Alle", "Allé", "Plads", "Torv", "Gade", "Stræde", "Boulevard"}
_GAZETTEER_FILES = {"loc_places.txt": "LOC", "org_public_bodies.txt": "ORG", "org_organisations.txt": "ORG"}


@dataclass(frozen=True)
class Gazetteer:
    """Names by label, each with its canonical form; genitive variants map to the base name."""

    canonical: dict[str, str]  # surface form -> canonical form
    labels: dict[str, str]  # surface form -> label

    def lookup(self, text: str) -> tuple[str, str] | None:
        form = re.sub(r"\s+", " ", text.strip())
        if form in self.labels:
            return self.labels[form], self.canonical[form]
        return None


def _lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and ln[0] != "#"]


def _genitive(name: str) -> str:
    """`Odense` -> `Odenses`, `Greve Kommune` -> `Greve Kommunes`; a name ending in s/x/z takes none."""
    return name if name[-1] in "sxzSXZ" else name + "s"


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    canonical: dict[str, str] = {}
    labels: dict[str, str] = {}

    def add(name: str, label: str, base: str | None = None) -> None:
        base = base or name
        for form in (name, _genitive(name)):
            if form not in labels or form == name:
                canonical[form], labels[form] = base, label

    for line in _lines(GAZETTEERS / "municipalities.txt"):
        stem, _, place = (p.strip() for p in line.partition("|"))
        place = place or stem
        add(f"{stem}kommune" if stem.endswith("Regions") else f"{stem} Kommune", "ORG")
        add(place, "LOC")
    for line in _lines(GAZETTEERS / "regions.txt"):
        add(f"Region {line}", "ORG")
        add(line, "LOC")
    for file, label in _GAZETTEER_FILES.items():
        for line in _lines(GAZETTEERS / file):
            add(line, label)
    for line in _lines(GAZETTEERS / "parties.jsonl"):
        add(json.loads(line)["name"], "ORG")
    return Gazetteer(canonical, labels)


@lru_cache(maxsize=1)
def name_gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) from the bundled Danish name counts."""
    first, last = set(), set()
    with (RESOURCES / "names.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            (first if row["first_name"] == "True" else last).add(row["name"])
    return frozenset(first), frozenset(last)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case Danish words that are not names (`wordlists/README.md` says how it is built)."""
    with gzip.open(RESOURCES / "wordlists" / "common_words.txt.gz", "rt", encoding="utf-8") as fh:
        words = set(fh.read().split())
    words |= set(_lines(RESOURCES / "wordlists" / "extra_common.txt"))
    return frozenset(words)


@lru_cache(maxsize=1)
def titles() -> frozenset[str]:
    return frozenset(_lines(PATTERNS / "titles.txt"))


@lru_cache(maxsize=1)
def party_letters() -> frozenset[str]:
    return frozenset(json.loads(line)["letter"] for line in _lines(GAZETTEERS / "parties.jsonl"))


def span_patterns() -> list[dict]:
    """Every `SpanRuler` pattern: gazetteer names as phrases, the token patterns of `patterns/`,
    and the person patterns built from the name and title lists."""
    gaz = gazetteer()
    patterns: list[dict] = [{"label": gaz.labels[f], "pattern": f, "id": "gazetteer"} for f in gaz.labels]
    for file in sorted(PATTERNS.glob("*.jsonl")):
        patterns.extend(json.loads(line) for line in _lines(file))
    cap = {"IS_TITLE": True, "IS_ALPHA": True}
    cap_or_initial = {"TEXT": {"REGEX": r"^(?:[A-ZÆØÅ][a-zæøåéü]+(?:-[A-ZÆØÅ][a-zæøåéü]+)?|[A-ZÆØÅ]\.)$"}}
    letters = sorted(party_letters())
    party = [{"TEXT": "("}, {"TEXT": {"IN": letters}}, {"TEXT": ")"}]
    for n in (1, 2, 3):
        patterns.append(
            {"label": "PER", "id": "party_person", "pattern": [cap, *([cap_or_initial] * (n - 1)), cap, *party]}
        )
    title = {"LOWER": {"IN": sorted(titles())}}
    for n in (2, 3):
        patterns.append({"label": "PER", "id": "title_person", "pattern": [title, *([cap_or_initial] * (n - 1)), cap]})
    places = sorted({f for f, label in gaz.labels.items() if label == "LOC" and " " not in f})
    council = {"TEXT": {"IN": ["Byråd", "Byråds", "Kommunalbestyrelse", "Kommunalbestyrelses"]}}
    patterns.append({"label": "ORG", "id": "place_council", "pattern": [{"TEXT": {"IN": places}}, council]})
    # The name counts hold initials (`A`, `J`) as first names; a lone letter starts no person
    # ("Profilprojekt A Flere frivillige"), and an initial written as one (`J.`) is another token.
    first = {"TEXT": {"IN": sorted(n for n in name_gazetteer()[0] if len(n) > 1)}}
    for n in (1, 2):
        patterns.append(
            {"label": "PER", "id": "name_list_person", "pattern": [first, *([cap_or_initial] * (n - 1)), cap]}
        )
    return patterns


def rule_confidence(pattern_id: str, text: str, label: str) -> float:
    """The confidence of a rule match, lowered where the matched words look like common words."""
    conf = RULE_CONFIDENCE.get(pattern_id, 0.7)
    if pattern_id in ("street", "address") and " " not in text and text.lower() in common_words():
        return 0.45  # `Omvej`, `Udvej`: a common word, capitalised
    if pattern_id == "name_list_person":
        first, last = name_gazetteer()
        words = text.replace("-", " ").split()
        if words[-1] not in last and words[-1] not in first:
            conf = 0.6 if words[-1].lower() in common_words() else 0.7
    return conf


def model_confidence(text: str, label: str, probability: float) -> float:
    """The model's own probability, discounted where minutes show it to be unreliable:
    a capitalised common word (`Almene`, `Borgerne`), a compound of a place (`Odensemålene`),
    a one-word person the name lists do not know, a place the gazetteer does not know."""
    words = text.split()
    first, last = name_gazetteer()
    gaz = gazetteer()
    conf = probability
    known = gaz.lookup(text) is not None
    common = [w.lower().strip(".,") in common_words() for w in words]
    # A lone capital letter is no name either ("Profilprojekt A Flere frivillige": `A Flere`); an
    # initial is written with its period (`A. Jensen`) and keeps the span a name.
    letters = [len(w) == 1 and w.isalpha() for w in words]
    if not known and any(common) and all(c or letter for c, letter in zip(common, letters, strict=True)):
        return round(conf * 0.2, 3)
    if len(words) == 1 and not known and _place_compound(words[0]):
        return round(conf * 0.2, 3)
    if not any(c.islower() for c in text) and len(text) <= 3 and not known:
        conf *= 0.6  # an abbreviation the gazetteer does not know
    if label == "PER":
        if len(words) == 1:
            conf *= 0.8 if (words[0] in first or words[0] in last) else 0.5
        elif words[0] not in first:
            conf *= 0.8
    elif label == "LOC" and not known:
        conf *= 0.7
    elif label == "ORG" and not known:
        conf *= 0.85
    elif label == "MISC":
        conf *= 0.5
    return round(conf, 3)


def _place_compound(word: str) -> bool:
    """`Odensemålene`, `Danmarksmester`: a known place glued to a lower-case word is no name."""
    gaz = gazetteer()
    for n in range(3, len(word) - 1):
        head, tail = word[:n], word[n:]
        if head in gaz.labels and tail.islower() and tail not in ("s",):
            return True
    return False


def is_shown(entity: Entity, threshold: float | None = None) -> bool:
    """Whether a reader sees the entity (else it is a candidate): its confidence clears the threshold."""
    limit = settings.entity_min_confidence if threshold is None else threshold
    return entity.confidence >= limit


def combine(a: float, b: float) -> float:
    """Two independent pieces of evidence agreeing: more sure than either."""
    return round(1 - (1 - a) * (1 - b), 3)


_GENITIVE_OK = re.compile(r"(?:ens|ets|nes|udvalgs|Kommunes|tanks)$")


def canonical(text: str, label: str) -> str:
    """One form per entity: spaces collapsed, genitive `s` dropped (`Odenses` -> `Odense`,
    `Ankestyrelsens` -> `Ankestyrelsen`), gazetteer names in their listed form."""
    form = re.sub(r"\s+", " ", text.strip(" .,;:()\"'"))
    found = gazetteer().lookup(form)
    if found is not None:
        return found[1]
    if label in ("ORG", "LOC") and form.endswith("s"):
        if _GENITIVE_OK.search(form) or gazetteer().lookup(form[:-1]) is not None:
            form = form[:-1]
    elif label == "PER" and form.endswith("s"):
        first, last = name_gazetteer()
        surname = form.split()[-1]
        if surname not in last and surname not in first and surname[:-1] in last | first:
            form = form[:-1]
    if form.isupper() and len(form) > 4:
        form = form.title()
    return form


def unify_people(canonicals: list[str]) -> dict[str, str]:
    """Map a bare surname or first name to the full name mentioned in the same text."""
    full = [c for c in canonicals if len(c.split()) >= 2]
    mapping: dict[str, str] = {}
    for c in canonicals:
        if len(c.split()) == 1:
            matches = [f for f in full if c in f.split()]
            if len(set(matches)) == 1:
                mapping[c] = matches[0]
    return mapping
