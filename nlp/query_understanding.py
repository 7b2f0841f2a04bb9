"""Query understanding: what a search box query says besides its subject.

A user types "hvad besluttede socialudvalget om hjemløse i efteråret 2024" and means: the subject
"hjemløse", punkter of a social committee, from September to November 2024, with a decision. This
module reads those wishes out of the query (language, dates and periods, a committee or
municipality named, a wish for decisions) and returns them with the residual subject text and a
Danish explanation for the result page. Ranking uses them as boosts, never as hard filters: a
wrong reading then costs a little order, not the answer.

Pure and fast (regular expressions over the query), no index imports, so it can be tested on its
own and used by any layer above.

Two kinds of year are told apart, because the archive shows that they behave differently:
- a *period* ("i 2024", "in 2023", "siden 2022", "efteråret 2024", "sidste år") is about when the
  meeting was held; it is taken out of the subject text and becomes the date preference;
- a *subject year* written right after a word ("budget 2024", "byggesagsgebyrer 2025",
  "mødekalender 2024") is part of the case's name; such cases are often decided the year before
  (Greve's "Byggesagsgebyrer 2025" in October 2024, "Mødekalender ... i 2024" in 2023), so the
  year stays in the subject text and the date preference spans the second half of the year
  before and the year itself.

How search uses it (`index/search.py`): the lexical side searches the subject (`content`), and
the preferences raise a punkt by a share of the spread of the query's top ten scores
(`settings.preference_share`, `settings.decision_share`): a nudge among near-equals, never a
filter; bench/search.py measures them on and off. The date window is widened by a year on each
side: a year in a query often names the period a case is about, not the meeting ("klagesager i
2023" is reported in 2024, "møder i 2024" are planned in 2023).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from nlp.analysis import NUMBER_WORDS
from nlp.dates import ENGLISH_MONTHS, ENGLISH_SEASONS, MONTH_NAMES, MONTHS, SEASONS, SHORT_MONTHS
from nlp.settings import settings

# -- language -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _detector():
    """Lingua's n-gram models for Danish and English only (made for short text; loaded once)."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.DANISH).build()


def detect_language(text: str) -> str:
    """`da` or `en` for a short query, by lingua's detector on the query's ordinary words.

    Names (capitalised words after the first, and words in capitals: "Mads Thomsen", "ARGO") say
    nothing of the language and are left out; a query of names, numbers or nothing is Danish, the
    archive's language: a Danish-looking query searched as Danish loses nothing.
    """
    raw = re.findall(r"[^\W\d_]+(?:'s)?", text)
    ordinary = [w for i, w in enumerate(raw) if not (w.isupper() and len(w) > 1) and (i == 0 or not w[:1].isupper())]
    if len(ordinary) == 1 and len(raw) > 1 and ordinary[0] is raw[0] and raw[0][:1].isupper():
        ordinary = []  # "Mads Thomsen": a capitalised first word before other names is a name too
    if not ordinary:
        return "da"
    from lingua import Language

    confidence = _detector().compute_language_confidence(" ".join(ordinary), Language.ENGLISH)
    return "en" if confidence >= settings.english_confidence else "da"


# -- dates --------------------------------------------------------------------------------------

_MONTHS = {**MONTHS, **SHORT_MONTHS, **ENGLISH_MONTHS}
_MONTH_NAMES_DA = ("", *MONTH_NAMES)  # 1-based
_SEASONS = {**SEASONS, **ENGLISH_SEASONS}

_YEAR = r"(19[9]\d|20\d\d)"
_SEASON_RE = "|".join(sorted((re.escape(s) for s in _SEASONS), key=len, reverse=True))
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
#: Whole numbers of years a period may count back ("de seneste tre år", "the past two years").
_COUNT_RE = "|".join(sorted((w for w, n in NUMBER_WORDS.items() if n == int(n) and n >= 1), key=len, reverse=True))
_IN = r"(?:i|in|fra|from|during|under|for|om)"


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _span(y1: int, m1: int, y2: int, m2: int) -> tuple[str, str]:
    return date(y1, m1, 1).isoformat(), date(y2, m2, _last_day(y2, m2)).isoformat()


@dataclass(frozen=True)
class _DateHit:
    start: int
    end: int
    date_from: str | None
    date_to: str | None
    label: str  # Danish, for the explanation: "fra 2024", "fra efteråret 2024", ...
    subject: bool = False  # a subject year: kept in the content text


