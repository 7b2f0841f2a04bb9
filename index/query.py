"""A query read once: what a search hands down from its entrance to the ranked hits.

`Searcher.search` reads the text once, inside its snapshot (`parse`): what it says besides its
subject (`nlp.query_understanding.understand`: language, period, committee, municipality, a wish
for decisions, the question a direct answer would answer), the subject's words as this archive
knows them (`index.lexical`: stems, compound parts, typo corrections, an English word's Danish
words, a citizen's word's official ones), whether it is searched as English (decided here, once),
and the filters, validated and checked against the archive. Lexical and dense scoring, ranking,
snippets and answers read this object; none of them reads the query's text again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index import lexical
from index.filters import Filters
from index.lexical import QueryWord
from nlp.query_understanding import QueryIntent, understand
from nlp.settings import settings


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the query as it passed `nlp.query.normalise_query`
    intent: QueryIntent  # its preferences, subject (`content`) and question
    words: tuple[QueryWord, ...]  # the subject's words with their index terms
    english: bool  # searched as English: read as English, and not every word a Danish word the archive holds
    filters: Filters  # validated, and every name in them one the archive holds
    where: tuple[str, list]  # the filters as a WHERE clause over `punkter p` and its parameters
    #: The terms' document frequencies as this query's snapshot read them, each looked up once.
    vocabulary: lexical.Vocabulary = field(compare=False, repr=False)
    #: Every index term of the words, once, in order: what BM25 and snippets look for.
    terms: tuple[str, ...] = ()
    #: Typed word -> the known words it was corrected to (shown as "Søgte også efter").
    corrections: dict[str, list[str]] = field(default_factory=dict)


def parse(
    db,
    text: str,
    filters: Filters,
    committees: list[str],
    municipalities: list[str],
    stats: lexical.TermStats | None = None,
) -> ParsedQuery:
    """Read a validated query against the archive in `db` (one snapshot): the one reading of it.
    `stats`: what the searcher has read of the lexical index at this snapshot's version (`Vocabulary`).

    A query read as English whose every word the archive knows as Danish ("hjemlose") is Danish."""
    filters.check_known(db)  # an unknown municipality or theme is an error, not an empty page
    intent = understand(text, committees, municipalities)
    subject = intent.content or intent.query
    vocabulary = lexical.Vocabulary(db, stats)
    typed = lexical.typed_words(vocabulary, subject)
    english = intent.language == "en" and not lexical.all_known(typed)
    if english and settings.translate_english:
        words = lexical.english_words(vocabulary, subject)
    else:
        words = lexical.query_words(
            vocabulary, subject, expand=settings.query_expansion, official=settings.official_words, typed=typed
        )
    terms, corrections = tuple(lexical.terms_of(words)), lexical.corrections_of(words)
    return ParsedQuery(text, intent, tuple(words), english, filters, filters.sql(), vocabulary, terms, corrections)
