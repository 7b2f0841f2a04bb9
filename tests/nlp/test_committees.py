"""One committee name whatever period or spelling the source gives it."""

from __future__ import annotations

import pytest

from nlp.committees import canonical_committee


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Byrådet", ("Byrådet", None)),
        ("Byråd 2022-2025", ("Byrådet", "2022-2025")),
        ("Byråd (2022-25)", ("Byrådet", "2022-2025")),
        ("Økonomiudvalget 2018–2021", ("Økonomiudvalget", "2018-2021")),
        ("Beskæftigelses- og Socialudvalget", ("Beskæftigelses- og Socialudvalget", None)),
        ("Klima-, Teknik- og Miljøudvalget", ("Klima-, Teknik- og Miljøudvalget", None)),
        ("  Social-  og Handicapudvalget ", ("Social- og Handicapudvalget", None)),
        (".Spørgsmål / Svar til Byrådet", ("Spørgsmål / Svar til Byrådet", None)),
        ("Udvalg 2030", ("Udvalg 2030", None)),  # a year alone is part of the name, not a period
        ("Byråd 2025-2022", ("Byråd 2025-2022", None)),  # backwards: not a period
    ],
)
def test_canonical_committee(name, expected):
    assert canonical_committee(name) == expected
