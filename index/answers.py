"""Direct answers to how-many / how-much / which-share / how-long / when questions, with the
sentence they come from.

"hvor mange borgere har socialt frikort" -> "110 borgere", quoting the sentence and the punkt.
The rule is to answer only when one candidate clearly wins: a wrong number with a citation
is worse than no answer, so every doubt (two values, weak overlap, a close runner-up) is silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlp.amounts import find_amounts
from nlp.analysis import DANISH_NUMBER_WORDS, compound_head, light_stem
from nlp.dates import danish_date, dates_in
from nlp.query_understanding import QUESTION_WORD, QueryIntent

#: Hits whose text is read for an answer: the answer is in the best few or not at all.
TOP_HITS = 3
#: Share of the question's content words (weighted by IDF) the answering sentence, its punkt's
#: title and municipality must hold together ...
MIN_SUPPORT = 0.75
#: ... and the sentence alone: the value's own sentence must be about the question.
MIN_SENTENCE_SUPPORT = 0.35
#: A runner-up with another value this close (in support) makes the answer ambiguous ...
MARGIN = 0.2
#: ... and so does, this close, another value of the answer's punkt in a sentence no answer is
#: read from (it holds several values, or says too little of the question by itself).
COMPETING_MARGIN = 0.1

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9\"”])|\n+")
_ABBREV_BEFORE_DIGIT = re.compile(r"\b(?:kr|mio|mia|pr|nr|jf|ca|stk|kl|t|d|den|\d{1,2})\.$", re.IGNORECASE)
_ABBREV_BEFORE_WORD = re.compile(r"\b(?:jf|ca|pr|nr|stk|kl|bl\.a|f\.eks|m\.fl|evt|inkl|ekskl)\.$", re.IGNORECASE)
# Numbers that are not quantities: days and ordinals ("31. august", "3. kvartal"), years, paragraphs.
_NOT_A_QUANTITY = re.compile(
    r"\b\d{1,2}\.\s+[a-zæøå]|(?<![\d.,])(?:19|20)\d{2}(?![\d.,])|(?:§§?|nr\.|punkt|pkt\.)\s*\d+|\d+\s*[-–]\s*\d+\s*år",
    re.IGNORECASE,
)
_ANY_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?|(?<![\w.,])\d+(?:,\d+)?")
#: A when-question about the deciding itself ("hvornår besluttede udvalget ..."): the meeting's date.
_ABOUT_DECIDING = re.compile(
    r"\b(?:beslut\w*|godkend\w*|vedt[ao]g\w*|vedtaget|tiltr[åa]d\w*|behandl\w*|drøft\w*|decided?|approved?|adopted?)\b",
    re.IGNORECASE,
)
_UNITS = {
    "år": "år", "måned": "måneder", "måneder": "måneder", "måneders": "måneder",
    "uge": "uger", "uger": "uger", "ugers": "uger", "dag": "dage", "dage": "dage", "dages": "dage",
    "time": "timer", "timer": "timer", "timers": "timer", "årig": "år", "årige": "år",
}  # fmt: skip
_DURATION = re.compile(
    r"(?<![\w.,])(?P<n>\d+(?:,\d+)?|"
    + "|".join(DANISH_NUMBER_WORDS)
    + r")(?:\s+|-)(?P<unit>"
    + "|".join(sorted(_UNITS, key=len, reverse=True))
    + r")(?![\wæøå])",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d{2}")
# A decision that settles the matter: "Godkendt.", "Udvalget godkender indstillingen", "Anbefales".
_DECIDED = re.compile(r"\b(?:godkend\w*|vedt\w*|tiltræd\w*|anbefal\w*|besluttede)\b", re.IGNORECASE)
_NOT_DECIDED = re.compile(r"\b(?:drøftede|orientering|efterretning|udsat|ikke\s+godkendt|forkast\w*)\b", re.IGNORECASE)


SAME_WORDS = Path(__file__).resolve().parents[1] / "nlp" / "resources" / "answers" / "same_words.yaml"


@lru_cache(maxsize=1)
def _same_words() -> tuple[dict[str, tuple[str, ...]], dict[str, str], list[tuple[str, str]]]:
    """(group -> its words, word -> its group, opposite groups) of `nlp/resources/answers/same_words.yaml`."""
    data = yaml.safe_load(SAME_WORDS.read_text(encoding="utf-8")) or {}
    opposites = [tuple(pair) for pair in data.pop("opposites", [])]
    groups = {name: tuple(w.lower() for w in words) for name, words in data.items()}
    of = {w: name for name, words in groups.items() for w in words}
    return groups, of, opposites


def _group_words(word: str) -> tuple[str, ...]:
    groups, of, _ = _same_words()
    return groups.get(of.get(word, ""), ())


def _is_event(word: str) -> bool:
    """A word of a group with an opposite (start, end): what a when-question asks about."""
    _, of, opposites = _same_words()
    return any(of.get(word) in pair for pair in opposites)


def _contradicts(words: list[str], tokens: set[str]) -> bool:
    """The sentence speaks of the opposite of what the question asks (it ends, the question asks
    when it starts) and not of the asked thing itself."""
    groups, of, opposites = _same_words()
    asked = {of[w] for w in words if w in of}
    for a, b in opposites:
        for mine, other in ((a, b), (b, a)):
            if mine in asked and any(_covers(w, tokens) for w in groups[other]):
                if not any(_covers(w, tokens) for w in groups[mine]):
                    return True
    return False


def _credit(word: str, tokens: set[str]) -> float:
    """How fully a sentence's words (and its compounds' heads) meet one word of the question: the
    word itself or a word of its group fully, the head of a compound question word half
    (`byggesager` by `sager`)."""
    if _covers(word, tokens) or any(_covers(m, tokens) for m in _group_words(word)):
        return 1.0
    head = _head(word)
    return 0.5 if head and _covers(head, tokens) else 0.0


def _head(word: str) -> str | None:
    """A compound's head as written (`valgperioden` -> `perioden`, `it-pakken` -> `pakken`)."""
    if "-" in word:
        return word.rsplit("-", 1)[1] or None
    return compound_head(word)


