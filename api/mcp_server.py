"""The MCP server: three tools a chatbot can use to answer citizens from the minutes.

Every result carries its id and a citation (municipality, committee, date, punkt number, title,
URL of its web page), so that an answer can say where it comes from. Served over streamable HTTP
at /mcp by `referat serve`, and over stdio by `referat mcp`.
"""

from __future__ import annotations

import os
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import Field

from index.archive import Archive
from index.search import Filters
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
DateTo = Annotated[str | None, Field(description="Latest meeting date, YYYY-MM-DD", pattern=ISO_DATE)]


def _base_url() -> str:
    return os.environ.get("REFERAT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def citation(hit: dict) -> dict:
    """How to cite a punkt: the words and the link."""
    date = hit.get("meeting_date") or hit.get("meeting", {}).get("date")
    committee = hit.get("committee") or hit.get("meeting", {}).get("committee")
    municipality = hit.get("municipality") or hit.get("meeting", {}).get("municipality")
    url = f"{_base_url()}/punkt/{quote(hit['id'])}"
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
        limit: Annotated[int, Field(ge=1, le=20, description="How many hits")] = 5,
    ) -> dict[str, Any]:
        """Search the meeting minutes. Returns the best agenda items (punkter) with the passage that answers,
        the decision, an id for get_punkt and a citation with a URL. low_confidence=true means the archive
        probably holds nothing relevant."""
        try:
            result = archive.search(
                query, limit=limit, filters=Filters(municipality, committee, date_from, date_to, theme=theme)
            )
        except ReferatError as exc:
            return {"error": str(exc)}
        hits = []
        for hit in result.hits:
            hits.append(
                {
                    "id": hit["id"],
                    "title": hit["title"],
                    "decision": hit["decision"],
                    "passage": hit["snippet"].replace("<mark>", "").replace("</mark>", ""),
                    "score": hit["score"],
                    "citation": citation(hit),
                }
            )
        return {"query": result.query, "low_confidence": result.low_confidence, "hits": hits}

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
    ) -> dict[str, Any]:
        """Read one agenda item in full: its sections (Resume, Indstilling, Beslutning, Sagsfremstilling, ...),
        the decision, who was absent, people/organisations/amounts mentioned, themes, and earlier or later
        treatments of the same case. Closed (Lukket) items show only their title."""
        try:
            punkt = archive.store.punkt(id)
        except ReferatError as exc:
            return {"error": str(exc)}
        punkt["citation"] = citation({**punkt, "number": punkt["number"]})
        return punkt

    @server.tool()
    def list_meetings(
        municipality: Annotated[str | None, Field(description="Only this municipality")] = None,
        committee: Annotated[str | None, Field(description="Only this committee")] = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """List meetings in the archive, newest first, each with its agenda items (id, number, title)."""
        meetings = []
        for row in archive.store.meetings():
            if municipality and row["municipality"].lower() != municipality.lower():
                continue
            if committee and row["committee"].lower() != committee.lower():
                continue
            if (date_from and row["date"] < date_from) or (date_to and row["date"] > date_to):
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
                                }
                            ),
                        }
                        for p in detail["punkter"]
                    ],
                }
            )
            if len(meetings) >= limit:
                break
        return {"meetings": meetings}

    return server
