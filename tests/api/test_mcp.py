"""The MCP server through the official `mcp` client, over streamable HTTP and over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

pytestmark = pytest.mark.slow


def _payload(result) -> dict:
    if getattr(result, "structuredContent", None):
        return result.structuredContent
    return json.loads(result.content[0].text)


async def _exercise(target) -> dict:
    from mcp import Client

    async with Client(target, read_timeout_seconds=120) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) >= {"search_minutes", "get_punkt", "list_meetings"}
        for tool in tools.values():
            assert len(tool.description or "") > 40
        search = _payload(
            await client.call_tool("search_minutes", {"query": "tiltag mod førtidspension for unge", "limit": 3})
        )
        hit = search["hits"][0]
        punkt = _payload(await client.call_tool("get_punkt", {"id": hit["id"]}))
        meetings = _payload(await client.call_tool("list_meetings", {"municipality": "Odense", "limit": 2}))
        missing = await client.call_tool("get_punkt", {"id": "odense/x/2020-01-01/1"})
        empty = await client.call_tool("search_minutes", {"query": ""})
        bad_date = await client.call_tool("search_minutes", {"query": "budget", "date_from": "2024-02-30"})
        filtered = _payload(
            await client.call_tool(
                "search_minutes",
                {"query": "ansøgning pulje", "case_type": "B-sag", "has_decision": True, "limit": 10},
            )
        )
        answered = _payload(await client.call_tool("search_minutes", {"query": "hjemløse", "limit": 3}))
        return {
            "search": search,
            "punkt": punkt,
            "meetings": meetings,
            "missing": missing,
            "empty": empty,
            "bad_date": bad_date,
            "filtered": filtered,
            "answered": answered,
        }


def _is_error(result) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def _check(results: dict, base: str) -> None:
    search = results["search"]
    assert search["low_confidence"] is False and 1 <= len(search["hits"]) <= 3
    assert "understood" in search
    for hit in search["hits"]:
        citation = hit["citation"]
        assert hit["id"] and citation["municipality"] and citation["committee"] and citation["date"]
        assert citation["punkt_number"] and citation["title"] and citation["url"] == f"{base}/punkt/{hit['id']}"
    assert results["punkt"]["id"] == search["hits"][0]["id"] and results["punkt"]["sections"]
    assert results["punkt"]["citation"]["url"].startswith(f"{base}/punkt/")
    meetings = results["meetings"]["meetings"]
    assert len(meetings) == 2 and all(m["municipality"] == "Odense" for m in meetings)
    assert meetings[0]["punkter_list"] and all(
        p["citation"]["url"].startswith(base) for p in meetings[0]["punkter_list"]
    )
    assert _is_error(results["missing"]) and "intet punkt" in results["missing"].content[0].text
    assert _is_error(results["empty"])
    assert _is_error(results["bad_date"]) and "ÅÅÅÅ-MM-DD" in results["bad_date"].content[0].text
    filtered = results["filtered"]["hits"]
    assert filtered and all(h["citation"]["url"] for h in filtered)
    assert "answer" in results["answered"]
    for hit in results["answered"]["hits"]:  # plain text for a chatbot: no HTML marks or entities
        assert "<mark>" not in hit["passage"] and "&quot;" not in hit["passage"] and "&amp;" not in hit["passage"]


def test_mcp_over_streamable_http(server):
    _check(asyncio.run(_exercise(f"{server}/mcp")), server)  # the address that served it, port included


def test_mcp_over_stdio(archive):
    from mcp.client.stdio import StdioServerParameters

    # `python -m api.cli` from the repository root: the code under test, not whatever `referat` is installed.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "api.cli", "mcp", "--home", str(archive.home)],
        env={**os.environ, "REFERAT_PUBLIC_URL": "https://referat.example/"},  # stdio has no request to ask
        cwd=root,
    )
    _check(asyncio.run(_exercise(params)), "https://referat.example")