def _subject_window(year: int) -> tuple[str, str, str]:
    """Meetings that treat a case named after `year`: from some months before it to its end."""
    back = max(0, min(settings.subject_year_lookback_months, 24))
    start_year, start_month = (year, 1) if back == 0 else divmod((year - 1) * 12 + 12 - back, 12)
    if back:
        start_month += 1
    label = f"fra {year}" if start_year == year else f"fra {start_year}-{year}"
    return date(start_year, start_month, 1).isoformat(), date(year, 12, 31).isoformat(), label


def _valid_year(y: int, today: date) -> bool:
    return 1990 <= y <= today.year + 10


def _date_hits(q: str, today: date) -> list[_DateHit]:
    """Every date expression in the query, longest first, without overlaps."""
    hits: list[_DateHit] = []
    flags = re.IGNORECASE

    def add(m: re.Match, frm: str | None, to: str | None, label: str, subject: bool = False) -> None:
        hits.append(_DateHit(m.start(), m.end(), frm, to, label, subject))

    # ISO date and "13. marts 2024"
    for m in re.finditer(rf"\b{_YEAR}-(\d\d)-(\d\d)\b", q):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        if 1 <= mo <= 12 and 1 <= d <= _last_day(y, mo):
            iso = date(y, mo, d).isoformat()
            add(m, iso, iso, f"fra {d}. {_MONTH_NAMES_DA[mo]} {y}")
    for m in re.finditer(rf"\b(?:{_IN}\s+)?(?:den\s+)?(\d{{1,2}})\.?\s+({_MONTH_RE})\.?\s+{_YEAR}\b", q, flags):
        d, mo, y = int(m[1]), _MONTHS[m[2].lower()], int(m[3])
        if 1 <= d <= _last_day(y, mo):
            iso = date(y, mo, d).isoformat()
            add(m, iso, iso, f"fra {d}. {_MONTH_NAMES_DA[mo]} {y}")
    # "marts 2024", "in March 2024"
    for m in re.finditer(rf"\b(?:{_IN}\s+)?({_MONTH_RE})\.?\s+{_YEAR}\b", q, flags):
        mo, y = _MONTHS[m[1].lower()], int(m[2])
        frm, to = _span(y, mo, y, mo)
        add(m, frm, to, f"fra {_MONTH_NAMES_DA[mo]} {y}")
    # "efteråret 2024", "i foråret 2023", "autumn 2024", "første halvår 2024", "1. kvartal 2024", "Q3 2024"
    for m in re.finditer(rf"\b(?:{_IN}\s+)?(?:the\s+)?({_SEASON_RE})\s+(?:of\s+)?{_YEAR}\b", q, flags):
        m1, m2, name = _SEASONS[m[1].lower()]
        y = int(m[2])
        frm, to = _span(y, m1, y, m2)
        add(m, frm, to, f"fra {name} {y}")
    for m in re.finditer(rf"\b(?:{_IN}\s+)?(?:([1-4])\.\s*kvartal|q([1-4]))\s+(?:of\s+)?{_YEAR}\b", q, flags):
        k = int(m[1] or m[2])
        y = int(m[3])
        frm, to = _span(y, 3 * k - 2, y, 3 * k)
        add(m, frm, to, f"fra {k}. kvartal {y}")
    # ranges: "fra 2022 til 2024", "mellem 2022 og 2024", "between 2022 and 2024", "i 2022-2024"
    for m in re.finditer(
        rf"\b(?:(?:fra|from)\s+{_YEAR}\s+(?:til|to|until)|(?:mellem|between)\s+{_YEAR}\s+(?:og|and))\s+{_YEAR}\b",
        q,
        flags,
    ):
        y1 = int(m[1] or m[2])
        y2 = int(m[3])
        if y1 <= y2:
            frm, to = _span(y1, 1, y2, 12)
            add(m, frm, to, f"fra {y1}-{y2}")
    for m in re.finditer(
        rf"\b(?:{_IN}\s+)?(?:(?:perioden|årene|the\s+period|the\s+years)\s+)?{_YEAR}\s*[-–]\s*(\d{{2,4}})\b", q, flags
    ):
        y1 = int(m[1])
        y2 = int(m[2]) if len(m[2]) == 4 else (y1 // 100) * 100 + int(m[2])
        prep = re.match(rf"(?:{_IN}|perioden|årene|the)\s", m[0], flags) is not None
        if y1 < y2 <= y1 + 20:
            if prep:
                frm, to = _span(y1, 1, y2, 12)
                add(m, frm, to, f"fra {y1}-{y2}")
            else:  # "budget 2024-27", "politik 2023-2026": the name of a plan or budget period
                frm, to, label = _subject_window(y1)
                add(m, frm, to, label, subject=True)
    # open ranges
    for m in re.finditer(rf"\b(siden|since|efter|after|fra og med|fra|from)\s+{_YEAR}\b", q, flags):
        word, y = m[1].lower(), int(m[2])
        start = y + 1 if word in {"efter", "after"} else y
        add(m, date(start, 1, 1).isoformat(), None, f"fra {start} og senere")
    for m in re.finditer(rf"\b(før|inden|before|indtil|until|til og med|up to)\s+{_YEAR}\b", q, flags):
        word, y = m[1].lower(), int(m[2])
        end = y - 1 if word in {"før", "inden", "before"} else y
        add(m, None, date(end, 12, 31).isoformat(), f"fra {end} og tidligere")
    # relative: "sidste år", "i fjor", "last year", "i år", "this year", "de seneste 2 år", "past three years"
    for m in re.finditer(r"\b(?:i\s+fjor|sidste\s+år|sidste\s+års?|last\s+year|previous\s+year)\b", q, flags):
        y = today.year - 1
        add(m, *_span(y, 1, y, 12), f"fra {y} (sidste år)")
    for m in re.finditer(r"\b(?:i\s+år|this\s+year|indeværende\s+år)\b", q, flags):
        add(m, *_span(today.year, 1, today.year, 12), f"fra {today.year} (i år)")
    for m in re.finditer(
        rf"\b(?:de\s+|the\s+)?(?:seneste|sidste|past|last)\s+(\d+|{_COUNT_RE})\s+(?:år|years)\b",
        q,
        flags,
    ):
        n = int(m[1]) if m[1].isdigit() else int(NUMBER_WORDS[m[1].lower()])
        start = date(today.year - n, today.month, min(today.day, 28))
        add(m, start.isoformat(), today.isoformat(), f"fra de seneste {n} år")
    for m in re.finditer(r"\b(?:sidste\s+måned|last\s+month)\b", q, flags):
        y, mo = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        add(m, *_span(y, mo, y, mo), f"fra {_MONTH_NAMES_DA[mo]} {y}")
    # single years: "i 2024"/"in 2023" is a period; "budget 2024" a subject year; a lone year a period
    for m in re.finditer(rf"(?:\b({_IN})\s+)?\b{_YEAR}\b(?!\s*[-–]\s*\d)(?-i:(?!\s+[A-ZÆØÅ][a-zæøå]))", q, flags):
        y = int(m[2])
        if not _valid_year(y, today):
            continue
        before = q[: m.start()].rstrip()
        if m[1]:
            add(m, *_span(y, 1, y, 12), f"fra {y}")
        elif before and re.search(r"\w$", before) and not re.search(rf"\b{_IN}$", before, flags):
            frm, to, label = _subject_window(y)
            add(m, frm, to, label, subject=True)
        else:
            add(m, *_span(y, 1, y, 12), f"fra {y}")

    # longest first, then drop overlaps
    hits.sort(key=lambda h: (-(h.end - h.start), h.start))
    kept: list[_DateHit] = []
    for h in hits:
        if all(h.end <= k.start or h.start >= k.end for k in kept):
            kept.append(h)
    return sorted(kept, key=lambda h: h.start)


# -- committees and municipalities --------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case in NFKC form; ae/oe/aa are accepted by the patterns (`_danish_letters`), not here."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text


_HEADS = ("udvalg", "byråd", "bestyrelse", "nævn", "råd", "forum")
_SUFFIX = re.compile(r"(?:et|ets|ene|enes|en|ens|s|ne|n)?")


def _stem_noun(word: str) -> str:
    """`udvalget`, `udvalgets`, `byrådet`, `byrådets` -> `udvalg`, `byråd` (for name matching only)."""
    for head in _HEADS:
        i = word.rfind(head)
        if i >= 0 and _SUFFIX.fullmatch(word[i + len(head) :]):
            return word[: i + len(head)]
    return word


def committee_aliases(name: str) -> dict[str, float]:
    """The ways a query may name a committee, each with a strength (1.0 = its full name).

    `Social- og Handicapudvalget` -> `social- og handicapudvalg` (1.0), `socialudvalg`,
    `handicapudvalg` (0.8), `shu` (0.6). `Byråd 2022-2025` -> `byråd`, `kommunalbestyrelse`,
    `city council` (1.0).
    """
    base = re.sub(r"\b(19|20)\d\d\s*[-–]\s*(19|20)?\d\d\b", "", name).strip(" ,-")
    folded = _fold(base)
    words = re.findall(r"[^\W\d_]+-?", folded)
    aliases: dict[str, float] = {}
    if not words:
        return aliases
    full = " ".join(_stem_noun(w) if not w.endswith("-") else w for w in words)
    aliases[full] = 1.0
    head_word = _stem_noun(words[-1].rstrip("-"))
    head = next((h for h in ("udvalg", "byråd", "bestyrelse", "nævn", "råd", "forum") if head_word.endswith(h)), "")
    if head == "byråd" or folded.startswith(("byråd", "kommunalbestyrelse", "borgerrepræsentation")):
        for a in ("byråd", "kommunalbestyrelse", "city council", "council", "borgerrepræsentation"):
            aliases[a] = 1.0
        return aliases
    if head:
        last_part = head_word[: -len(head)]
        parts = [w.rstrip("-") for w in words[:-1] if w not in {"og", "and", "&"}] + ([last_part] if last_part else [])
        parts = [p for p in parts if p]
        for p in parts:
            aliases.setdefault(f"{p}{head}", 0.8)
            if p.endswith("s"):
                aliases.setdefault(f"{p[:-1]}{head}", 0.8)
        initials = "".join(p[0] for p in parts) + head[0]
        if len(initials) >= 2:
            aliases.setdefault(initials, 0.6)
        if len(parts) >= 2:  # "teknik- og miljøudvalg" for "Klima-, Teknik- og Miljøudvalget"
            aliases.setdefault(f"{parts[-2]}- og {parts[-1]}{head}", 0.9)
    return aliases


def _danish_letters(text: str) -> str:
    """A regex for `text` that also accepts æ/ø/å written as ae/oe/aa (`byraadet`, `oekonomiudvalget`)."""
    swaps = {"æ": "(?:æ|ae)", "ø": "(?:ø|oe)", "å": "(?:å|aa)"}
    return "".join(swaps.get(c.lower(), re.escape(c)) for c in text)


@dataclass(frozen=True)
class _NameHit:
    start: int
    end: int
    name: str
    strength: float
    removable: bool


def _committee_hits(q: str, committees: Iterable[str]) -> list[_NameHit]:
    hits: list[_NameHit] = []
    folded = _fold(q)
    for name in committees:
        for alias, strength in committee_aliases(name).items():
            if strength == 0.6:  # initials: upper case in the query only ("ØU", "KTMU")
                pattern = rf"(?<![\w-]){re.escape(alias.upper())}(?![\w-])"
                for m in re.finditer(pattern, q):
                    hits.append(_NameHit(m.start(), m.end(), name, strength, True))
                continue
            pieces = [_danish_letters(w) for w in alias.split(" ")]
            pieces[-1] = pieces[-1] + r"(?:et|ets|ene|enes|en|s|ne)?"
            pattern = r"(?<![\w-])" + r"[\s,]+".join(pieces) + r"(?![\w-])"
            for m in re.finditer(pattern, folded):
                hits.append(_NameHit(m.start(), m.end(), name, strength, True))
    return hits


def _municipality_hits(q: str, municipalities: Iterable[str]) -> list[_NameHit]:
    """A municipality is a filter when it follows a preposition or precedes 'Kommune'; a name like
    'Greve Fjernvarme' or 'Odense Havn' is an entity, so then it is a soft preference only and the
    words stay in the subject text."""
    hits: list[_NameHit] = []
    for name in municipalities:
        base = re.sub(r"\s+kommune$", "", name.strip(), flags=re.IGNORECASE)
        if not base:
            continue
        name_re = _danish_letters(base)
        pattern = rf"(?<![\w-])(?:(i|fra|in|from|for)\s+)?({name_re})s?(\s+(?:kommunes?|municipality))?(?![\w-])"
        for m in re.finditer(pattern, q, re.IGNORECASE):
            after = q[m.end() :]
            followed_by_name = re.match(r"\s+[A-ZÆØÅ]", after) is not None and not m[3]
            if followed_by_name:  # "Greve Fjernvarme", "Odense Havn": an entity, not the municipality
                continue
            removable = bool(m[1] or m[3])
            hits.append(_NameHit(m.start() if removable else m.start(2), m.end(), name, 1.0, removable))
    return hits


# -- decisions ----------------------------------------------------------------------------------

_DECISION_VERBS = re.compile(
    r"\b(?:besluttede|besluttet|beslutte|vedtog|vedtaget|decided|decide|decides)\b", re.IGNORECASE
)
_DECISION_NOUNS = re.compile(
    r"\b(?:beslutning(?:en|er|erne)?|afgørelse(?:n|r)?|decisions?|vedtagelse)\b", re.IGNORECASE
)


# -- questions a direct answer could answer ---------------------------------------------------

#: The kind of value a question asks for, first match wins: a share before a count ("hvor mange
#: procent"), a duration before a count ("hvor mange år gælder ...").
_QUESTION_KINDS = [
    (
        "percent",
        re.compile(
            r"\bhvor\s+mange\s+procent|\bhvor\s+stor\s+(?:en\s+)?(?:andel|del|procentdel)\b|\bhvilken\s+andel\b"
            r"|\bhvor\s+h(?:øj|øjt|øje)\b(?:\s+\w+){0,3}?\s+\w*(?:procent|andel)\w*"
            r"|\bwhat\s+(?:share|percentage|proportion)\b|\bhow\s+many\s+per\s?cent\b",
            re.IGNORECASE,
        ),
    ),
    (
        "duration",
        re.compile(
            r"\bhvor\s+lang\s+tid\b|\bhvor\s+længe\b|\bhvor\s+lang\b"
            r"|\bhvor\s+mange\s+(?:år|måneder|uger|dage|timer)\b|\bhow\s+long\b"
            r"|\bhow\s+many\s+(?:years|months|weeks|days|hours)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "count",
        re.compile(r"\bhvor\s+mange\b(?!\s+(?:penge|kroner))|\bhow\s+many\b|\bantallet\s+af\b", re.IGNORECASE),
    ),
    (
        "money",
        re.compile(
            r"\bhvor\s+meget\b|\bhvad\s+kost\w*|\bhow\s+much\b|\bwhat\s+(?:does|did)\b.*\bcost\b"
            r"|\bhvor\s+stort?\b(?:\s+\w+){0,3}?\s+(?:budget|beløb|tilskud|bevilling|udgift|besparelse|arv|gave"
            r"|donation|pris|takst|gebyr|lån|garanti|underskud|overskud|merforbrug|mindreforbrug|indtægt|bidrag)"
            r"|\bhvor\s+mange\s+penge\b|\bhvad\s+(?:skal|må)\s+man\s+betale\b",
            re.IGNORECASE,
        ),
    ),
    ("date", re.compile(r"\bhvornår\b|\bhvilken\s+dato\b|\bwhen\b|\bwhich\s+date\b", re.IGNORECASE)),
]
#: The unit a duration question names ("hvor mange år" asks for years); None: any ("hvor længe").
_DURATION_UNIT = re.compile(r"\bhvor\s+mange\s+(?P<unit>år|måneder|uger|dage|timer)\b", re.IGNORECASE)
#: Words of a question that an answering sentence need not contain (question words, verbs of
#: deciding, the council's own names): `question_words` keeps the rest.
_QUESTION_STOP = set(
    """hvor mange meget hvad hvornår hvem hvilke hvilken hvordan koster kostede koste kost er var blev bliver
    har havde have i på en et den det de der af til for med om og at som fra ved under over mod samt
    sig sin sit sine man vi jeg du kan skal vil får fik nu så også kun alle ikke eller men
    stort stor store pr antal antallet været blevet haft fået gjort deltog deltaget kom kommet findes fandtes
    besluttede beslutte besluttet vedtog vedtaget godkendte godkendt godkendelse blev
    udvalget udvalg byrådet byråd kommunen kommune kommunens kommunes
    procent andel andelen del procentdel lang længe tid høj højt høje penge betale hvilken dato
    år måneder uger dage timer
    how many much when what does did do the a an of to in for and is are was were on at by cost
    share percentage proportion per cent percent long years months weeks days hours""".split()
)
#: A word of a question, and of the sentence that answers it (`index.answers` reads both with it).
QUESTION_WORD = re.compile(r"[a-zæøåéü0-9][a-zæøåéü0-9-]*", re.IGNORECASE)


def question_kind(query: str) -> str | None:
    """`percent`, `duration`, `count`, `money` or `date` for a which-share / how-long / how-many /
    how-much / when question, else None."""
    for kind, pattern in _QUESTION_KINDS:
        if pattern.search(query):
            return kind
    return None


def question_unit(query: str, kind: str | None = None) -> str | None:
    """The unit a duration question names (`år` for "hvor mange år ..."), else None; `kind`: the
    question's kind when the caller has read it."""
    match = _DURATION_UNIT.search(query) if (kind or question_kind(query)) == "duration" else None
    return match.group("unit").lower() if match else None


_COUNTED = re.compile(r"\b(?:hvor\s+mange|how\s+many)\s+(?P<what>[a-zæøåéü][a-zæøåéü-]*)", re.IGNORECASE)


def question_counted(query: str, kind: str | None = None, words: list[str] | None = None) -> str | None:
    """What a how-many question counts: the word after "hvor mange" (`borgere`), if it is a content
    word; `kind` and `words`: what the caller has read already."""
    match = _COUNTED.search(query) if (kind or question_kind(query)) == "count" else None
    word = match.group("what").lower() if match else None
    return word if word and word in (question_words(query) if words is None else words) else None


def question_names(query: str, words: list[str] | None = None) -> list[str]:
    """The names a question gives (capitalised inside it: "Karlslunde Bibliotek"), lower-cased:
    a sentence about another place or body does not answer it."""
    content = set(question_words(query) if words is None else words)
    raw = QUESTION_WORD.findall(query)
    return [w.lower() for i, w in enumerate(raw) if i > 0 and w[:1].isupper() and w.lower() in content]


def question_words(query: str) -> list[str]:
    """The words an answering sentence must contain. A capitalised word inside the question is a name
    ("Alle skal med", "Citykorpset") and counts even when it is a common word."""
    raw = QUESTION_WORD.findall(query)
    words = [w.lower() for i, w in enumerate(raw) if (i > 0 and w[:1].isupper()) or w.lower() not in _QUESTION_STOP]
    return list(dict.fromkeys(w for w in words if len(w) > 2 or w.isdigit()))


# -- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryIntent:
    """What a query asks for besides its subject; every field is a soft preference."""

    query: str
    content: str  # the subject text to rank on, pure filters taken out
    language: str  # "da" or "en"
    date_from: str | None = None  # ISO dates, inclusive; None = open
    date_to: str | None = None
    subject_year: bool = False  # the year names the case ("budget 2024"), so it also stays in `content`
    committees: tuple[str, ...] = ()  # names from the list given, best match first
    municipalities: tuple[str, ...] = ()
    wants_decision: bool = False
    notes: tuple[str, ...] = field(default=())  # Danish sentences for the result page
    question: str | None = None  # the kind of value a direct answer would give (`question_kind`)
    question_words: tuple[str, ...] = ()  # what its sentence must contain (`question_words`)
    question_unit: str | None = None  # the unit a duration question names (`question_unit`)
    question_counted: str | None = None  # what a how-many question counts (`question_counted`)
    question_names: tuple[str, ...] = ()  # the names it gives (`question_names`)

    @property
    def explanation(self) -> str:
        return ". ".join(self.notes)

    @property
    def has_preferences(self) -> bool:
        return bool(self.date_from or self.date_to or self.committees or self.municipalities or self.wants_decision)


def _join_names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " eller " + names[-1]


def _committee_label(name: str) -> str:
    base = re.sub(r"\s*\b(19|20)\d\d\s*[-–]\s*(19|20)?\d\d\b", "", name).strip()
    return "Byrådet" if _fold(base) in {"byråd", "byrådet"} else base


def understand(
    query: str,
    committees: Iterable[str] = (),
    municipalities: Iterable[str] = (),
    *,
    today: date | None = None,
) -> QueryIntent:
    """Read language, period, committee, municipality and a wish for decisions out of `query`."""
    today = today or date.today()
    q = re.sub(r"\s+", " ", query).strip()
    language = detect_language(q)

    spans: list[tuple[int, int]] = []  # parts taken out of the content text
    joins: set[int] = set()  # ends of cut names and verbs: "om"/"about" right after them goes too
    notes: list[str] = []

    dates = _date_hits(q, today)
    date_from = date_to = None
    subject = False
    if dates:
        for h in dates:
            if not h.subject:
                spans.append((h.start, h.end))
        # A period ("i 2025") says when; a subject year beside it ("regnskab 2024") only names the case.
        used = [h for h in dates if not h.subject] or dates
        subject = used[0].subject
        # Several periods: the widest hull of them (rare; "fra 2022 og i 2024").
        froms = [h.date_from for h in used]
        tos = [h.date_to for h in used]
        date_from = None if any(f is None for f in froms) else min(f for f in froms if f)
        date_to = None if any(t is None for t in tos) else max(t for t in tos if t)
        if subject:
            named = _join_names([q[h.start : h.end].strip() for h in used])
            notes.append(f"Foretrækker resultater {used[0].label} (sager om {named} behandles ofte året før)")
        else:
            notes.append(f"Foretrækker resultater {' og '.join(h.label for h in used)}")

    found_committees: dict[str, float] = {}
    for h in sorted(_committee_hits(q, committees), key=lambda h: (h.start - h.end, h.start)):
        if all(h.end <= s or h.start >= e for s, e in spans):
            spans.append((h.start, h.end))
            joins.add(h.end)
        found_committees[h.name] = max(found_committees.get(h.name, 0.0), h.strength)
    committee_names = tuple(sorted(found_committees, key=lambda n: -found_committees[n]))
    if committee_names:
        best = found_committees[committee_names[0]]
        shown = [n for n in committee_names if found_committees[n] == best]
        committee_names = tuple(shown) + tuple(n for n in committee_names if n not in shown)
        notes.append(f"Foretrækker punkter fra {_join_names([_committee_label(n) for n in shown])}")

    found_municipalities: list[str] = []
    for h in _municipality_hits(q, municipalities):
        if h.removable and all(h.end <= s or h.start >= e for s, e in spans):
            spans.append((h.start, h.end))
        if h.name not in found_municipalities:
            found_municipalities.append(h.name)
    if found_municipalities:
        labels = [n if n.lower().endswith("kommune") else f"{n} Kommune" for n in found_municipalities]
        notes.append(f"Foretrækker punkter fra {_join_names(labels)}")

    wants_decision = bool(_DECISION_VERBS.search(q) or _DECISION_NOUNS.search(q))
    for m in _DECISION_VERBS.finditer(q):
        if all(m.end() <= s or m.start() >= e for s, e in spans):
            spans.append((m.start(), m.end()))
            joins.add(m.end())
    if wants_decision:
        notes.append("Foretrækker punkter med en beslutning")

    content = _residual(q, spans, joins)
    if not content.strip():  # the query was filters only ("byrådet 2024"): rank on all of it
        content = q
    kind, asked = question_kind(query), question_words(query)  # the question a direct answer reads
    return QueryIntent(
        query=query,
        content=content,
        language=language,
        date_from=date_from,
        date_to=date_to,
        subject_year=subject,
        committees=committee_names,
        municipalities=tuple(found_municipalities),
        wants_decision=wants_decision,
        notes=tuple(notes),
        question=kind,
        question_words=tuple(asked),
        question_unit=question_unit(query, kind),
        question_counted=question_counted(query, kind, asked),
        question_names=tuple(question_names(query, asked)),
    )


_DANGLING = re.compile(
    r"(?:\b(?:i|fra|in|from|by|af|for|at|the|den|det|til|of|om|about|on|did|does|do|has|have|had|har|og|and)\s*)+$",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^\s*(?:(?:om|about|on|the|af|of)\b\s*)+", re.IGNORECASE)


def _residual(q: str, spans: list[tuple[int, int]], joins: set[int]) -> str:
    """The query with `spans` cut out, and the small words left dangling at a cut removed."""
    if not spans:
        return q
    pieces: list[str] = []
    pos = 0
    for s, e in sorted(spans):
        if s < pos:
            continue
        piece = _LEADING.sub("", q[pos:s]) if pos in joins else q[pos:s]
        pieces.append(_DANGLING.sub("", piece.rstrip()).rstrip())
        pos = e
    tail = _LEADING.sub("", q[pos:]) if pos in joins else q[pos:]
    text = " ".join([*pieces, tail])
    text = re.sub(r"\s+([?.!,])", r"\1", text)
    text = re.sub(r"^[\s,.;:]+|[\s,;:]+$", "", text)
    return re.sub(r"\s{2,}", " ", text).strip()
