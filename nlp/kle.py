"""KLE topics (Kommunernes Landsforenings Emnesystematik) from OS2KLE.

A journal number's first part is the KLE topic (`27.15.12` = Frivilligt socialt arbejde). Where
a punkt has none (FirstAgenda case numbers like `21-014448`), the topic is predicted from the text
with OS2KLE's weighted keywords.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

OS2KLE = Path(__file__).resolve().parent / "resources" / "kle" / "OS2KLE.txt"
_LINE = re.compile(r"KLENummer='(?P<num>[\d.]+)':KLETitel='(?P<title>.*?)':Keywords\[Weight\]=(?P<kw>.*)$")
_KW = re.compile(r"(?P<word>[^;\[\]]+)\[(?P<weight>\d+)\]")
_WORD = re.compile(r"[a-zæøå0-9§]+")


@dataclass(frozen=True)
class Topic:
    number: str
    title: str


@dataclass
class Taxonomy:
    topics: dict[str, Topic]
    keywords: dict[tuple[str, ...], list[tuple[str, float]]]
    max_ngram: int

    def title(self, number: str) -> str | None:
        topic = self.topics.get(number)
        return _short(topic.title) if topic else None

    def describe(self, number: str, source: str, score: float) -> dict:
        """The KLE object of `referat show --json`: topic, group and main group with titles."""
        parts = number.split(".")
        main, group = f"{parts[0]}.00.00", f"{parts[0]}.{parts[1] if len(parts) > 1 else '00'}.00"
        return {
            "number": number,
            "title": self.title(number),
            "group": {"number": ".".join(group.split(".")[:2]), "title": self.title(group)},
            "main_group": {"number": parts[0], "title": self.title(main)},
            "source": source,
            "score": round(score, 3),
        }

    def predict(self, text: str, title: str = "", top: int = 3, min_evidence: float = 3.0) -> list[tuple[str, float]]:
        """Topics ranked by OS2KLE's weighted keywords found in the title (counted thrice) and text.

        A keyword counts by its weight, its specificity (how few topics share it) and its length;
        repeats are log-damped. Too little evidence gives no prediction rather than a guess.
        """
        counts: dict[tuple[str, ...], float] = defaultdict(float)
        for words, boost in ((_WORD.findall(title.lower()), 3.0), (_WORD.findall(text.lower()), 1.0)):
            for n in range(1, self.max_ngram + 1):
                for i in range(len(words) - n + 1):
                    key = tuple(words[i : i + n])
                    if key in self.keywords:
                        counts[key] += boost
        hits: dict[str, float] = defaultdict(float)
        for key, count in counts.items():
            topics = self.keywords[key]
            specificity = 1.0 / len(topics)
            for number, weight in topics:
                hits[number] += (1 + math.log10(max(weight, 1.0))) * specificity * len(key) * (1 + math.log(count))
        if not hits:
            return []
        ranked = sorted(hits.items(), key=lambda kv: -kv[1])
        if ranked[0][1] < min_evidence:
            return []
        total = sum(v for _, v in ranked[:10])
        return [(number, value / total) for number, value in ranked[:top]]


def _short(title: str) -> str:
    return re.sub(r"\s+i almindelighed$", "", title).strip()


@lru_cache(maxsize=1)
def taxonomy(path: str | None = None) -> Taxonomy:
    topics: dict[str, Topic] = {}
    keywords: dict[tuple[str, ...], list[tuple[str, float]]] = defaultdict(list)
    max_ngram = 1
    for line in Path(path or OS2KLE).read_text(encoding="utf-8").splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        number = m.group("num")
        topics[number] = Topic(number, m.group("title"))
        for kw in _KW.finditer(m.group("kw")):
            key = tuple(_WORD.findall(kw.group("word").lower()))
            if not key or len(key) > 5 or (len(key) == 1 and len(key[0]) < 4):
                continue
            keywords[key].append((number, float(kw.group("weight"))))
            max_ngram = max(max_ngram, len(key))
    # A keyword that many topics share says little about any of them.
    pruned = {k: v for k, v in keywords.items() if len(v) <= 12}
    return Taxonomy(topics, pruned, max_ngram)


def kle_for(journal_kle: str | None, text: str, title: str = "") -> dict:
    """The punkt's KLE topic: from its journal number when it has one, else predicted."""
    tax = taxonomy()
    if journal_kle and journal_kle in tax.topics:
        return tax.describe(journal_kle, "journal", 1.0)
    if journal_kle:
        parts = journal_kle.split(".")
        for candidate in (f"{parts[0]}.{parts[1]}.00", f"{parts[0]}.00.00"):
            if candidate in tax.topics:
                return tax.describe(candidate, "journal", 0.9)
    predicted = tax.predict(text, title=title)
    if not predicted:
        return {}
    number, score = predicted[0]
    result = tax.describe(number, "predicted", score)
    result["alternatives"] = [{"number": n, "title": tax.title(n), "score": round(s, 3)} for n, s in predicted[1:]]
    return result
