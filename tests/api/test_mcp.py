"""The MCP server through the official `mcp` client, over streamable HTTP and over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

pytestmark = pytest.mark.slow

mcp = pytest.importorskip("mcp")


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
        missing = _payload(await client.call_tool("get_punkt", {"id": "odense/x/2020-01-01/1"}))
        empty = await client.call_tool("search_minutes", {"query": ""})
        return {"search": search, "punkt": punkt, "meetings": meetings, "missing": missing, "empty": empty}


def _check(results: dict) -> None:
    search = results["search"]
    assert search["low_confidence"] is False and 1 <= len(search["hits"]) <= 3
    for hit in search["hits"]:
        citation = hit["citation"]
        assert hit["id"] and citation["municipality"] and citation["committee"] and citation["date"]
        assert citation["punkt_number"] and citation["title"] and citation["url"].startswith("http")
        assert citation["url"].endswith(hit["id"])
    assert results["punkt"]["id"] == search["hits"][0]["id"] and results["punkt"]["sections"]
    assert results["punkt"]["citation"]["url"]
    meetings = results["meetings"]["meetings"]
    assert len(meetings) == 2 and all(m["municipality"] == "Odense" for m in meetings)
    assert all(p["citation"]["url"] for p in meetings[0]["punkter_list"])
    assert "error" in results["missing"]
    empty = results["empty"]
    assert getattr(empty, "is_error", None) or getattr(empty, "isError", None) or "error" in _payload(empty)


def test_mcp_over_streamable_http(server):
    _check(asyncio.run(_exercise(f"{server}/mcp")))


def test_mcp_over_stdio(archive):
    from mcp.client.stdio import StdioServerParameters

    referat = os.path.join(os.path.dirname(sys.executable), "referat")
    params = StdioServerParameters(command=referat, args=["mcp", "--home", str(archive.home)], env={**os.environ})
    _check(asyncio.run(_exercise(params)))
