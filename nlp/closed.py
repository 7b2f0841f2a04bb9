"""Whether a punkt is closed (lukket): decided once, here, for every reader and for harvest.

Showing a closed punkt's content is the one mistake that cannot be taken back, and a list of
exact prefixes loses to the next way of writing "Lukket" (`Lukket; …`, `«Lukket»`, `Luk​ket`,
fullwidth `Ｌｕｋｋｅｔ`, `Fortroligt: Lukket sag`). So the decision is made on words, not on
spellings: the text is normalised first (`normalise`: HTML entities, NFKC, accents, zero-width
and format characters, Unicode look-alikes, case, words broken by hyphens or spaces), and a
punkt is closed when a marker word (`nlp/resources/closed_markers.yaml`, each with its reason)
stands anywhere in its title or caption, in a short field or line that is only a marking, in a
field named so, or when the punkt follows a closed-agenda heading. A marker that is really part
of the subject ("Lukket afdeling") hides an open punkt: the cheaper error, and it is logged.
"""

from __future__ import annotations

import html
import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

#: A line longer than this is text, not a marking (a marking is a few words).
MAX_MARKING_CHARS = 120
#: Only the start of a long title or field is read: markings come first.
MAX_READ_CHARS = 2000

#: Markup is removed; a bracketed marking that is no tag of HTML (`<Lukket sag>`) stays text.
_TAG = re.compile(
    r"</?(?:a|b|i|u|s|p|br|hr|em|strong|span|div|font|small|big|sup|sub|mark|h[1-6]|li|ul|ol|dl|dt|dd|table|"
    r"tbody|thead|tr|td|th|section|article|header|footer|blockquote|q|cite|abbr|code|pre|ins|del|label|center|"
    r"title|nobr|wbr|img)\b[^<>]{0,500}>",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits together, split by `words`
_RUNS = re.compile(r"[^\W\d_]+|\d+")  # letter runs and digit runs
#: A hyphen (or soft hyphen, already removed) that breaks one word across a line or a space.
_BROKEN = re.compile(r"(?<=[^\W\d_])[-‐‑‒–]\s*\n\s*(?=[^\W\d_])")
#: What sets a marking apart from the subject in a title.
_SEPARATOR = re.compile(r"[:;,.!?|/\\()\[\]{}<>«»‹›\"“”„'‘’`*_~#+=\-–—‒]+")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a"})
_KEEP = frozenset("æøåÆØÅ")


@dataclass(frozen=True)
class Decision:
    """The decision with its reason; `doubtful` when the marker may belong to the subject."""

    closed: bool
    reason: str = ""
    doubtful: bool = False

    def __bool__(self) -> bool:
        return self.closed

    @property
    def certain(self) -> bool:
        return self.closed and not self.doubtful


@dataclass(frozen=True)
class _Markers:
    phrases: tuple[tuple[str, ...], ...]
    joined: frozenset[str]  # every phrase written as one word ("ikkeoffentlig")
    fillers: frozenset[str]
    part_words: frozenset[str]
    open_words: frozenset[str]
    closed_keys: frozenset[str]
    reasons: dict[tuple[str, ...], str]
    typo_min_letters: int


@cache
def _confusables() -> dict[str, str]:
    """Look-alike character -> the Latin letter it imitates (Unicode's confusables, via
    confusable-homoglyphs): Cyrillic `е`, Greek `Κ`, mathematical and other look-alikes."""
    import confusable_homoglyphs

    path = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    table: dict[str, str] = {}
    for char, entries in json.loads(path.read_text(encoding="utf-8")).items():
        if len(char) != 1 or char.isascii() or char in _KEEP:
            continue  # ASCII stays itself (`|` is no `l`; digits are read by `words`)
        for entry in entries:
            target = entry.get("c", "")
            if len(target) == 1 and target.isascii() and target.isalpha():
                table[char] = target.lower()
                break
    for char, target in list(table.items()):  # `К` is listed, `к` is not: case pairs look alike too
        for other in (char.lower(), char.upper()):
            if len(other) == 1 and not other.isascii() and other not in _KEEP:
                table.setdefault(other, target)
    return table


_LATIN_NAME = re.compile(r"^LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL |INSULAR |TURNED |REVERSED )?([A-Z])\b")


@cache
def _latin(char: str) -> str:
    """A Latin letter that Unicode's confusables leave out (`ʟ`, small capital L): by its name."""
    match = _LATIN_NAME.match(unicodedata.name(char, ""))
    return match.group(1).lower() if match else char


def normalise(text: str | None) -> str:
    """The text as a reader of markings sees it: lower-case letters, nothing hidden or disguised."""
    text = (text or "")[:MAX_READ_CHARS]
    for _ in range(3):  # `&amp;#58;` is `:` encoded twice
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    # Invisible characters go before markup is read: `<I​kke …>` is no `<i>` tag.
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    table = _confusables()
    chars = []
    for char in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(char)
        if category in ("Mn", "Me", "Cf") or (category == "Cc" and char not in "\n\t"):
            continue  # accents, zero-width and format characters, controls
        chars.append(table.get(char) or (char if char.isascii() or char in _KEEP else _latin(char)))
    text = _BROKEN.sub("", unicodedata.normalize("NFC", "".join(chars)).casefold())
    # The same look-alike test once more: NFKD may have produced characters of its own. And `l`
    # and `i` are one letter here: `ӏ`, `I`, `1` and `|` are each read as either by some reader.
    return "".join(table.get(c, c) for c in text).replace("l", "i")


def words(text: str | None) -> list[str]:
    """The normalised words of a text, with words broken apart put together again: a run of single
    letters (`L u k k e t`, `L.U.K.K.E.T`) is one word, and digits inside a word are read as the
    letters they imitate (`Lukk3t`, `1ukket`) when that makes a marker, else split off (`punkt7`)."""
    tokens: list[str] = []
    for token in _TOKEN.findall(normalise(text)):
        if token.isalpha() or token.isdigit():
            tokens.append(token)
        elif _find([token.translate(_LEET)])[0] == 0:
            tokens.append(token.translate(_LEET))
        else:
            tokens.extend(_RUNS.findall(token))
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        joined.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if token:
            joined.append(token)
    return joined


@cache
def markers() -> _Markers:
    data = yaml.safe_load(resources.files("nlp").joinpath("resources/closed_markers.yaml").read_text(encoding="utf-8"))

    def norm(text: str) -> tuple[str, ...]:
        return tuple(_RUNS.findall(normalise(text)))

    phrases = {norm(entry["phrase"]): entry["why"] for entry in data["markers"]}
    return _Markers(
        phrases=tuple(sorted(phrases, key=len, reverse=True)),
        joined=frozenset("".join(p) for p in phrases),
        fillers=frozenset(w for f in data["fillers"] for w in norm(str(f))),
        part_words=frozenset(w for f in data["part_words"] for w in norm(str(f))),
        open_words=frozenset(w for f in data["open_words"] for w in norm(str(f))),
        closed_keys=frozenset(w for f in data["closed_keys"] for w in norm(str(f))),
        reasons=phrases,
        typo_min_letters=int(data["typo_min_letters"]),
    )


def _one_off(a: str, b: str) -> bool:
    """`a` and `b` differ by one letter added, dropped, changed or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


@cache
def _words_near_markers() -> frozenset[str]:
    """Danish words one letter off a marker ("lukker", "lukkes"): real words, never typos of it."""
    from nlp.entities import common_words

    m = markers()
    singles = [p[0] for p in m.phrases if len(p) == 1 and len(p[0]) >= m.typo_min_letters]
    lengths = {len(s) + d for s in singles for d in (-1, 0, 1)}
    near = set()
    for word in common_words():
        if len(word) not in lengths or word[:1] not in "lfitueo":
            continue  # the markers' first letters (`i` and `l` are one letter in normalised text)
        folded = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
        folded = folded.replace("l", "i")
        if any(folded[:1] == s[:1] and _one_off(folded, s) for s in singles):
            near.add(folded)
    return frozenset(near)


def _typo_of_marker(token: str, m: _Markers) -> bool:
    if len(token) < m.typo_min_letters - 1 or not token.isalpha():
        return False
    singles = (p[0] for p in m.phrases if len(p) == 1 and len(p[0]) >= m.typo_min_letters)
    return any(_one_off(token, s) for s in singles) and token not in _words_near_markers()


def _marker_at(tokens: list[str], i: int, m: _Markers) -> int:
    """How many tokens from `i` form a marker (0: none). A marker may be written as one word with
    a filler glued on (`lukketpunkt`, `ikkeoffentlige`) or broken in two (`luk ket`)."""
    for phrase in m.phrases:
        n = len(phrase)
        window = tuple(tokens[i : i + n])
        if window == phrase:
            return n
        if len(window) == n and window[:-1] == phrase[:-1] and window[-1].startswith(phrase[-1]):
            if window[-1][len(phrase[-1]) :] in m.fillers:  # `ikke offentligtpunkt`: a filler glued on
                return n
    token = tokens[i]
    if token in m.joined or any(token.startswith(j) and token[len(j) :] in m.fillers for j in m.joined):
        return 1
    if i + 1 < len(tokens) and token + tokens[i + 1] in m.joined:
        return 2
    if _typo_of_marker(token, m):
        return 1
    return 0


def _find(tokens: list[str]) -> tuple[int, int]:
    """(position, length) of the first marker among the tokens, or (-1, 0)."""
    m = markers()
    for i in range(len(tokens)):
        length = _marker_at(tokens, i, m)
        if length:
            return i, length
    return -1, 0


def decide_title(text: str | None) -> Decision:
    """A title or caption: closed when a marker stands anywhere in it. Certain when the marking is
    set apart from the subject (a part of the title between separators that is only a marking:
    `Lukket: …`, `… - Lukket`, `(lukket sag)`, `«Lukket»`) or opens the title; doubtful when the
    marker stands inside the subject ("… i et lukket punkt"), which is still closed."""
    tokens = words(text)
    at, length = _find(tokens)
    if at < 0:
        return Decision(False)
    m = markers()
    marker = " ".join(tokens[at : at + length])
    first = all(t in m.fillers or t.isdigit() or len(t) == 1 for t in tokens[:at])
    set_apart = any(is_marking(part) for part in _SEPARATOR.split(normalise(text)))
    return Decision(True, f"'{marker}' står i titlen", doubtful=not (first or set_apart))


def subject(title: str | None) -> tuple[str, ...]:
    """A title's words without its marking: how one punkt is recognised in another document of the
    same meeting (the dagsorden's `Salg af Skovvej 3` is the referat's `Lukket: Salg af Skovvej 3`)."""
    tokens = words(title)
    m = markers()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        length = _marker_at(tokens, i, m)
        if length:
            i += length
            continue
        if tokens[i] not in m.fillers:
            out.append(tokens[i])
        i += 1
    return tuple(out)


def is_marking(text: str | None) -> bool:
    """A short line or field that is only a marking: a marker and fillers (`Lukket punkt`,
    `LUKKET`, `Fortrolige sager`), never a sentence that mentions closing."""
    if not text or len(text) > MAX_MARKING_CHARS:
        return False
    tokens = words(text)
    at, length = _find(tokens)
    if at < 0:
        return False
    m = markers()
    rest = tokens[:at] + tokens[at + length :]
    return all(t in m.fillers or t.isdigit() or _find([t])[0] == 0 for t in rest)


def opens_closed_part(text: str | None) -> bool:
    """`Lukket dagsorden`, `Lukkede punkter`, `Fortrolig del`: every punkt after it is closed."""
    if not is_marking(text):
        return False
    return any(t in markers().part_words for t in words(text))


def opens_open_part(text: str | None) -> bool:
    """`Åben dagsorden`, `Åbne punkter`, `Offentlig del`: the closed part ends."""
    if not text or len(text) > MAX_MARKING_CHARS or is_marking(text):
        return False
    tokens = words(text)
    m = markers()
    return (
        bool(tokens)
        and tokens[0] in m.open_words
        and any(t in m.part_words for t in tokens[1:])
        and all(t in m.fillers or t in m.open_words or t in m.part_words for t in tokens)
    )


def decide(
    title: str | None,
    caption: str | None = None,
    headings: Iterable[str | None] = (),
    fields: dict[str, Any] | None = None,
) -> Decision:
    """The one decision for a punkt, from every signal its format gives: its title and caption, the
    headings and short lines of its body, and the fields of its record. Logged when doubtful."""
    for text in (title, caption):
        decision = decide_title(text)
        if decision:
            if decision.doubtful:
                log.warning("punkt behandlet som lukket (tvivl: %s): %r", decision.reason, (text or "")[:120])
            return decision
    for heading in headings:
        if is_marking(heading):
            return Decision(True, f"overskriften {heading[:60]!r} i punktet")
    if fields:
        reason = _closed_field(fields)
        if reason:
            return Decision(True, reason)
    return Decision(False)


def _closed_field(fields: dict[str, Any]) -> str:
    """A field named as a marking with a true value (`"Lukket": true`, `"IsClosed": "ja"`), or a
    short text field that is a marking (`"Type": "Lukket punkt"`)."""
    m = markers()
    for key, value in fields.items():
        name = "".join(words(str(key)))
        if name in m.closed_keys and _truthy(value):
            return f"feltet {str(key)[:40]!r}"
        if isinstance(value, str) and is_marking(value):
            return f"feltet {str(key)[:40]!r} er {value[:40]!r}"
    return ""


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() not in ("", "0", "false", "nej", "no", "falsk", "none", "null")
    return bool(value)


def is_closed(title: str | None, caption: str | None = None, headings: Iterable[str | None] = ()) -> bool:
    """Whether a punkt is closed from its title, caption and headings (see `decide`)."""
    return decide(title, caption, headings).closed
