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

from api.danish import pydantic_messages, unknown_parameter_errors
from api.section_html import render_section
from api.urls import site_url
from index.archive import Archive
from index.search import MAX_QUERY_CHARS, Filters, PageOutOfRangeError, validate_sort
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
PARAMETERS = ("q", "side", "sort", *FILTER_KEYS)  # what the search page reads; any other is refused
MAX_PAGE = 500
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
        side = params.get("side") or "1"
        page = int(side) if side.isdecimal() and 1 <= int(side) <= MAX_PAGE else None
        filters = {k: params.get(k) for k in FILTER_KEYS if params.get(k)}
        sort = params.get("sort") or "relevance"
        keep = {**filters, **({"sort": sort} if sort != "relevance" else {})}  # what every link carries
        context = {
            "q": q,
            "filters": filters,
            "keep": keep,
            "sort": sort,
            "examples": EXAMPLES,
            "page": page,
            "result": None,
            "error": None,
            "max_chars": MAX_QUERY_CHARS,
        }
        # A parameter the page does not take, or a page number it cannot show, is said, not ignored.
        unknown = [name for name in params if name not in PARAMETERS]
        if unknown or page is None:
            errors = unknown_parameter_errors(unknown, list(PARAMETERS))
            if page is None:
                errors.append({"type": "page_number", "loc": ("query", "side"), "ctx": {"max": MAX_PAGE}})
            context["error"], context["page"] = pydantic_messages(errors), 1
            return render(request, "search.html", 422, **context)
        if q:
            try:
                validate_sort(sort)
                checked = Filters(**filters)
                offset = (page - 1) * PAGE_SIZE
                # Twice a page: the relevant hits of this page, then, on the page where they end, the
                # loosely related below "Mindre relevante" (counted nowhere).
                result = archive.search(q, limit=2 * PAGE_SIZE, offset=offset, filters=checked, sort=sort)
                if page > max(1, -(-result.total // PAGE_SIZE)):  # past the answer's last page
                    raise PageOutOfRangeError(offset, result.total)
                context["result"] = result
                context["hits"] = [h for h in result.hits[:PAGE_SIZE] if h["relevant"]]
                context["less"] = [h for h in result.hits if not h["relevant"]][:PAGE_SIZE]
                context["facets"] = _facet_links(q, keep, result.facets, theme_labels)
                context["active"] = _active_filters(q, filters, theme_labels, keep)
                context["pages"] = _pages(q, keep, page, result.total)
                context["feed_url"] = "/feed.atom?" + urlencode({"q": q, **filters})
                context["export"] = {
                    kind: f"/api/search.{kind}?" + urlencode({"q": q, **keep}) for kind in ("csv", "json")
                }
            except PageOutOfRangeError as exc:  # "/?side=99" of a 3-page result: said, with a way back
                last = max(1, -(-exc.total // PAGE_SIZE))
                context["error"] = f"Side {page} findes ikke: søgningen har {exc.total} hits på {last} sider."
                context["last_page_url"] = _url(q, keep, side=last) if exc.total else None
                return render(request, "search.html", 404, **context)
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
            source=_source(punkt.get("source_url"), punkt["meeting"]),
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
        return render(request, "meeting.html", meeting=meeting, source=_source(None, meeting))

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


def _active_filters(q: str, filters: dict, theme_labels: dict, keep: dict | None = None) -> list[dict]:
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
        rest = {k: v for k, v in (keep or filters).items() if k != key}
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


def _source(punkt_url: str | None, meeting: dict) -> dict | None:
    """The page on the publisher's site: the punkt's own, else its meeting's; None when the source
    gave neither (a referat read from a text or PDF file), and the page then says so.

    A site's front page is no source: a reader could not find the meeting from it.
    """
    if punkt_url:
        return {"url": punkt_url, "label": f"Punktet på {_host(punkt_url)}"}
    if meeting.get("source_url"):
        return {"url": meeting["source_url"], "label": f"Mødet på {_host(meeting['source_url'])}"}
    return None


def _host(url: str) -> str:
    match = re.match(r"^https?://([^/]+)", url)
    return match.group(1) if match else url
