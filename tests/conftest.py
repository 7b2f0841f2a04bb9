from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def odense_file(date: str) -> Path:
    return SAMPLE / "odense" / f"odense-beskaeftigelses-og-socialudvalget-{date}.txt"


@pytest.fixture(scope="session")
def structure_gold() -> dict:
    return json.loads((FIXTURES / "structure.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def queries_gold() -> dict:
    return json.loads((FIXTURES / "queries-dev.json").read_text(encoding="utf-8"))
