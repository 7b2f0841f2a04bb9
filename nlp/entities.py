"""Domain rules for entities in referater, and one canonical form per entity.

The statistical NER knows newspaper Danish; minutes are full of public bodies
(`Beskæftigelses- og Socialforvaltningen`, `Styrelsen for Arbejdsmarked og Rekruttering`),
politicians with a party letter (`Claus Houden (V)`), districts and addresses. These rules find
them with high precision and take precedence over the model where they overlap.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"

_CAP = r"[A-ZÆØÅ][a-zæøåéü]+"
_CAP_WORD = r"[A-ZÆØÅ][\wæøåÆØÅé\-]*"
# `Beskæftigelses- og Socialforvaltningen`: a capitalised head, optional `X- og Y` coordination.
_COORD = rf"(?:{_CAP_WORD}-?,?\s(?:og|&)\s)?(?:{_CAP_WORD}-\s?(?:og|&)\s)?"
ORG_SUFFIX = (
    r"(?:forvaltning(?:en)?|udvalg(?:et)?|ministerium|ministeriet|styrelse(?:n)?|rådet|råd|centret|centeret|center|"
    r"sekretariat(?:et)?|afdeling(?:en)?|kontor(?:et)?|direktion(?:en)?|fond(?:en)?|forening(?:en)?|"
    r"organisation(?:en)?|selskab(?:et)?|jobcenter(?:et)?|Korshær|Mission|Universitet|universitet(?:et)?|"
    r"hospital(?:et)?|politi(?:et)?|skole(?:n)?|forbund(?:et)?|hus(?:et)?|tanken|akademi(?:et)?)"
)
_ORG_PATTERNS = [
    rf"\b{_COORD}{_CAP_WORD}{ORG_SUFFIX}s?\b",
    rf"\b(?:Styrelsen|Agenturet|Nævnet|Ministeriet|Rådet|Foreningen|Fonden|Center|Centret|Region)\sfor\s{_CAP_WORD}(?:,?\s(?:og\s)?{_CAP_WORD})*",
    rf"\b{_CAP}(?:-{_CAP})?\sKommunes?\b",
    rf"\bRegion\s{_CAP}(?:\s{_CAP})?\b",
    r"\b(?:Ankestyrelsen|Socialstyrelsen|Folketinget|Byrådet|Regeringen|KL|Kommunernes Landsforening|STAR|"
    r"Danmarks Statistik|Rigspolitiet|Kriminalforsorgen|Udbetaling Danmark|Sundhedsstyrelsen|Finansministeriet|"
    r"Beskæftigelsesministeriet|Social- og Boligministeriet|Indenrigs- og Sundhedsministeriet|Oak Foundation|"
    r"Kirkens Korshær|Røde Kors|Frelsens Hær|Blå Kors|Red Barnet|Mødrehjælpen|Headspace|Housing First)\b",
    rf"\bJobcenter\s{_CAP}\b",
    rf"\b{_CAP_WORD}(?:center|centret|centeret|huset|Community)\s{_CAP}\b",
    rf"\b{_CAP_WORD}\s(?:Fonden|Fond|Foundation|Forening|ApS|A/S|I/S)\b",
]
_PARTY = re.compile(
    rf"\b(?P<name>{_CAP}(?:\s(?:{_CAP}|[A-ZÆØÅ]\.)){{0,3}}(?:-{_CAP})?)\s\((?P<party>[A-ZÆØÅ]{{1,2}})\)"
)
_ADDRESS = re.compile(
    rf"\b{_CAP_WORD}(?:vej|gade|allé|alle|plads|torv|stræde|vænge|park|boulevard|have|toften|parken|bakken)\s\d+[A-Z]?\b"
)
_TITLE_PERSON = re.compile(
    rf"\b(?:Rådmand|rådmand|Borgmester|borgmester|Udvalgsmedlem(?:merne)?|udvalgsmedlem(?:merne)?|Direktør|direktør|"
    rf"formand|Formand|næstformand|chef|Chef)\s(?P<name>{_CAP}(?:\s(?:{_CAP}|[A-ZÆØÅ]\.)){{1,3}}(?:-{_CAP})?)"
)
# Districts and areas that minutes name as places (a gazetteer users extend in resources).
DISTRICTS = (
    "Vollsmose|Bolbro|Korsløkke|Tarup|Bellinge|Dalum|Hjallese|Højby|Næsby|Skibhus|Sanderum|Holluf Pile|Agedrup|"
    "Ejby|Odense C|Odense SØ|Odense SV|Odense NV|Odense NØ|Odense M|Odense N|Odense S|Odense V|Fyn|Danmark|Holland|"
    "Greve Strand|Karlslunde|Tune|Hundige|Greve Nord|København|Aarhus|Aalborg|Esbjerg|Randers|Kolding|Vejle|Horsens|"
    "Middelfart|Nyborg|Svendborg|Assens|Kerteminde|Faaborg|Sjælland|Jylland|Ukraine|Europa|Norden"
)
_PLACE = re.compile(rf"\b(?:{DISTRICTS})\b")
_GENITIVE_OK = re.compile(r"(?:ens|ets|nes|udvalgs|Kommunes|tanks)$")


@lru_cache(maxsize=1)
def name_gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) from the bundled Danish name counts."""
    first, last = set(), set()
    with (RESOURCES / "names.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            (first if row["first_name"] == "True" else last).add(row["name"])
    return frozenset(first), frozenset(last)


def rule_entities(text: str) -> list[tuple[int, int, str]]:
    """(start, end, label) spans found by rules, longest first where they overlap."""
    spans: list[tuple[int, int, str]] = []
    for m in _PARTY.finditer(text):
        spans.append((m.start("name"), m.end("name"), "PER"))
    for m in _TITLE_PERSON.finditer(text):
        spans.append((m.start("name"), m.end("name"), "PER"))
    for pattern in _ORG_PATTERNS:
        for m in re.finditer(pattern, text):
            spans.append((m.start(), m.end(), "ORG"))
    for m in _ADDRESS.finditer(text):
        spans.append((m.start(), m.end(), "LOC"))
    for m in _PLACE.finditer(text):
        spans.append((m.start(), m.end(), "LOC"))
    spans.extend(_gazetteer_people(text))
    return _resolve_overlaps(spans)


def _gazetteer_people(text: str) -> list[tuple[int, int, str]]:
    """`Fornavn [Mellemnavn] Efternavn` where the first name is a known Danish first name."""
    first, last = name_gazetteer()
    out = []
    for m in re.finditer(rf"\b({_CAP})((?:\s{_CAP}){{1,2}}(?:-{_CAP})?)\b", text):
        words = m.group(0).replace("-", " ").split()
        if words[0] in first and (words[-1] in last or words[-1] in first or len(words) == 3):
            out.append((m.start(), m.end(), "PER"))
    return out


def _resolve_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def canonical(text: str, label: str) -> str:
    """One form per entity: spaces collapsed, genitive `s` dropped (`Ankestyrelsens` -> `Ankestyrelsen`)."""
    form = re.sub(r"\s+", " ", text.strip(" .,;:()\"'"))
    if label in ("ORG", "LOC") and form.endswith("s") and _GENITIVE_OK.search(form):
        form = form[:-1]
    elif label == "PER" and form.endswith("s") and len(form.split()) >= 2:
        first, last = name_gazetteer()
        surname = form.split()[-1]
        if surname not in last and surname[:-1] in last | first:
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
