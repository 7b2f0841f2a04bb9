"""The MCP server: three tools a chatbot can use to answer citizens from the minutes.

Every result carries its id and a citation (municipality, committee, date, punkt number, title,
URL of its web page), so that an answer can say where it comes from. Served over streamable HTTP
at /mcp by `referat serve`, and over stdio by `referat mcp`.

The tools take flat parameters, the same names as the API's query parameters (`search_minutes(query,
municipality=..., date_from=..., theme=...)`); a key a tool does not take (a `filters` object, a
misspelt name) is refused with the keys it does take, and a value pydantic rejects is said in
Danish, like the API's 422s. A citation's URL is the address the request came to (`api.urls`);
over stdio there is no request, so it is `REFERAT_PUBLIC_URL` or null, never a guessed port.
"""

from __future__ import annotations

import html
import os
import re
from typing import Annotated, Any
from urllib.parse import quote

from mcp.server.mcpserver import Context
from pydantic import Field, ValidationError

from index.archive import Archive
from index.filters import Filters
from nlp.errors import ReferatError

INSTRUCTIONS = (
    "Referat searches Danish municipal meeting minutes (referater): committee meetings, their agenda items "
    "(punkter), decisions (Beslutning) and case histories. Search with search_minutes (Danish or English "
    "questions work; Danish keywords work best), read a hit in full with get_punkt, and browse meetings with "
    "list_meetings. Always cite the punkt's citation and URL in answers. If a search says low_confidence, "
    "tell the user the archive probably does not cover the question."
)


ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
DateFrom = Annotated[str | None, Field(description="Earliest meeting date, YYYY-MM-DD", pattern=ISO_DATE)]
CASE_TYPE = r"^([A-Ea-e]-sag|Lukket|lukket)$"
DateTo = Annotated[str | None, Field(description="Latest meeting date, YYYY-MM-DD", pattern=ISO_DATE)]


def base_url(ctx: Context | None) -> str | None:
    """The site's address for this tool call: from the HTTP request it came in (`site_url`), else
    (stdio) `REFERAT_PUBLIC_URL`, else None: no URL is known."""
    from api.urls import site_url

    try:
        request = getattr(ctx.request_context, "request", None) if ctx is not None else None
    except ValueError:  # no request: called outside one
        request = None
    if request is not None and hasattr(request, "url"):
        return site_url(request)
    return os.environ.get("REFERAT_PUBLIC_URL", "").strip().rstrip("/") or None


def plain(snippet: str) -> str:
    """A highlighted HTML snippet as plain text for a chatbot: no <mark>, no &quot;."""
    return html.unescape(re.sub(r"</?mark>", "", snippet or ""))


def _failed(exc: ReferatError):
    """An MCP error result (isError) with the Danish message, the same words the API and CLI give."""
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(str(exc))


def citation(hit: dict, base: str | None) -> dict:
    """How to cite a punkt: the words and the link (None when no address is known)."""
    date = hit.get("meeting_date") or hit.get("meeting", {}).get("date")
    committee = hit.get("committee") or hit.get("meeting", {}).get("committee")
    municipality = hit.get("municipality") or hit.get("meeting", {}).get("municipality")
    url = f"{base}/punkt/{quote(hit['id'])}" if base else None
    return {
        "municipality": municipality,
        "committee": committee,
        "date": date,
        "punkt_number": hit.get("number"),
        "title": hit.get("title"),
        "url": url,
        "text": f"{municipality} Kommune, {committee}, møde {date}, punkt {hit.get('number')}: {hit.get('title')}",
    }