def _words_of(text: str) -> set[str]:
    """A sentence's words as answers match them: each word and the heads of its compounds, down
    to the last (`it-udstyrspakke` -> `udstyrspakke` -> `pakke`)."""
    out = set()
    for token in QUESTION_WORD.findall(text):
        word: str | None = token.lower()
        while word and word not in out:
            out.add(word)
            word = _head(word)
    return out


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


def find_answer(
    intent: QueryIntent, hits: list[dict], texts: dict[str, list[str]], weights: dict[str, float] | None = None
) -> dict | None:
    """{"text", "value", "unit", "sentence", "punkt_id"} when one answer clearly wins, else None.

    The question is the one the search read (`QueryIntent.question`, `.question_words`); `texts`
    holds each hit's body passages in document order, read in the search's own snapshot (the same
    on SQLite and Postgres), so an answer never quotes a punkt changed since the search. `weights`
    says how much each question word tells (its IDF in the archive: "nye" or "gang" little, a
    name much); without them every word weighs the same."""
    kind, words = intent.question, list(intent.question_words)
    if kind is None or len(words) < 2 or not hits:  # "hvor mange borgere" alone asks nothing specific
        return None
    if kind == "date" and _ABOUT_DECIDING.search(intent.query):
        return _date_answer(words, hits)  # when was it decided: the meeting that decided it
    weight = {w: (weights or {}).get(w, 1.0) for w in words}
    # Names and years the question gives must be met: a sentence about Tune bibliotek does not
    # answer for Karlslunde's, nor one under "Klimahandledag 2024" for 2025.
    names = [w for w in intent.question_names if w in weight] + [w for w in words if _YEAR.fullmatch(w)]
    # The event a question asks about ("udløber", "starter") must be in the value's own sentence.
    events = [w for w in words if _is_event(w)]
    if kind == "date" and not events:
        return None  # "hvornår holder byrådet møder": no moment a sentence could name
    total = sum(weight.values()) or 1.0
    candidates: list[_Candidate] = []
    competing: list[tuple] = []  # (support, value, punkt, the sentence's values) of sentences read from no answer
    for rank, hit in enumerate(hits[:TOP_HITS]):
        if hit.get("closed"):
            continue
        # The punkt's title and its own municipality need no repeating: "i Greve" is met by every
        # Greve punkt, and a sentence of the punkt "Befolkningsprognose 2024" is about it.
        place = hit.get("municipality") or ""
        around = _words_of(f"{hit['title']} {place} Kommune" if place else hit["title"])
        titled = {w: _credit(w, around) for w in words}
        for passage in texts.get(hit["id"], []):
            for sentence in sentences(passage):
                tokens = _words_of(sentence)
                said = {w: _credit(w, tokens) for w in words}
                if not all(max(said[n], titled[n]) == 1.0 for n in names):
                    continue
                if _contradicts(words, tokens) or not all(said[e] == 1.0 for e in events):
                    continue
                in_sentence = sum(weight[w] * said[w] for w in words)
                support = sum(weight[w] * max(said[w], titled[w]) for w in words)
                if support < MIN_SUPPORT * total:
                    continue
                values = _values(kind, sentence, words, intent.question_unit, intent.question_counted)
                # Several values (which is meant is a guess), or a sentence that says too little of
                # the question by itself: no answer from it, but each of its values is a rival.
                if len({v for v, _, _ in values}) > 1 or in_sentence < MIN_SENTENCE_SUPPORT * total:
                    found = {v for v, _, _ in values}
                    competing.extend((support / total, v, hit["id"], found) for v in found)
                    continue
                if values:
                    value, text, unit = values[0]
                    candidates.append(_Candidate(support / total, rank, value, text, unit, sentence.strip(), hit["id"]))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (-c.coverage, c.rank))
    best = candidates[0]
    rivals = [c for c in candidates[1:] if c.value != best.value and c.coverage >= best.coverage - MARGIN]
    # The answer's own punkt giving another value as strongly in a sentence no answer is read from
    # ("udløb i foråret 2031" beside "ophører i foråret 2025") makes it two answers, not one.
    # A sentence that states the answer beside other values restates it ("af de 84 ansøgninger på
    # 11,4 mio. kr. ... 71 ansøgninger på 5,8 mio. kr."): no rival.
    rivals += [
        v for support, v, punkt, found in competing
        if punkt == best.punkt_id and best.value not in found and support >= best.coverage - COMPETING_MARGIN
    ]  # fmt: skip
    if rivals:
        return None
    answer = {"kind": kind, "text": best.text, "value": best.value, "unit": best.unit}
    return _cite({**answer, "sentence": best.sentence, "punkt_id": best.punkt_id}, hits)


