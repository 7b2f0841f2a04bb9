"""The web pages for citizens and journalists: search, punkt, meeting and archive overview.

Server-rendered Danish HTML; every page is a plain GET with its state in the URL, so that links
can be shared and the back button works. No JavaScript is needed to search.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.section_html import render_section
from api.urls import site_url
from index.archive import Archive
from index.search import MAX_QUERY_CHARS, Filters
from nlp.dates import danish_date
from nlp.errors import NotFoundError, ReferatError
from nlp.themes import load_themes

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 10
EXAMPLES = [
    "tiltag mod førtidspension for unge",
    "hjemløse",
    "how much did the employment reform cut?",
    "ansøgninger til puljer fra STAR",
]
FILTER_KEYS = ("municipality", "committee", "date_from", "date_to", "case_type", "theme", "kle", "entity")
FACET_TO_FILTER = {
    "themes": "theme",
    "committees": "committee",
    "case_types": "case_type",
    "people": "entity",
    "organisations": "entity",
    "municipalities": "municipality",
}
FACET_LABELS = {
    "themes": "Temaer",
    "people": "Personer",
    "organisations": "Organisationer",
    "years": "År",
    "committees": "Udvalg",
    "case_types": "Sagstyper",
    "municipalities": "Kommuner",
}


def install_web(app: FastAPI, archive: Archive) -> None:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["dansk_dato"] = danish_date
    templates.env.globals["quote"] = lambda s: quote(s, safe="/")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    theme_labels = {t.key: t.label for t in load_themes()}

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"theme_labels": theme_labels, **context}, status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request) -> HTMLResponse:
        params = request.query_params
        q = (params.get("q") or "").strip()
        try:
            page = max(1, min(int(params.get("side", "1")), 500))
        except ValueError:
            page = 1
        filters = {k: params.get(k) for k in FILTER_KEYS if params.get(k)}
        context = {
            "q": q,
            "filters": filters,
            "examples": EXAMPLES,
            "page": page,
            "result": None,
            "error": None,
            "max_chars": MAX_QUERY_CHARS,
        }
        if q:
            try:
                checked = Filters(**filters).validate()
                # Twice a page: the relevant hits of this page, then, on the page where they end, the
                # loosely related below "Mindre relevante" (counted nowhere).
                result = archive.search(q, limit=2 * PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, filters=checked)
                context["result"] = result
                context["hits"] = [h for h in result.hits[:PAGE_SIZE] if h["relevant"]]
                context["less"] = [h for h in result.hits if not h["relevant"]][:PAGE_SIZE]
                context["facets"] = _facet_links(q, filters, result.facets, theme_labels)
                context["active"] = _active_filters(q, filters, theme_labels)
                context["pages"] = _pages(q, filters, page, result.total)
                context["feed_url"] = "/feed.atom?" + urlencode({"q": q, **filters})
            except ReferatError as exc:
                context["error"] = str(exc)
                return render(request, "search.html", 422, **context)
        return render(request, "search.html", **context)

    @app.get("/punkt/{punkt_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def punkt_page(request: Request, punkt_id: str) -> HTMLResponse:
        try:
            punkt = archive.store.punkt(punkt_id)
        except NotFoundError:
            return render(request, "notfound.html", 404, what="punktet", ident=punkt_id)
        similar = [] if punkt["closed"] else archive.searcher().similar(punkt_id, 5)
        sections = []
        for k, section in enumerate(punkt["sections"]):
            spans = [
                (e["start"], e["end"], "ent-" + e["label"].lower(), e["label"])
                for e in punkt["entities"]
                if e["section"] == section["name"]
            ]
            spans += [
                (a["start"], a["end"], "amount", a["kind"]) for a in punkt["amounts"] if a["section"] == section["name"]
            ]
            html = render_section(section["text"], section.get("tables") or [], spans, f"s{k}")
            sections.append({**section, "html": html})
        people = sorted({e["canonical"] for e in punkt["entities"] if e["label"] == "PER"})
        orgs = sorted({e["canonical"] for e in punkt["entities"] if e["label"] == "ORG"})
        places = sorted({e["canonical"] for e in punkt["entities"] if e["label"] == "LOC"})
        money = [a for a in punkt["amounts"] if a["kind"] == "money"][:15]
        timeline = _timeline(punkt)
        citation = (
            f"{punkt['meeting']['municipality']} Kommune, {punkt['meeting']['committee']}, "
            f"møde {danish_date(punkt['meeting']['date'])}, punkt {punkt['number']}: {punkt['title']}. "
            f"{site_url(request)}/punkt/{quote(punkt['id'], safe='/')}"
        )
        return render(
            request,
            "punkt.html",
            source=_source(punkt["meeting"], punkt.get("attachments") or []),
            punkt=punkt,
            sections=sections,
            people=people,
            orgs=orgs,
            places=places,
            money=money,
            timeline=timeline,
            similar=similar,
            citation=citation,
        )

    @app.get("/moede/{meeting_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def meeting_page(request: Request, meeting_id: str) -> HTMLResponse:
        try:
            meeting = archive.store.meeting(meeting_id)
        except NotFoundError:
            return render(request, "notfound.html", 404, what="mødet", ident=meeting_id)
        return render(request, "meeting.html", meeting=meeting, source=_source(meeting, []))

    @app.get("/arkiv", response_class=HTMLResponse, include_in_schema=False)
    def overview_page(request: Request) -> HTMLResponse:
        return render(request, "overview.html", overview=archive.store.overview(), meetings=archive.store.meetings())


def _url(q: str, filters: dict, **changes) -> str:
    params = {"q": q, **filters, **changes}
    return "/?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _facet_links(q: str, filters: dict, facets: dict, theme_labels: dict) -> list[dict]:
    groups = []
    for key in ("themes", "people", "organisations", "years", "committees", "case_types", "municipalities"):
        values = facets.get(key) or []
        if not values:
            continue
        items = []
        for v in values[:8]:
            value = v["value"]
            if key == "years":
                url = _url(q, filters, date_from=f"{value}-01-01", date_to=f"{value}-12-31")
            elif key == "case_types" and value == "ingen":
                continue
            else:
                url = _url(q, filters, **{FACET_TO_FILTER[key]: value})
            label = theme_labels.get(value, value) if key == "themes" else value
            items.append({"label": label, "count": v["count"], "url": url})
        if items:
            groups.append({"name": FACET_LABELS[key], "items": items})
    return groups


def _active_filters(q: str, filters: dict, theme_labels: dict) -> list[dict]:
    names = {
        "municipality": "Kommune",
        "committee": "Udvalg",
        "date_from": "Fra",
        "date_to": "Til",
        "case_type": "Sagstype",
        "theme": "Tema",
        "kle": "KLE",
        "entity": "Nævner",
    }
    out = []
    for key, value in filters.items():
        shown = theme_labels.get(value, value) if key == "theme" else value
        rest = {k: v for k, v in filters.items() if k != key}
        out.append({"label": f"{names[key]}: {shown}", "remove": _url(q, rest)})
    return out


def _pages(q: str, filters: dict, page: int, total: int) -> dict:
    last = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return {
        "current": page,
        "last": last,
        "prev": _url(q, filters, side=page - 1) if page > 1 else None,
        "next": _url(q, filters, side=page + 1) if page < last else None,
    }


def _timeline(punkt: dict) -> list[dict]:
    """Earlier and later treatments of the same case, with this punkt in its place."""
    seen: dict[str, dict] = {}
    for link in punkt["links"]:
        seen.setdefault(link["target_id"], {**link, "kinds": set()})["kinds"].add(link["kind"])
    items = list(seen.values())
    items.append(
        {
            "target_id": punkt["id"],
            "title": punkt["title"],
            "date": punkt["meeting"]["date"],
            "committee": punkt["meeting"]["committee"],
            "current": True,
            "kinds": set(),
        }
    )
    items.sort(key=lambda x: x["date"])
    return items if len(items) > 1 else []


def _source(meeting: dict, attachments: list[dict]) -> dict | None:
    """The official document when the store knows its address; else the publishing site of the attachments.

    FirstAgenda attachments carry links (https://dagsordener.greve.dk/Vis/Pdf/bilag/...), so their site is
    known; a referat read from a text file has no address in the store.
    """
    if meeting.get("source_url"):
        return {"url": meeting["source_url"], "label": "Det officielle referat"}
    for a in attachments:
        if match := re.match(r"^(https://[^/]+)/", a.get("url") or ""):
            return {
                "url": match.group(1) + "/",
                "label": f"{meeting.get('municipality')} Kommunes dagsordener og referater",
            }
    return None
