"""Amounts normalised to DKK, percentages, counts, years; law references split into law, §, stk."""

from __future__ import annotations

import pytest

from nlp.amounts import find_amounts
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