def _values(
    kind: str, sentence: str, words: list[str], unit: str | None, counted: str | None = None
) -> list[tuple[float | str, str, str]]:
    """(value, as written, unit) of each value of the asked kind in a sentence. A count must count
    what the question counts (`counted`, the word after "hvor mange"; else any of its words) and
    stand alone: counts of other things beside it are fine ("2.055 kvinder og 525 mænd")."""
    if kind == "duration":
        return [(v, text, u) for v, text, u in find_durations(sentence) if unit is None or u == _UNITS.get(unit, unit)]
    if kind == "date":
        return dates_in(sentence)
    found = find_amounts(sentence)
    amounts = [a for a in found if a.kind == kind]
    if kind == "count":
        asked = [counted] if counted else words
        amounts = [a for a in amounts if a.what and any(_credit(w, {a.what.lower()}) == 1.0 for w in asked)]
        others = [a for a in found if a.kind == "count" and a not in amounts]
        if amounts and _other_numbers(sentence, found, amounts[0], others):
            return []
        return [(a.value, a.text, a.what or "") for a in amounts]
    return [(a.value, a.text, "kr." if kind == "money" else "%") for a in amounts]


def find_durations(sentence: str) -> list[tuple[float, str, str]]:
    """Spans of time: `12 år`, `6 måneder`, `i ni år`, `95 dage` -> (value, as written, unit)."""
    out = []
    for m in _DURATION.finditer(sentence):
        number = m.group("n").lower()
        value = DANISH_NUMBER_WORDS.get(number)
        if value is None:
            value = float(number.replace(".", "").replace(",", "."))
        out.append((value, m.group(0), _UNITS[m.group("unit").lower()]))
    return out


def _other_numbers(sentence: str, found: list, chosen, other_counts: list = ()) -> bool:
    """Another quantity in the sentence ("75 løbende pladser …, hvoraf 25 pladser"): the count is
    not alone. Money, shares, years and counts of other things (`other_counts`) are no rivals."""
    blocked = bytearray(len(sentence))
    for m in _NOT_A_QUANTITY.finditer(sentence):
        blocked[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for a in found:
        if a.kind in ("money", "percent", "percentage_point", "year", "period") or a in other_counts:
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
