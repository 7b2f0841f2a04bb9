"""Passages: the units that are embedded, matched and shown as snippets.

A punkt is split along its sections and paragraphs into passages of a few sentences. Each carries
its punkt title and section name, so that a passage read alone still says what it is about, and
table rows become readable `header: value` lines. Passages are cut here, in the NLP layer, from
the document model, so that the encoder pass that embeds them can serve the NER as well, and the
store keeps them with their vectors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.model import Punkt, Table
from nlp.settings import settings

_ABSENCE = re.compile(r"deltog ikke|^Fraværende:|^Afbud:", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Passage:
    section: str
    text: str  # what is shown and highlighted
    title: str

    @property
    def embed_text(self) -> str:
        """What the dense model reads: the title and section give the passage its context."""
        return f"{self.title}. {self.section}: {self.text}" if self.section != "Titel" else self.title


def _words(text: str) -> int:
    return len(text.split())


def _pack(pieces: list[str], max_words: int, min_words: int, sep: str) -> list[str]:
    """Consecutive pieces joined while they stay within `max_words` (a group is only closed once it
    has `min_words`)."""
    groups: list[str] = []
    buf: list[str] = []
    size = 0
    for piece in pieces:
        n = _words(piece)
        if buf and size + n > max_words and size >= min_words:
            groups.append(sep.join(buf))
            buf, size = [], 0
        buf.append(piece)
        size += n
    if buf:
        groups.append(sep.join(buf))
    return groups


def _chunks(paragraphs: list[str], max_words: int, min_words: int) -> list[str]:
    """Greedy: consecutive paragraphs up to `max_words`; a long paragraph is cut at sentences."""
    units: list[str] = []
    for para in paragraphs:
        if _words(para) <= max_words:
            units.append(para)
        else:
            units.extend(_pack(_SENTENCE.split(para), max_words, 0, " "))
    return [c[:4000] for c in _pack(units, max_words, min_words, "\n")]


def section_paragraphs(text: str) -> list[str]:
    """Paragraphs of a section; a run of tab-separated rows becomes `header: value` lines."""
    out: list[str] = []
    rows: list[list[str]] = []
    for line in [*text.split("\n"), ""]:
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        if rows:
            out.extend(Table(rows=rows).as_lines())
            rows = []
        if line.strip():
            out.append(line.strip())
    return out


def punkt_passages(punkt: Punkt) -> list[Passage]:
    """All passages of a punkt: its title first, then its sections'. A closed punkt has its title only."""
    title = punkt.title
    passages = [Passage("Titel", title, title)]
    if punkt.closed:
        return passages
    for section in punkt.sections:
        text = section.text
        if section.name == "Beslutning":  # who was absent is metadata, not what the punkt is about
            text = "\n".join(line for line in text.split("\n") if not _ABSENCE.search(line))
        for chunk in _chunks(section_paragraphs(text), settings.passage_max_words, settings.passage_min_words):
            passages.append(Passage(section.name, chunk, title))
    return passages
