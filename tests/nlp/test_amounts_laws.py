"""Amounts normalised to DKK, percentages, counts (no years); law references split into law, §, stk."""

from __future__ import annotations

import pytest

from nlp.amounts import dedupe, find_amounts, is_shown
from nlp.laws import find_laws


@pytest.mark.parametrize(
    ("text", "surface", "value", "kind"),
    [
        ("et mindreforbrug på 10,5 mio. kr. i 2024", "10,5 mio. kr.", 10_500_000, "money"),
        ("ca. 650.000 kroner til formålet", "650.000 kroner", 650_000, "money"),
        ("tilskud på 20.000 kr. pr. forening", "20.000 kr.", 20_000, "money"),
        ("en ramme på 1,2 mia. kr. samlet", "1,2 mia. kr.", 1_200_000_000, "money"),
        ("budgettet er 500 t.kr. i alt", "500 t.kr.", 500_000, "money"),
        ("merudgift på -0,3 mio. kr. i år", "-0,3 mio. kr.", -300_000, "money"),
        ("prisen er kr. 5.000 pr. måned", "kr. 5.000", 5_000, "money"),
        ("ledigheden er 4,1 % i Odense", "4,1 %", 4.1, "percent"),
        ("en stigning på 15 pct. over året", "15 pct.", 15, "percent"),
        ("afstanden er 1,2 procentpoint", "1,2 procentpoint", 1.2, "percentage_point"),
        ("i alt 223 unge fik tilbud", "223 unge", 223, "count"),
        ("der var 52 magtanvendelser i 2024", "52 magtanvendelser", 52, "count"),
        ("strategien for 2025-2028 blev vedtaget", "2025-2028", 2025, "period"),
    ],
)
def test_amount_forms(text, surface, value, kind):
    found = {(a.text, a.kind): a for a in find_amounts(text)}
    amount = found[(surface, kind)]
    assert amount.value == pytest.approx(value)
    assert text[amount.start : amount.end] == surface
    if kind == "money":
        assert amount.unit == "DKK"


def test_count_says_what_it_counts():
    (count,) = [a for a in find_amounts("Der er 1.056 borgere i målgruppen") if a.kind == "count"]
    assert (count.value, count.what) == (1056, "borgere")


def test_table_column_unit_from_header():
    text = "Mio. kr.\t2025\t2026\nBesparelse\t-12,5\t-30,0"
    money = [a for a in find_amounts(text) if a.kind == "money"]
    assert [a.value for a in money] == [-12_500_000, -30_000_000]
    assert all(text[a.start : a.end] == a.text for a in money)


def test_a_bare_year_is_a_date_not_an_amount():
    found = find_amounts("I 2024 blev der brugt 3,2 mio. kr., mod 2023 hvor 12 borgere fik hjælp")
    assert [a.kind for a in found] == ["money", "count"]
    assert all(is_shown(a) for a in found)


def test_a_period_is_only_a_candidate():
    (period,) = find_amounts("strategien for 2025-2028 blev vedtaget")
    assert period.kind == "period" and not is_shown(period)


@pytest.mark.parametrize(
    "text", ["Figur 3 viser udviklingen", "de 3 viser vejen", "som bilag 2 beskriver", "i alt 4 stiger"]
)
def test_no_count_without_a_counted_noun(text):
    assert not [a for a in find_amounts(text) if a.kind == "count" and is_shown(a)]


def test_counted_nouns_are_shown_counts():
    counts = [a for a in find_amounts("der var 52 magtanvendelser og 223 unge") if a.kind == "count"]
    assert [(a.value, a.what) for a in counts] == [(52, "magtanvendelser"), (223, "unge")]
    assert all(is_shown(a) for a in counts)


def test_money_carries_its_context_and_evidence():
    (money,) = find_amounts("Byrådet afsatte 5,8 mio. kr. til Housing First i Odense.")
    assert money.context == "Byrådet afsatte 5,8 mio. kr. til Housing First i"
    assert money.evidence == "rule" and money.confidence >= 0.9


def test_table_row_label_names_the_unit_and_blocks_counts():
    text = (
        "Botilbud\tR-2021\tBO3 2024\tStigning i %\n"
        "Helårspersoner\t5,6\t8,7\t55%\n"
        "Gennemsnitspris i 1.000 kr.\t415\t705\t70%\n"
        "Udgift i mio. kr.\t141,6\t190,7\t35%"
    )
    money = [a for a in find_amounts(text) if a.kind == "money"]
    assert [a.value for a in money] == [415_000, 705_000, 141_600_000, 190_700_000]
    assert all(a.evidence == "table" and text[a.start : a.end] == a.text for a in money)
    assert money[0].context.startswith("Gennemsnitspris i 1.000 kr.: 415")


def test_table_column_header_not_money():
    text = "Område\tAntal\tUdgift (1.000 kr.)\nVoksne\t12\t3.400"
    money = [a for a in find_amounts(text) if a.kind == "money"]
    assert [a.value for a in money] == [3_400_000]


def test_dedupe_keeps_the_first_mention_per_value_and_context():
    text = "Der gives 2 mio. kr. til X. Der gives 2 mio. kr. til X. Der gives 2 mio. kr. til Y."
    kept = dedupe(find_amounts(text))
    assert [a.start for a in kept] == [10, 66]


def test_no_false_money_from_header_years():
    assert not [a for a in find_amounts("Mio. kr. 2025-pl\t2030\tVarigt") if a.kind == "money"]


def test_no_count_for_verbs_and_units():
    counts = [
        a for a in find_amounts("i 3 måneder og 12 gange om året, 55 reducerer og 3 vedrørende") if a.kind == "count"
    ]
    assert counts == []


@pytest.mark.parametrize(
    ("text", "law", "paragraph", "stk"),
    [
        ("særlig støtte efter § 34 i lov om aktiv socialpolitik.", "lov om aktiv socialpolitik", "34", None),
        ("jf. servicelovens § 108 om botilbud", "serviceloven", "108", None),
        ("efter § 2, stk. 2, i Forretningsordenen", "forretningsordenen", "2", "2"),
        ("tilbud efter § 85 i serviceloven", "serviceloven", "85", None),
    ],
)
def test_law_references(text, law, paragraph, stk):
    (ref,) = find_laws(text)
    assert (ref.law, ref.paragraph, ref.stk) == (law, paragraph, stk)
    assert text[ref.start : ref.end] == ref.text


@pytest.mark.parametrize(
    "text, values",
    [
        ("Udgiften anslås til 28 – 42 mio. kr. over fire år.", [28e6, 42e6]),
        ("mellem 28-42 mio. kr.", [28e6, 42e6]),
        ("fra 10 til 12 mio. kr.", [10e6, 12e6]),
        ("et underskud på -3,5 mio. kr.", [-3.5e6]),
    ],
)
def test_a_range_is_two_amounts_not_a_negative_one(text, values):
    assert [a.value for a in find_amounts(text) if a.kind == "money"] == values