def build_mcp(home: str | None = None, archive: Archive | None = None):
    from mcp.server.mcpserver import MCPServer

    archive = archive or Archive(home)
    server = MCPServer("referat", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    def search_minutes(
        query: Annotated[
            str,
            Field(
                description="What to look for, in Danish or English, e.g. 'tiltag mod førtidspension for unge'",
                min_length=1,
                max_length=500,
            ),
        ],
        municipality: Annotated[str | None, Field(description="Only this municipality, e.g. 'Odense'")] = None,
        committee: Annotated[str | None, Field(description="Only this committee, exact name")] = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        theme: Annotated[
            str | None, Field(description="Theme key, e.g. 'foertidspension', 'hjemloeshed_bolig'")
        ] = None,
        case_type: Annotated[
            str | None,
            Field(description="Case type: A-sag, B-sag, C-sag, D-sag, E-sag or Lukket", pattern=CASE_TYPE),
        ] = None,
        kle: Annotated[
            str | None, Field(description="KLE number or prefix, e.g. '27.15'", pattern=r"^\d{2}(\.\d{2}){0,2}$")
        ] = None,
        entity: Annotated[
            str | None, Field(description="Only punkter naming this person, organisation or place", max_length=200)
        ] = None,
        has_decision: Annotated[
            bool | None, Field(description="Only punkter with (true) or without (false) a decision")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=20, description="How many hits")] = 5,
        sort: Annotated[
            str,
            Field(description="relevance (best first) or date (newest meeting first)", pattern=r"^(relevance|date)$"),
        ] = "relevance",
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Search the meeting minutes. Returns the best agenda items (punkter) with the passage that answers,
        the decision, an id for get_punkt and a citation with a URL. low_confidence=true means the archive
        probably holds nothing relevant; `total` counts the punkter that belong to the answer, and a hit with
        relevant=false is only loosely related (cite those with care).
        For how-many / how-much / when questions, `answer` may hold a direct
        answer with the sentence it comes from and its punkt; it is null when no answer is certain. Filters are
        flat parameters (no `filters` object); an unknown municipality, committee, theme or KLE number is an error
        that lists the known values."""
        base = base_url(ctx)
        try:
            filters = Filters(municipality, committee, date_from, date_to, case_type, theme, kle, entity, has_decision)
            result = archive.search(query, limit=limit, filters=filters, sort=sort)
        except ReferatError as exc:
            raise _failed(exc) from None
        hits = []
        for hit in result.hits:
            hits.append(
                {
                    "id": hit["id"],
                    "title": hit["title"],
                    "decision": hit["decision"],
                    "passage": plain(hit["snippet"]),
                    "score": hit["score"],
                    "relevant": hit["relevant"],
                    "citation": citation(hit, base),
                }
            )
        answer = result.answer
        if answer:
            answer = {**answer, "citation": citation({**answer, "id": answer["punkt_id"]}, base)}
        return {
            "query": result.query,
            "total": result.total,
            "low_confidence": result.low_confidence,
            "understood": result.understood,
            "answer": answer,
            "hits": hits,
        }

    @server.tool()
    def get_punkt(
        id: Annotated[
            str,
            Field(
                description="A punkt id from search_minutes or list_meetings, "
                "e.g. 'odense/beskaeftigelses-og-socialudvalget/2025-11-25/15'",
                min_length=3,
                max_length=300,
            ),
        ],
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """Read one agenda item in full: its sections (Resume, Indstilling, Beslutning, Sagsfremstilling, ...),
        the decision, who was absent, people/organisations/amounts mentioned, themes, and earlier or later
        treatments of the same case. Closed (Lukket) items show only their title."""
        try:
            punkt = archive.store.punkt(id)
        except ReferatError as exc:
            raise _failed(exc) from None
        punkt["citation"] = citation({**punkt, "number": punkt["number"]}, base_url(ctx))
        return punkt

    @server.tool()
    def list_meetings(
        municipality: Annotated[str | None, Field(description="Only this municipality")] = None,
        committee: Annotated[str | None, Field(description="Only this committee")] = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        limit: Annotated[int, Field(ge=1, le=200, description="How many meetings")] = 50,
        ctx: Context | None = None,
    ) -> dict[str, Any]:
        """List meetings in the archive, newest first: the objects of GET /api/meetings (id, municipality,
        committee, date, time, punkter, documents), each with who was absent and its agenda items (id, number,
        title, citation) in `punkter_list`. An unknown municipality or committee is an error listing the known."""
        base = base_url(ctx)
        try:
            filters = Filters(municipality, committee, date_from, date_to).check_known(archive.store.db)
        except ReferatError as exc:
            raise _failed(exc) from None
        meetings = []
        for row in archive.store.meetings():
            if not filters.keeps_meeting(row):
                continue
            detail = archive.store.meeting(row["id"])
            meetings.append(
                {
                    **row,
                    "absent": detail["absent"],
                    "punkter_list": [
                        {
                            "id": p["id"],
                            "number": p["number"],
                            "title": p["title"],
                            "closed": p["closed"],
                            "citation": citation(
                                {
                                    **p,
                                    "municipality": row["municipality"],
                                    "committee": row["committee"],
                                    "meeting_date": row["date"],
                                },
                                base,
                            ),
                        }
                        for p in detail["punkter"]
                    ],
                }
            )
            if len(meetings) >= limit:
                break
        return {"meetings": meetings}

    for tool in server._tool_manager.list_tools():
        _strict(tool)
    return server


def _strict(tool) -> None:
    """Make a registered tool refuse keys it does not take (pydantic would drop them silently: a
    `filters` object was ignored and the search ran unfiltered) and say rejected values in Danish."""
    from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError

    from api.danish import pydantic_messages

    taken = set(tool.parameters.get("properties", {}))
    tool.parameters["additionalProperties"] = False  # said in the tool's input schema too
    original = tool.run

    async def run(arguments: dict[str, Any], context, convert_result: bool = False):
        unknown = sorted(set(arguments) - taken)
        if unknown:
            raise ToolError(
                f"{tool.name}: ukendt parameter {', '.join(unknown)}; {tool.name} tager {', '.join(sorted(taken))}"
                + (" (filtrene er egne parametre, ikke et filters-objekt)" if "filters" in unknown else "")
            )
        try:
            tool.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            raise ToolError(f"{tool.name}: ugyldig parameter: {pydantic_messages(exc.errors())}") from None
        try:
            return await original(arguments, context, convert_result)
        except ToolError as exc:  # the tool's own Danish message, without the SDK's English prefix
            if isinstance(exc.__cause__, ToolError) and not isinstance(exc.__cause__, UnexpectedToolError):
                raise ToolError(f"{tool.name}: {exc.__cause__}") from None
            raise

    object.__setattr__(tool, "run", run)  # the tool is a pydantic model: an instance attribute shadows its method
