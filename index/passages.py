"""Passages: the units that are embedded, matched and shown as snippets.

A punkt is split along its sections and paragraphs into passages of a few sentences. Each carries
its punkt title and section name, so that a passage read alone still says what it is about, and
table rows become readable `header: value` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.store import Store
from nlp.model import Table

_ABSENCE = re.compile(r"deltog ikke|^Fraværende:|^Afbud:", re.IGNORECASE)
MAX_WORDS = 110
MIN_WORDS = 25


@dataclass
class Passage:
    punkt_id: str
    section: str
    text: str  # what is shown and highlighted
    title: str

    @property
    def embed_text(self) -> str:
        """What the dense model reads: the title and section give the passage its context."""
        return f"{self.title}. {self.section}: {self.text}" if self.section else self.title


def _chunks(paragraphs: list[str]) -> list[str]:
    """Greedy: consecutive paragraphs up to MAX_WORDS; a long paragraph is cut at sentences."""
    units: list[str] = []
    for para in paragraphs:
        if len(para.split()) <= MAX_WORDS:
            units.append(para)
            continue
        sentence_buf: list[str] = []
        for sentence in re.split(r"(?<=[.!?])\s+", para):
            if sentence_buf and len(" ".join(sentence_buf + [sentence]).split()) > MAX_WORDS:
                units.append(" ".join(sentence_buf))
                sentence_buf = []
            sentence_buf.append(sentence)
        if sentence_buf:
            units.append(" ".join(sentence_buf))
    chunks: list[str] = []
    buf: list[str] = []
    for unit in units:
        if buf and len(" ".join(buf + [unit]).split()) > MAX_WORDS and len(" ".join(buf).split()) >= MIN_WORDS:
            chunks.append("\n".join(buf))
            buf = []
        buf.append(unit)
    if buf:
        chunks.append("\n".join(buf))
    return [c[:4000] for c in chunks]


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


def punkt_passages(store: Store, row) -> list[Passage]:
    """All passages of one punkt row (from `Store.all_punkter_for_index`)."""
    title = row["title"]
    pid = row["id"]
    if row["closed"]:
        return [Passage(pid, "", title, title)]
    passages = [Passage(pid, "Titel", title, title)]
    for section in store.sections_of(pid):
        text = section["text"]
        if section["name"] == "Beslutning":  # who was absent is metadata, not what the punkt is about
            text = "\n".join(line for line in text.split("\n") if not _ABSENCE.search(line))
        for chunk in _chunks(section_paragraphs(text)):
            passages.append(Passage(pid, section["name"], chunk, title))
    return passages
