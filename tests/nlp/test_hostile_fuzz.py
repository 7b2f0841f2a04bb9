"""Property tests that stay: the readers, the query gate and the amount/date parsers on arbitrary
input. A reader may refuse (ReferatError) but never raise anything else; parsers never raise.
Example counts are small so that the file runs in seconds; raise them locally to hunt."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.amounts import find_amounts, parse_number
from nlp.errors import BadQueryError, ReferatError
from nlp.links import find_meeting_references
from nlp.model import Meeting
from nlp.query import normalise_query
from nlp.readers import read_bytes
from tests.conftest import SAMPLE, odense_file

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ODENSE = odense_file("2021-02-02").read_bytes()[:6000]
GREVE = next(iter(sorted((SAMPLE / "greve").glob("*.json")))).read_bytes()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
field_names = st.sampled_from(
    ["Navn", "Caption", "Punktnummer", "Felter", "Html", "Bilag", "Id", "SagsNummer", "Moede", "Dato", "Link"]
)


def _read(data: bytes) -> Meeting | None:
    try:
        meeting = read_bytes(data, source="fuzz")
    except ReferatError as exc:
        assert "\n" not in str(exc)  # one line
        return None
    assert meeting.punkter and all(isinstance(p.number, int) for p in meeting.punkter)
    return meeting


@FAST
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data):
    _read(data)


@FAST
@given(st.text(max_size=2000))
def test_arbitrary_text_after_a_header(text):
    _read(("REFERAT Byrådet d. 01-02-2024\n\nPunkt 1: A\n\n" + text).encode("utf-8", "surrogatepass"))


@FAST
@given(json_values)
def test_arbitrary_json(value):
    _read(json.dumps(value).encode())


@FAST
@given(st.dictionaries(field_names, json_values, max_size=6), json_values)
def test_json_shaped_like_firstagenda(item, moede):
    doc = {"Moede": moede if isinstance(moede, dict) else {"Dato": "2024-01-01"}, "Dagsordenpunkter": [item]}
    _read(json.dumps(doc).encode())


@FAST
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=30), st.booleans())
def test_mutated_real_files(mutations, greve):
    data = bytearray(GREVE if greve else ODENSE)
    for position, value in mutations:
        data[position % len(data)] = value
    _read(bytes(data))


@FAST
@given(st.text(max_size=700))
def test_query_gate(text):
    try:
        query = normalise_query(text)
    except BadQueryError as exc:
        assert "\n" not in str(exc)
        return
    assert query and query == query.strip() and "  " not in query and len(query) <= 500
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in query)
    assert normalise_query(query) == query


@pytest.mark.parametrize(
    "text", ["\ufdfa" * 30, "\ufdfa" * 60, "\u2474" * 200, "\ufb03" * 300, "\u200b" * 100, "\x00\x01 \u202e"]
)
def test_query_gate_expanding_and_invisible_characters(text):
    with pytest.raises(BadQueryError):
        normalise_query(text)


@FAST
@given(st.text(alphabet=st.sampled_from("0123456789.,- kr.mio mia% procent"), max_size=80))
def test_amount_parsers_never_raise(text):
    for amount in find_amounts(text):
        assert 0 <= amount.start < amount.end <= len(text)
    value = parse_number(text)
    assert value is None or isinstance(value, float)


@FAST
@given(
    st.integers(0, 99),
    st.sampled_from(["januar", "februar", "april", "juni", "september", "november"]),
    st.integers(1800, 2200),
)
def test_date_references_are_real_dates(day, month, year):
    text = f"Udvalget behandlede sagen den {day}. {month} {year}."
    for ref in find_meeting_references(text, "2300-01-01"):
        dt.date.fromisoformat(ref.date)  # raises on 31. februar or 0. juni
