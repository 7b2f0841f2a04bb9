"""Query understanding: language, periods, committees, municipalities, decisions, residual text."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from nlp.query_understanding import committee_aliases, detect_language, understand

TODAY = date(2026, 3, 15)
COMMITTEES = [
    "Byråd 2022-2025",
    "Økonomiudvalget",
    "Klima-, Teknik- og Miljøudvalget",
    "Social- og Handicapudvalget",
    "Beskæftigelses- og Socialudvalget",
    "Beskæftigelses- og Erhvervsudvalget",
]
MUNICIPALITIES = ["Odense", "Greve"]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def u(query: str):
    return understand(query, COMMITTEES, MUNICIPALITIES, today=TODAY)


# -- language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "What did the council decide about homelessness?",
        "cuts to bus services",
        "information security policy",
        "Ukrainian refugee children in schools and daycare",
        "How much will the municipality borrow in 2024?",
        "planting a new forest",
        "fees for civil weddings at the town hall",
        "housing for refugees",
        "rat control fee",
        "mobile phone mast",
        "pet cemetary",
    ],
)
def test_english_queries_are_english(query: str) -> None:
    assert detect_language(query) == "en"


@pytest.mark.parametrize(
    "query",
    [
        "tiltag mod førtidspension for unge",
        "hvem skal levere mad til ældre der bor hjemme",
        "kunstgraesbane karlslunde",
        "vinter og renholdelses regulatvi",
        "budget 2024",
        "Mads Thomsen",
        "Villa Sitka",
        "ARGO",
        "hjemløse",
        "Hvornår holder byrådet møder i 2024?",
    ],
)
def test_danish_queries_are_danish(query: str) -> None:
    assert detect_language(query) == "da"


def test_language_of_every_judged_query() -> None:
    """The judged queries carry their language (121 of them, many of two or three words)."""
    queries = []
    for name in (
        "queries-dev.json",
        "queries-greve-dev.json",
        "queries-greve-extra-dev.json",
        "queries-noanswer-dev.json",
    ):
        queries += json.loads((FIXTURES / name).read_text(encoding="utf-8"))["queries"]
    wrong = [q["query"] for q in queries if detect_language(q["query"]) != q["lang"]]
    assert len(queries) >= 120
    assert wrong == []


def test_empty_query_is_danish() -> None:
    assert detect_language("") == "da"
    assert detect_language("2024") == "da"


# -- periods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "content", "date_from", "date_to"),
    [
        ("ladestandere i 2024", "ladestandere", "2024-01-01", "2024-12-31"),
        ("school roads in 2023", "school roads", "2023-01-01", "2023-12-31"),
        ("hjemløse i efteråret 2024", "hjemløse", "2024-09-01", "2024-11-30"),
        ("foråret 2023 budget", "budget", "2023-03-01", "2023-05-31"),
        ("refugees in the autumn of 2022", "refugees", "2022-09-01", "2022-11-30"),
        ("kystbeskyttelse siden 2022", "kystbeskyttelse", "2022-01-01", None),
        ("coastal protection since 2023", "coastal protection", "2023-01-01", None),
        ("vielser efter 2022", "vielser", "2023-01-01", None),
        ("sager før 2023 om vielser", "sager om vielser", None, "2022-12-31"),
        ("fra 2022 til 2024 flygtninge", "flygtninge", "2022-01-01", "2024-12-31"),
        ("refugees between 2022 and 2023", "refugees", "2022-01-01", "2023-12-31"),
        ("renovering i perioden 2022-2024", "renovering", "2022-01-01", "2024-12-31"),
        ("byrådsmøde i marts 2024", "byrådsmøde", "2024-03-01", "2024-03-31"),
        ("what happened in March 2024", "what happened", "2024-03-01", "2024-03-31"),
        ("12. marts 2024 byrådsmøde", "byrådsmøde", "2024-03-12", "2024-03-12"),
        ("møde 2024-11-12", "møde", "2024-11-12", "2024-11-12"),
        ("regnskab Q3 2024", "regnskab", "2024-07-01", "2024-09-30"),
        ("regnskab 1. kvartal 2025", "regnskab", "2025-01-01", "2025-03-31"),
        ("første halvår 2024 sygefravær", "sygefravær", "2024-01-01", "2024-06-30"),
        ("vinteren 2024 snerydning", "snerydning", "2024-01-01", "2024-02-29"),
    ],
)
def test_periods_become_a_date_preference_and_leave_the_content(query, content, date_from, date_to) -> None:
    intent = u(query)
    assert (intent.date_from, intent.date_to) == (date_from, date_to)
    assert intent.content == content
    assert not intent.subject_year


@pytest.mark.parametrize(
    ("query", "date_from", "date_to"),
    [
        ("lånoptag sidste år", "2025-01-01", "2025-12-31"),
        ("lånoptag i fjor", "2025-01-01", "2025-12-31"),
        ("borrowing last year", "2025-01-01", "2025-12-31"),
        ("budget i år", "2026-01-01", "2026-12-31"),
        ("budget this year", "2026-01-01", "2026-12-31"),
        ("klagesager de seneste 2 år", "2024-03-15", "2026-03-15"),
        ("complaints in the past three years", "2023-03-15", "2026-03-15"),
        ("referater fra sidste måned", "2026-02-01", "2026-02-28"),
    ],
)
def test_relative_periods_count_from_today(query, date_from, date_to) -> None:
    intent = u(query)
    assert (intent.date_from, intent.date_to) == (date_from, date_to)


def test_relative_periods_move_with_today() -> None:
    a = understand("sidste år", today=date(2025, 6, 1))
    b = understand("sidste år", today=date(2023, 6, 1))
    assert a.date_from == "2024-01-01"
    assert b.date_from == "2022-01-01"


@pytest.mark.parametrize(
    ("query", "date_from", "date_to"),
    [
        ("budget 2024", "2023-07-01", "2024-12-31"),
        ("byggesagsgebyrer 2025", "2024-07-01", "2025-12-31"),
        ("mødekalender 2024", "2023-07-01", "2024-12-31"),
        ("budgetopfølgning 2 2024", "2023-07-01", "2024-12-31"),
        ("Budget 2024-27", "2023-07-01", "2024-12-31"),
        ("Integrations- og Hjemsendelsespolitik 2023-2026", "2022-07-01", "2023-12-31"),
    ],
)
def test_a_year_that_names_the_case_stays_in_the_content(query, date_from, date_to) -> None:
    """ "budget 2024" is decided in 2023: the year is part of the name, and the window reaches back."""
    intent = u(query)
    assert intent.subject_year
    assert intent.content == query
    assert (intent.date_from, intent.date_to) == (date_from, date_to)
    assert "behandles ofte året før" in intent.explanation


@pytest.mark.parametrize(
    "query",
    ["Havnevej 20, 2670 Greve", "§ 107 i serviceloven", "5000 kr. i tilskud", "2100 København Ø", "linje 224"],
)
def test_numbers_that_are_not_years_give_no_period(query: str) -> None:
    intent = u(query)
    assert intent.date_from is None and intent.date_to is None
    assert intent.content == query


def test_a_period_and_a_subject_year_in_one_query() -> None:
    """ "låne i 2025 på baggrund af regnskab 2024": 2025 is when, 2024 names the accounts."""
    intent = u("Hvor meget må kommunen låne i 2025 på baggrund af regnskab 2024?")
    assert intent.content == "Hvor meget må kommunen låne på baggrund af regnskab 2024?"
    assert (intent.date_from, intent.date_to) == ("2025-01-01", "2025-12-31")
    assert not intent.subject_year
    assert intent.explanation == "Foretrækker resultater fra 2025"


def test_two_periods_give_their_hull() -> None:
    intent = u("flygtninge i 2022 og i 2024")
    assert (intent.date_from, intent.date_to) == ("2022-01-01", "2024-12-31")
    assert intent.content == "flygtninge"


def test_an_impossible_date_is_not_read() -> None:
    intent = u("møde 2024-02-30")
    assert intent.date_from != "2024-02-30"


def test_the_explanation_names_the_period() -> None:
    assert u("hjemløse i 2024").explanation == "Foretrækker resultater fra 2024"
    assert "efteråret 2024" in u("hjemløse i efteråret 2024").explanation
    assert "2022 og senere" in u("hjemløse siden 2022").explanation


# -- committees ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "committee", "content"),
    [
        ("byrådets beslutning om kunstgræs", "Byråd 2022-2025", "beslutning om kunstgræs"),
        ("Hvornår holder byrådet møder?", "Byråd 2022-2025", "Hvornår holder møder?"),
        ("byraadet vielser", "Byråd 2022-2025", "vielser"),
        ("the city council on bus cuts", "Byråd 2022-2025", "bus cuts"),
        ("Økonomiudvalget budget", "Økonomiudvalget", "budget"),
        ("oekonomiudvalgets budgetopfølgning", "Økonomiudvalget", "budgetopfølgning"),
        ("ØU budget", "Økonomiudvalget", "budget"),
        ("Klima-, Teknik- og Miljøudvalget vejbelysning", "Klima-, Teknik- og Miljøudvalget", "vejbelysning"),
        ("teknik- og miljøudvalget vejbelysning", "Klima-, Teknik- og Miljøudvalget", "vejbelysning"),
        ("klimaudvalget om vejbelysning", "Klima-, Teknik- og Miljøudvalget", "vejbelysning"),
        ("KTMU vejbelysning", "Klima-, Teknik- og Miljøudvalget", "vejbelysning"),
        ("handicapudvalget hjælpemidler", "Social- og Handicapudvalget", "hjælpemidler"),
        ("Social- og Handicapudvalget botilbud", "Social- og Handicapudvalget", "botilbud"),
        ("erhvervsudvalgets sager om ledighed", "Beskæftigelses- og Erhvervsudvalget", "sager om ledighed"),
    ],
)
def test_a_named_committee_is_found_and_taken_out_of_the_content(query, committee, content) -> None:
    intent = u(query)
    assert intent.committees[0] == committee
    assert intent.content == content


def test_an_ambiguous_short_name_offers_every_committee_it_fits() -> None:
    intent = u("socialudvalget hjemløse")
    assert set(intent.committees) == {"Social- og Handicapudvalget", "Beskæftigelses- og Socialudvalget"}
    assert "Social- og Handicapudvalget" in intent.explanation
    assert "Beskæftigelses- og Socialudvalget" in intent.explanation


def test_the_full_name_beats_a_shared_part() -> None:
    intent = u("Beskæftigelses- og Socialudvalget ledighed")
    assert intent.committees[0] == "Beskæftigelses- og Socialudvalget"
    assert intent.explanation == "Foretrækker punkter fra Beskæftigelses- og Socialudvalget"


def test_committee_explanation_names_it() -> None:
    assert u("handicapudvalget").explanation == "Foretrækker punkter fra Social- og Handicapudvalget"
    assert u("byrådet vielser").explanation == "Foretrækker punkter fra Byrådet"


def test_words_that_only_contain_a_committee_word_are_not_committees() -> None:
    for query in ("udvalgsformand", "rådgiver", "borgerrådgiver", "Handicaprådets årsberetning", "seniorrådet"):
        assert u(query).committees == (), query


def test_no_committees_given_means_none_found() -> None:
    assert understand("byrådet vielser", today=TODAY).committees == ()


def test_aliases_of_a_committee() -> None:
    aliases = committee_aliases("Social- og Handicapudvalget")
    assert aliases["social- og handicapudvalg"] > aliases["socialudvalg"] > aliases["shu"]
    assert "handicapudvalg" in aliases
    assert "byråd" in committee_aliases("Byråd 2022-2025")
    assert "teknik- og miljøudvalg" in committee_aliases("Klima-, Teknik- og Miljøudvalget")


# -- municipalities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "municipality", "content"),
    [
        ("hjemløse i Odense", "Odense", "hjemløse"),
        ("hjemløse Odense Kommune", "Odense", "hjemløse"),
        ("Odense Kommunes hjemløsestrategi", "Odense", "hjemløsestrategi"),
        ("homelessness in odense", "Odense", "homelessness"),
        ("kunstgræs i Greve", "Greve", "kunstgræs"),
    ],
)
def test_a_municipality_after_a_preposition_is_a_filter(query, municipality, content) -> None:
    intent = u(query)
    assert intent.municipalities == (municipality,)
    assert intent.content == content
    assert f"{municipality} Kommune" in intent.explanation


def test_a_bare_municipality_name_is_a_preference_but_stays_in_the_content() -> None:
    intent = u("Odense hjemløse")
    assert intent.municipalities == ("Odense",)
    assert intent.content == "Odense hjemløse"


@pytest.mark.parametrize("query", ["Greve Fjernvarme garantistillelse", "Greve Museum", "Odense Havn", "Greve Skov"])
def test_an_entity_named_after_the_municipality_is_not_the_municipality(query: str) -> None:
    intent = u(query)
    assert intent.municipalities == ()
    assert intent.content == query


def test_aa_spelling_of_a_municipality() -> None:
    intent = understand("hjemløse i Aarhus", municipalities=["Århus"], today=TODAY)
    assert intent.municipalities == ("Århus",)
    assert intent.content == "hjemløse"


# -- decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Hvad besluttede byrådet om kunstgræs?",
        "hvad er besluttet om vejbelysning",
        "beslutning om CO2-fangst",
        "beslutningerne om madservice",
        "What did the council decide about carbon capture?",
        "decisions on bus cuts",
        "vedtog udvalget budgettet",
    ],
)
def test_decision_words_ask_for_punkter_with_a_decision(query: str) -> None:
    intent = u(query)
    assert intent.wants_decision
    assert "beslutning" in intent.explanation


@pytest.mark.parametrize("query", ["kunstgræs", "godkendelse af dagsorden", "budget 2024", "beskæftigelse"])
def test_no_decision_wish_without_decision_words(query: str) -> None:
    assert not u(query).wants_decision


def test_decision_verbs_leave_the_content_but_nouns_stay() -> None:
    assert u("Hvad besluttede byrådet om kunstgræsbanen?").content == "Hvad kunstgræsbanen?"
    assert u("beslutning om CO2-fangst").content == "beslutning om CO2-fangst"
    assert u("What did the city council decide about carbon capture?").content == "What carbon capture?"


# -- everything together ------------------------------------------------------------------------


def test_a_query_with_every_kind_of_wish() -> None:
    intent = u("Hvad besluttede Klima-, Teknik- og Miljøudvalget om vejbelysning i 2023?")
    assert intent.content == "Hvad vejbelysning?"
    assert intent.language == "da"
    assert (intent.date_from, intent.date_to) == ("2023-01-01", "2023-12-31")
    assert intent.committees == ("Klima-, Teknik- og Miljøudvalget",)
    assert intent.wants_decision
    assert intent.notes == (
        "Foretrækker resultater fra 2023",
        "Foretrækker punkter fra Klima-, Teknik- og Miljøudvalget",
        "Foretrækker punkter med en beslutning",
    )
    assert intent.has_preferences


def test_an_english_query_with_council_year_and_decision() -> None:
    intent = u("What did the city council decide about carbon capture in 2024?")
    assert intent.language == "en"
    assert intent.committees == ("Byråd 2022-2025",)
    assert intent.date_from == "2024-01-01"
    assert intent.wants_decision


def test_a_plain_query_has_no_preferences() -> None:
    intent = u("tiltag mod førtidspension for unge")
    assert intent.content == "tiltag mod førtidspension for unge"
    assert not intent.has_preferences
    assert intent.explanation == ""
    assert intent.notes == ()


def test_a_query_of_filters_only_keeps_its_text_to_rank_on() -> None:
    intent = u("byrådet i 2024")
    assert intent.content == "byrådet i 2024"
    assert intent.committees == ("Byråd 2022-2025",)
    assert intent.date_from == "2024-01-01"


def test_whitespace_is_normalised_and_the_original_kept() -> None:
    intent = u("  hjemløse   i  2024 ")
    assert intent.query == "  hjemløse   i  2024 "
    assert intent.content == "hjemløse"


def test_today_defaults_to_the_real_date() -> None:
    intent = understand("i år")
    assert intent.date_from == f"{date.today().year}-01-01"
