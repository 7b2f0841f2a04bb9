"""One contract for every surface: the same queries and filters through the CLI's `--json`, the HTTP
API and MCP (over streamable HTTP) give the same answers, and the same bad values the same errors."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
QUERY_FILES = ("queries-dev", "queries-noanswer-dev", "queries-greve-dev", "queries-greve-extra-dev")
#: (query, filters): municipalities named in the query (the `search --json` crash), filters of every kind.
CONTRACT = [
    ("hvor mange hjemløse er der i Odense", {}),
    ("tiltag mod førtidspension for unge", {}),
    ("how much did the employment reform cut?", {}),
    ("hjemløse", {"municipality": "Odense", "date_from": "2024-01-01"}),
    ("frivillige", {"theme": "frivillighed_civilsamfund"}),
    ("ansøgning pulje", {"case_type": "B-sag", "has_decision": True}),
    ("handicap i Greve", {"committee": "Social- og Handicapudvalget"}),
]
CLI_FLAGS = {"municipality": "--municipality", "committee": "--committee", "date_from": "--from", "theme": "--theme"}
UNKNOWN = {"municipality": "Atlantis", "committee": "Udvalget for Månen", "theme": "rumfart", "kle": "99.99"}


def _cli(archive, *args: str):
    return runner.invoke(app, [*args, "--home", str(archive.home)])


def _cli_args(query: str, filters: dict, limit: int = 5) -> list[str]:
    args = ["search", query, "--json", "--limit", str(limit)]
    for key, value in filters.items():
        if key == "has_decision":
            args.append("--has-decision" if value else "--no-decision")
        else:
            args += [CLI_FLAGS.get(key, f"--{key.replace('_', '-')}"), str(value)]
    return args


async def _mcp(url: str, calls: list[tuple[str, dict]]) -> list:
    from mcp import Client

    async with Client(url, read_timeout_seconds=120) as client:
        return [await client.call_tool(name, arguments) for name, arguments in calls]


def _payload(result) -> dict:
    return getattr(result, "structured_content", None) or json.loads(result.content[0].text)


def _is_error(result) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def test_every_development_query_through_search_json(archive):
    """The CLI's JSON never crashes (a query naming a municipality did: a numpy bool)."""
    queries = [
        q["query"] for name in QUERY_FILES for q in json.loads((FIXTURES / f"{name}.json").read_text())["queries"]
    ]
    assert len(queries) > 100
    for query in queries:
        result = _cli(archive, "search", query, "--json", "--limit", "3")
        assert result.exit_code == 0, (query, result.stderr, result.exception)
        data = json.loads(result.stdout)
        assert data["query"] and isinstance(data["low_confidence"], bool) and isinstance(data["total"], int)


def test_search_is_the_same_on_cli_api_and_mcp(archive, server):
    api = [httpx.get(f"{server}/api/search", params={"q": q, "limit": 5, **f}, timeout=60) for q, f in CONTRACT]
    mcp = asyncio.run(_mcp(f"{server}/mcp", [("search_minutes", {"query": q, "limit": 5, **f}) for q, f in CONTRACT]))
    for (query, filters), from_api, from_mcp in zip(CONTRACT, api, mcp, strict=True):
        result = _cli(archive, *_cli_args(query, filters))
        assert result.exit_code == 0, result.stderr
        cli = json.loads(result.stdout)
        assert from_api.status_code == 200, from_api.text
        web = from_api.json()
        assert not _is_error(from_mcp), from_mcp.content[0].text
        chat = _payload(from_mcp)
        assert cli["hits"], query
        ids = [h["id"] for h in cli["hits"]]
        assert [h["id"] for h in web["hits"]] == ids == [h["id"] for h in chat["hits"]], query
        for key in ("query", "low_confidence", "understood"):
            assert cli[key] == web[key] == chat[key], (query, key)
        assert cli["total"] == web["total"] and cli["language"] == web["language"]
        assert (
            (cli["answer"] or {}).get("text") == (web["answer"] or {}).get("text") == (chat["answer"] or {}).get("text")
        )
        for hit in cli["hits"]:  # the filters were applied, on every surface alike
            if "municipality" in filters:
                assert hit["municipality"] == filters["municipality"]
            if "date_from" in filters:
                assert hit["meeting_date"] >= filters["date_from"]
            if "theme" in filters:
                assert filters["theme"] in hit["themes"]
            if "committee" in filters:
                assert hit["committee"] == filters["committee"]


