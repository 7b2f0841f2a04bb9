"""Direct answers to how-many / how-much / when questions, with the sentence they come from.

"hvor mange borgere har socialt frikort" -> "110 borgere", quoting the sentence and the punkt.
The rule is to answer only when one candidate clearly wins: a wrong number with a citation
is worse than no answer, so every doubt (two values, weak overlap, a close runner-up) is silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.amounts import find_amounts

#: Hits whose text is read for an answer: the answer is in the best few or not at all.
TOP_HITS = 3
#: Share of the question's content words the answering sentence must contain.
MIN_COVERAGE = 0.6
#: A runner-up with another value this close (in coverage) makes the answer ambiguous.
MARGIN = 0.2

_KINDS = [
    ("count", re.compile(r"\bhvor\s+mange\b|\bhow\s+many\b|\bantallet\s+af\b", re.IGNORECASE)),
    (
        "money",
        re.compile(
            r"\bhvor\s+meget\b|\bhvad\s+kost\w*|\bhow\s+much\b|\bwhat\s+(?:does|did)\b.*\bcost\b|\bhvor\s+stort?\s+"
            r"(?:er|var|blev)?\s*(?:budget\w*|beløb\w*|tilskud\w*|bevilling\w*|udgift\w*)",
            re.IGNORECASE,
        ),
    ),
    ("date", re.compile(r"\bhvornår\b|\bwhen\b", re.IGNORECASE)),
]
_STOP = set(
    """hvor mange meget hvad hvornår hvem hvilke hvilken hvordan koster kostede koste kost er var blev bliver
    har havde have i på en et den det de der af til for med om og at som fra ved under over mod samt
    sig sin sit sine man vi jeg du kan skal vil får fik nu så også kun alle ikke eller men
    stort stor store pr årligt antal antallet
    besluttede beslutte besluttet vedtog vedtaget godkendte godkendt godkendelse blev
    udvalget udvalg byrådet byråd kommunen kommune
    how many much when what does did do the a an of to in for and is are was were on at by cost""".split()
)
_WORD = re.compile(r"[a-zæøåéü0-9][a-zæøåéü0-9-]*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9\"”])|\n+")
_ABBREV_END = re.compile(r"\b(?:kr|mio|mia|pr|nr|jf|ca|bl\.a|f\.eks|mv|stk|t)\.$", re.IGNORECASE)
_DECIDED = re.compile(r"^\s*(?:indstillingen\s+)?(?:godkend|vedta|tiltrå|anbefal|beslutte)", re.IGNORECASE)


def question_kind(query: str) -> str | None:
    for kind, pattern in _KINDS:
        if pattern.search(query):
            return kind
    return None


def _stem(word: str) -> str:
    """Crude Danish stem: enough to meet "borgere"/"borgerne", "forsorgshjem"/"forsorgshjemmet"."""
    word = word.lower()
    return word[:6] if len(word) > 6 else word


def content_words(query: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(query)]
    return list(dict.fromkeys(w for w in words if w not in _STOP and len(w) > 2))


def _covers(word: str, tokens: set[str]) -> bool:
    stem = _stem(word)
    return any(t.startswith(stem) or (len(t) >= 5 and stem.startswith(t[:6])) for t in tokens) or any(
        len(stem) >= 5 and stem in t
        for t in tokens  # the second half of a compound ("…hjemmet")
    )


def sentences(text: str) -> list[str]:
    """Sentences of a section's prose; table rows (tab-separated lines) are left out."""
    out: list[str] = []
    for line in text.split("\n"):
        if "\t" in line or not line.strip():
            continue
        pending = ""
        for part in _SENTENCE_END.split(line):
            pending = f"{pending} {part}".strip() if pending else part.strip()
            if pending and not _ABBREV_END.search(pending):
                out.append(pending)
                pending = ""
        if pending:
            out.append(pending)
    return out


@dataclass
class _Candidate:
    coverage: float
    rank: int
    value: float | str
    text: str
    unit: str
    sentence: str
    punkt_id: str


def find_answer(store, query: str, hits: list[dict]) -> dict | None:
    """{"text", "value", "unit", "sentence", "punkt_id"} when one answer clearly wins, else None."""
    kind = question_kind(query)
    words = content_words(query)
    if kind is None or not words or not hits:
        return None
    if kind == "date":
        return _date_answer(store, words, hits)
    candidates: list[_Candidate] = []
    for rank, hit in enumerate(hits[:TOP_HITS]):
        if hit.get("closed"):
            continue
        try:
            punkt = store.punkt(hit["id"])
        except Exception:  # noqa: BLE001 - a hit removed since the search is simply not an answer
            continue
        title_tokens = {t.lower() for t in _WORD.findall(punkt["title"])}
        for section in punkt["sections"]:
            for sentence in sentences(section["text"]):
                tokens = {t.lower() for t in _WORD.findall(sentence)}
                covered = [w for w in words if _covers(w, tokens) or _covers(w, title_tokens)]
                in_sentence = [w for w in words if _covers(w, tokens)]
                if not in_sentence:
                    continue
                coverage = len(covered) / len(words)
                if coverage < MIN_COVERAGE:
                    continue
                amounts = [a for a in find_amounts(sentence) if a.kind == kind]
                if kind == "count":  # the counted thing must be what is asked about
                    amounts = [a for a in amounts if a.what and any(_covers(w, {a.what.lower()}) for w in words)]
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


def _date_answer(store, words: list[str], hits: list[dict]) -> dict | None:
    """When was X decided: the meeting of the punkt whose title is X and whose decision approves it.

    Several treatments with different dates (committee, then council) are an ambiguity, not a guess.
    """
    found: list[tuple[str, str, str]] = []
    for hit in hits[:TOP_HITS]:
        if hit.get("closed") or not hit.get("decision"):
            continue
        title_tokens = {t.lower() for t in _WORD.findall(hit["title"])}
        coverage = sum(_covers(w, title_tokens) for w in words) / len(words)
        first = hit["decision"].strip().split("\n")[0]
        if coverage >= 0.75 and _DECIDED.search(first):
            found.append((hit["meeting_date"], first, hit["id"]))
    dates = {d for d, _, _ in found}
    if len(dates) != 1:
        return None
    date, sentence, punkt_id = found[0]
    answer = {"kind": "date", "text": _danish_date(date), "value": date, "unit": "dato"}
    return _cite({**answer, "sentence": sentence, "punkt_id": punkt_id}, hits)


def _cite(answer: dict, hits: list[dict]) -> dict:
    """The punkt and meeting the answer comes from, for the citation under it."""
    hit = next(h for h in hits if h["id"] == answer["punkt_id"])
    keys = ("title", "municipality", "committee", "meeting_date", "number")
    return {**answer, **{k: hit.get(k) for k in keys}}


def _danish_date(iso: str) -> str:
    months = "januar februar marts april maj juni juli august september oktober november december".split()
    y, m, d = iso.split("-")
    return f"{int(d)}. {months[int(m) - 1]} {y}"
