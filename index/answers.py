"""Direct answers to how-many / how-much / when questions, with the sentence they come from.

"hvor mange borgere har socialt frikort" -> "110 borgere", quoting the sentence and the punkt.
The rule is to answer only when one candidate clearly wins: a wrong number with a citation
is worse than no answer, so every doubt (two values, weak overlap, a close runner-up) is silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.amounts import find_amounts
from nlp.analysis import light_stem
from nlp.dates import danish_date
from nlp.query_understanding import QUESTION_WORD, QueryIntent

#: Hits whose text is read for an answer: the answer is in the best few or not at all.
TOP_HITS = 3
#: Share of the question's content words the answering sentence must contain.
MIN_COVERAGE = 0.6
#: A runner-up with another value this close (in coverage) makes the answer ambiguous.
MARGIN = 0.2

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9\"”])|\n+")
_ABBREV_BEFORE_DIGIT = re.compile(r"\b(?:kr|mio|mia|pr|nr|jf|ca|stk|kl|t|d|den|\d{1,2})\.$", re.IGNORECASE)
_ABBREV_BEFORE_WORD = re.compile(r"\b(?:jf|ca|pr|nr|stk|kl|bl\.a|f\.eks|m\.fl|evt|inkl|ekskl)\.$", re.IGNORECASE)
# Numbers that are not quantities: days and ordinals ("31. august", "3. kvartal"), years, paragraphs.
_NOT_A_QUANTITY = re.compile(
    r"\b\d{1,2}\.\s+[a-zæøå]|(?<![\d.,])(?:19|20)\d{2}(?![\d.,])|(?:§§?|nr\.|punkt|pkt\.)\s*\d+|\d+\s*[-–]\s*\d+\s*år",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?|(?<![\w.,])\d+(?:,\d+)?")
# A decision that settles the matter: "Godkendt.", "Udvalget godkender indstillingen", "Anbefales".
_DECIDED = re.compile(r"\b(?:godkend\w*|vedt\w*|tiltræd\w*|anbefal\w*|besluttede)\b", re.IGNORECASE)
_NOT_DECIDED = re.compile(r"\b(?:drøftede|orientering|efterretning|udsat|ikke\s+godkendt|forkast\w*)\b", re.IGNORECASE)


def _covers(word: str, tokens: set[str]) -> bool:
    if len(word) <= 3 or word.isdigit():  # short words and numbers: the word itself
        return word in tokens
    stem = light_stem(word)
    return any(t.startswith(stem) or (len(stem) >= 5 and stem in t) for t in tokens)


def sentences(text: str) -> list[str]:
    """Sentences of a passage's prose; table rows are left out (tab-separated in a section, cells
    joined by ' | ' in a passage: `nlp.model.Table.as_lines`): a cell's number is not a sentence's."""
    out: list[str] = []
    for line in text.split("\n"):
        if "\t" in line or " | " in line or not line.strip():
            continue
        parts = [p.strip() for p in _SENTENCE_END.split(line) if p.strip()]
        merged: list[str] = []
        for part in parts:
            if merged and _continues(merged[-1], part):
                merged[-1] = f"{merged[-1]} {part}"
            else:
                merged.append(part)
        out.extend(merged)
    return out


def _continues(previous: str, part: str) -> bool:
    """'ca. 9.400', 'pr. 31. august', 'jf. Lov om …' go on; '… 5,8 mio. kr. Forvaltningen …' ends."""
    if part[:1].isdigit():
        return bool(_ABBREV_BEFORE_DIGIT.search(previous))
    return bool(_ABBREV_BEFORE_WORD.search(previous))


@dataclass
class _Candidate:
    coverage: float
    rank: int
    value: float | str
    text: str
    unit: str
    sentence: str
    punkt_id: str


def find_answer(intent: QueryIntent, hits: list[dict], texts: dict[str, list[str]]) -> dict | None:
    """{"text", "value", "unit", "sentence", "punkt_id"} when one answer clearly wins, else None.

    The question is the one the search read (`QueryIntent.question`, `.question_words`); `texts`
    holds each hit's body passages in document order, read in the search's own snapshot (the same
    on SQLite and Postgres), so an answer never quotes a punkt changed since the search."""
    kind, words = intent.question, list(intent.question_words)
    if kind is None or len(words) < 2 or not hits:  # "hvor mange borgere" alone asks nothing specific
        return None
    if kind == "date":
        return _date_answer(words, hits)
    candidates: list[_Candidate] = []
    for rank, hit in enumerate(hits[:TOP_HITS]):
        if hit.get("closed"):
            continue
        title_tokens = {t.lower() for t in QUESTION_WORD.findall(hit["title"])}
        for passage in texts.get(hit["id"], []):
            for sentence in sentences(passage):
                tokens = {t.lower() for t in QUESTION_WORD.findall(sentence)}
                missing = [w for w in words if not _covers(w, tokens)]
                # Every content word in the sentence; one may be missing when the punkt's title holds it.
                if len(missing) > 1 or (missing and not _covers(missing[0], title_tokens)):
                    continue
                coverage = 1.0 - 0.5 * len(missing) / len(words)
                if coverage < MIN_COVERAGE:
                    continue
                found = find_amounts(sentence)
                amounts = [a for a in found if a.kind == kind]
                if kind == "count":  # the counted thing must be what is asked about, and stand alone
                    amounts = [a for a in amounts if a.what and any(_covers(w, {a.what.lower()}) for w in words)]
                    if amounts and _other_numbers(sentence, found, amounts[0]):
                        continue
                values = {a.value for a in amounts}
                if len(values) != 1:
                    continue  # none, or several numbers: which one is meant is a guess
                a = amounts[0]
                unit = a.what if kind == "count" else "kr."
                candidates.append(_Candidate(coverage, rank, a.value, a.text, unit or "", sentence.strip(), hit["id"]))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (-c.coverage, c.rank))
    best = candidates[0]
    rivals = [c for c in candidates[1:] if c.value != best.value and c.coverage >= best.coverage - MARGIN]
    if rivals:
        return None
    answer = {"kind": kind, "text": best.text, "value": best.value, "unit": best.unit}
    return _cite({**answer, "sentence": best.sentence, "punkt_id": best.punkt_id}, hits)


def _other_numbers(sentence: str, found: list, chosen) -> bool:
    """Another quantity in the sentence ("75 løbende pladser …, hvoraf 25 pladser"): the count is not alone."""
    blocked = bytearray(len(sentence))
    for m in _NOT_A_QUANTITY.finditer(sentence):
        blocked[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for a in found:
        if a.kind in ("money", "percent", "percentage_point", "year", "period"):
            blocked[a.start : a.end] = b"\x01" * (a.end - a.start)
    blocked[chosen.start : chosen.end] = b"\x01" * (chosen.end - chosen.start)
    return any(not any(blocked[m.start() : m.end()]) for m in _ANY_NUMBER.finditer(sentence))


def _date_answer(words: list[str], hits: list[dict]) -> dict | None:
    """When was X decided: the meeting of the punkt whose title is X and whose decision approves it.

    Several treatments with different dates (committee, then council) are an ambiguity, not a guess.
    """
    found: list[tuple[str, str, str]] = []
    for hit in hits[:TOP_HITS]:
        if hit.get("closed") or not hit.get("decision"):
            continue
        title_tokens = {t.lower() for t in QUESTION_WORD.findall(hit["title"])}
        coverage = sum(_covers(w, title_tokens) for w in words) / len(words)
        first = hit["decision"].strip().split("\n")[0]
        if coverage >= 0.75 and _DECIDED.search(first) and not _NOT_DECIDED.search(first):
            found.append((hit["meeting_date"], first, hit["id"]))
    dates = {d for d, _, _ in found}
    if len(dates) != 1:
        return None
    date, sentence, punkt_id = found[0]
    answer = {"kind": "date", "text": danish_date(date), "value": date, "unit": "dato"}
    return _cite({**answer, "sentence": sentence, "punkt_id": punkt_id}, hits)


def _cite(answer: dict, hits: list[dict]) -> dict:
    """The punkt and meeting the answer comes from, for the citation under it."""
    hit = next(h for h in hits if h["id"] == answer["punkt_id"])
    keys = ("title", "municipality", "committee", "meeting_date", "number")
    return {**answer, **{k: hit.get(k) for k in keys}}