def test_meetings_are_the_same_objects_on_cli_api_and_mcp(archive, server):
    for filters in ({}, {"municipality": "Greve"}, {"date_from": "2024-01-01", "date_to": "2025-06-30"}):
        flags = [
            x for k, v in filters.items() for x in ({"date_from": "--from", "date_to": "--to"}.get(k, f"--{k}"), v)
        ]
        result = _cli(archive, "meetings", "--json", *flags)
        assert result.exit_code == 0, result.stderr
        cli = json.loads(result.stdout)
        web = httpx.get(f"{server}/api/meetings", params=filters, timeout=60).json()
        (listed,) = asyncio.run(_mcp(f"{server}/mcp", [("list_meetings", {**filters, "limit": 200})]))
        chat = [
            {k: v for k, v in m.items() if k not in ("absent", "punkter_list")} for m in _payload(listed)["meetings"]
        ]
        assert cli and cli == web == chat, filters
        assert {"id", "municipality", "committee", "date", "time", "punkter", "documents"} <= set(cli[0])
        if "municipality" in filters:
            assert {m["municipality"] for m in cli} == {"Greve"}


@pytest.mark.parametrize("parameter", sorted(UNKNOWN))
def test_an_unknown_filter_value_is_refused_with_the_known_values_everywhere(archive, server, parameter):
    value = UNKNOWN[parameter]
    known = {"municipality": "Odense", "committee": "Beskæftigelses- og Socialudvalget", "theme": "foertidspension"}
    expected = known.get(parameter)
    result = _cli(archive, "search", "budget", f"--{parameter}", value)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "kendte værdier" in result.stderr and (expected is None or expected in result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    response = httpx.get(f"{server}/api/search", params={"q": "budget", parameter: value}, timeout=60)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["parameter"] == parameter and error["known"] and "kendte værdier" in error["message"]
    assert expected is None or expected in error["known"]
    (searched,) = asyncio.run(_mcp(f"{server}/mcp", [("search_minutes", {"query": "budget", parameter: value})]))
    assert _is_error(searched) and "kendte værdier" in searched.content[0].text
    assert "Error executing" not in searched.content[0].text
    if parameter in ("municipality", "committee"):
        assert httpx.get(f"{server}/api/meetings", params={parameter: value}, timeout=60).status_code == 422
        (listed,) = asyncio.run(_mcp(f"{server}/mcp", [("list_meetings", {parameter: value})]))
        assert _is_error(listed) and "kendte værdier" in listed.content[0].text
        meetings = _cli(archive, "meetings", f"--{parameter}", value)
        assert meetings.exit_code == 2 and "kendte værdier" in meetings.stderr


def test_mcp_takes_flat_filters_refuses_unknown_keys_and_cites_its_own_address(server):
    calls = [
        ("search_minutes", {"query": "hjemløse", "filters": {"date_from": "2024-01-01"}}),
        ("list_meetings", {"filters": {"municipality": "Greve"}}),
        ("search_minutes", {"query": "hjemløse", "datefrom": "2024-01-01"}),
        ("search_minutes", {"query": "hjemløse", "date_from": "2024-01-01", "limit": 10}),
        ("list_meetings", {"municipality": "Greve"}),
        ("search_minutes", {"query": "hjemløse", "limit": 99}),
    ]
    nested, nested_meetings, misspelt, flat, greve, too_many = asyncio.run(_mcp(f"{server}/mcp", calls))
    for refused in (nested, nested_meetings, misspelt):
        assert _is_error(refused) and "ukendt parameter" in refused.content[0].text
    assert "filters-objekt" in nested.content[0].text and "date_from" in nested.content[0].text
    hits = _payload(flat)["hits"]
    assert hits and all(h["citation"]["date"] >= "2024-01-01" for h in hits)
    meetings = _payload(greve)["meetings"]
    assert meetings and {m["municipality"] for m in meetings} == {"Greve"}
    urls = [h["citation"]["url"] for h in hits] + [p["citation"]["url"] for p in meetings[0]["punkter_list"]]
    assert all(url.startswith(f"{server}/punkt/") for url in urls), urls  # the port that served it, not 8000
    text = too_many.content[0].text
    assert _is_error(too_many) and "limit: skal være højst 20" in text
    assert "pydantic" not in text and "Input should" not in text


def test_api_errors_are_danish(server):
    bad = httpx.get(f"{server}/api/search", params={"q": "budget", "limit": 500}, timeout=60)
    assert bad.status_code == 422
    body = bad.text
    assert "limit: skal være højst 100" in bad.json()["error"]["message"]
    assert "pydantic" not in body and "Input should" not in body
    past = httpx.get(f"{server}/api/search", params={"q": "hjemløse", "offset": 9000}, timeout=60)
    assert past.status_code == 422 and "efter det sidste hit" in past.json()["error"]["message"]
    page = httpx.get(f"{server}/", params={"q": "hjemløse", "side": 99}, timeout=60)
    assert page.status_code == 404 and "Side 99 findes ikke" in page.text and "Side 99 af" not in page.text
    openapi = httpx.get(f"{server}/openapi.json", timeout=60).json()
    summaries = [op["summary"] for path in openapi["paths"].values() for op in path.values()]
    assert "Søg i referaterne" in summaries and not any(s.startswith("Api ") for s in summaries)


def test_cli_help_version_and_usage_errors_are_danish():
    help_text = runner.invoke(app, ["search", "--help"], env={"COLUMNS": "200"}).stdout
    assert "Vis denne hjælp" in help_text and "Tilvalg" in help_text and "Brug:" in help_text
    assert "Show this message" not in help_text and "<bool>" not in help_text and "Options" not in help_text
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.startswith("referat ")
    for args, words in (
        (["search", "x", "--limit", "abc"], "skal være et heltal"),
        (["search", "x", "--bogus"], "ukendt tilvalg"),
        (["serch"], "ukendt kommando"),
        (["search"], "mangler argumentet"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and words in result.stderr, (args, result.stderr)
        assert "Error" not in result.stderr and "Usage" not in result.stderr


def test_cli_search_shows_total_pages_and_what_it_understood(archive):
    result = _cli(archive, "search", "hvor mange hjemløse er der i Odense", "--limit", "3")
    assert result.exit_code == 0
    assert re.fullmatch(r"\d+ relevante? punkt(?:er)?, side 1 af \d+", result.stdout.splitlines()[0]), result.stdout
    assert "Foretrækker punkter fra Odense Kommune" in result.stdout
    unknown = _cli(archive, "search", "fyrværkeriforbud nytårsaften", "--theme", "rumfart")
    assert unknown.exit_code == 2 and "de bedste bud" not in unknown.stdout


def test_meetings_table_keeps_ids_whole_when_piped(archive):
    result = _cli(archive, "meetings")
    assert result.exit_code == 0
    ids = [m["id"] for m in json.loads(_cli(archive, "meetings", "--json").stdout)]
    for ident in ids:
        assert any(ident in line for line in result.stdout.splitlines()), ident


HEAVY = ("torch", "spacy", "transformers", "sentence_transformers", "onnxruntime", "lingua")


def _modules_after(archive, *args: str) -> tuple[int, list[str]]:
    """Run one CLI command in a fresh interpreter; which heavy libraries did it import?"""
    code = (
        "import sys\nfrom api.cli import app\ntry:\n    app(sys.argv[1:])\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        f"print('HEAVY', code, ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *args, "--home", str(archive.home)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY")][-1].split(" ")
    return int(line[1] or 0), [m for m in (line[2] if len(line) > 2 else "").split(",") if m]


def test_read_commands_and_errors_load_no_model(archive):
    punkt = json.loads(_cli(archive, "meetings", "--json").stdout)[0]["id"] + "/1"
    for args, status in (
        (["meetings"], 0),
        (["show", punkt], 0),
        (["watch", "list"], 0),
        (["search", ""], 2),
        (["search", "budget", "--theme", "rumfart"], 2),
    ):
        code, loaded = _modules_after(archive, *args)
        assert code == status and loaded == [], (args, loaded)


def test_search_loads_only_what_a_query_needs(archive):
    from nlp.encoder import _gpu_driver

    code, loaded = _modules_after(archive, "search", "hjemløse", "--json")
    assert code == 0 and "onnxruntime" in loaded
    assert "spacy" not in loaded and "transformers" not in loaded and "sentence_transformers" not in loaded
    if not _gpu_driver():
        assert "torch" not in loaded


def test_stdio_mcp_without_a_public_url_gives_no_url(monkeypatch):
    from api.mcp_server import base_url, citation

    monkeypatch.delenv("REFERAT_PUBLIC_URL", raising=False)
    assert base_url(None) is None
    hit = {"id": "odense/x/2024-01-01/1", "municipality": "Odense", "committee": "X", "meeting_date": "2024-01-01"}
    assert citation(hit, base_url(None))["url"] is None
    monkeypatch.setenv("REFERAT_PUBLIC_URL", "https://referat.example/")
    assert citation(hit, base_url(None))["url"] == "https://referat.example/punkt/odense/x/2024-01-01/1"


def test_cli_search_through_a_running_server_is_the_same(archive, server):
    for query, filters in CONTRACT[:4]:
        local = _cli(archive, *_cli_args(query, filters))
        remote = runner.invoke(app, [*_cli_args(query, filters), "--server", server])
        assert remote.exit_code == 0, remote.stderr
        assert json.loads(remote.stdout) == json.loads(local.stdout), query
    shown = runner.invoke(app, ["search", "hjemløse", "--server", server, "--limit", "3"])
    assert shown.exit_code == 0 and re.fullmatch(
        r"\d+ relevante? punkt(?:er)?, side 1 af \d+", shown.stdout.splitlines()[0]
    )
    refused = runner.invoke(app, ["search", "budget", "--theme", "rumfart", "--server", server])
    assert refused.exit_code == 2 and "kendte værdier" in refused.stderr
    gone = runner.invoke(app, ["search", "budget", "--server", "http://127.0.0.1:9"])
    assert gone.exit_code == 1 and "svarer ikke" in gone.stderr
