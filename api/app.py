"""The HTTP application: JSON API under /api, the web pages, and the MCP endpoint at /mcp.

One process, one port. The archive (store, models, indexes) is opened once at start-up; every
route is read-only. Errors are JSON with a status code and a message a person can act on.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import schemas
from api.danish import pydantic_message, pydantic_messages, unknown_parameter_errors
from index.archive import Archive
from index.filters import UnknownFilterValueError
from index.generations import IndexDamagedError
from index.search import MAX_LIMIT, MAX_QUERY_CHARS, SORTS, Filters, validate_sort
from nlp.errors import ReferatError
from nlp.settings import settings

DESCRIPTION = """
Søg i kommunale referater: møder, punkter, beslutninger og sagernes historik.

Alle svar er JSON. Et punkts id er læsbart og stabilt: `odense/beskaeftigelses-og-socialudvalget/2025-11-25/15`.
Lukkede punkter viser kun titel. Fejl har formen `{"error": {"status": 422, "message": "..."}}`.
"""


def create_app(
    home: str | None = None,
    *,
    cors_origins: list[str] | None = None,
    archive: Archive | None = None,
    must_exist: bool = False,
) -> FastAPI:
    archive = archive or Archive(home, create=not must_exist)
    from api.mcp_server import build_mcp

    mcp = build_mcp(archive=archive)
    mcp_app = mcp.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The routes are synchronous (run in anyio's thread pool, 40 threads by default): bound how
        # many compute at once (`settings.serve_concurrency`), the others queue.
        limit = settings.serve_concurrency_postgres if archive.store_url else settings.serve_concurrency
        anyio.to_thread.current_default_thread_limiter().total_tokens = limit
        try:
            archive.searcher()  # load models and indexes once, before the first request
        except IndexDamagedError as exc:  # serve anyway: searches answer 503 until `referat reindex`
            logging.getLogger(__name__).error("%s", exc)
        async with mcp_app.router.lifespan_context(mcp_app):
            yield

    from fastapi_offline import FastAPIOffline  # /docs and /redoc with their assets served here, not from a CDN

    app = FastAPIOffline(
        title="Referat API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[{"name": "søgning"}, {"name": "arkiv"}, {"name": "drift"}],
        dependencies=[Depends(_known_parameters_only)],
    )
    app.state.archive = archive
    origins = (
        cors_origins
        if cors_origins is not None
        else [o for o in os.environ.get("REFERAT_CORS_ORIGINS", "").split(",") if o]
    )
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET"], allow_headers=["*"])
    app.add_middleware(_HeadAsGet)
    _install_error_handlers(app)
    _install_api_routes(app, archive)
    _install_feed_routes(app, archive)
    from api.web import install_web

    install_web(app, archive)
    for route in mcp_app.routes:  # the MCP endpoint shares the port and the archive
        app.router.routes.append(route)
    return app


def app_from_env() -> FastAPI:
    """The app over `$REFERAT_HOME`: the factory `referat serve --workers N` starts in each worker."""
    return create_app(os.environ.get("REFERAT_HOME"), must_exist=True)


def _error(status: int, message: str, detail: Any = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": {"status": status, "message": message, **extra}}
    if detail is not None:
        body["error"]["detail"] = detail
    return JSONResponse(body, status_code=status)


def _query_parameters(dependant) -> list[str]:
    """The query parameters a route takes, its dependencies' (the search filters) included."""
    names = [p.alias for p in dependant.query_params]
    for sub in dependant.dependencies:
        names += [n for n in _query_parameters(sub) if n not in names]
    return names


def _known_parameters_only(request: Request) -> None:
    """An API or feed URL with a query parameter its route does not take is refused, not served as if
    it were absent: `?municipalty=Odense` (a typo) would otherwise be a search of every municipality."""
    path = request.url.path
    route = request.scope.get("route")
    if route is None or not (path.startswith("/api/") or path.startswith("/feed")):
        return
    known = _query_parameters(route.dependant)
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        raise RequestValidationError(unknown_parameter_errors(unknown, known))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ReferatError)
    async def referat_error(request: Request, exc: ReferatError) -> JSONResponse:
        if isinstance(exc, UnknownFilterValueError):  # the known values, for a client to offer instead
            return _error(exc.status_code, str(exc), parameter=exc.parameter, known=exc.known)
        return _error(exc.status_code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return _error(422, "ugyldig parameter: " + pydantic_messages(errors), jsonable(errors))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "siden findes ikke", 405: "metoden er ikke tilladt: API'et er skrivebeskyttet"}
        response = _error(exc.status_code, messages.get(exc.status_code, str(exc.detail)))
        response.headers.update(getattr(exc, "headers", None) or {})  # 405 keeps its `Allow`
        return response


class _HeadAsGet:
    """HEAD is answered as GET without the body (HTTP says every GET resource takes HEAD; FastAPI
    routes answer 405). The MCP endpoint is left alone: its GET opens a stream."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"].startswith("/mcp"):
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def jsonable(errors: list[dict]) -> list[dict]:
    """pydantic's errors for the `detail` field: where, which kind, and the Danish message (not its
    English `msg` and pydantic.dev `url`)."""
    return [
        {
            "loc": [p for p in e.get("loc", ()) if isinstance(p, str | int)],
            "type": str(e.get("type")),
            "message": pydantic_message({**e, "loc": ()}),
        }
        for e in errors
    ]


Q = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        description="Spørgsmål eller søgeord",
        examples=["tiltag mod førtidspension for unge"],
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Antal hits")]
Offset = Annotated[int, Query(ge=0, le=10_000, description="Spring over (sideskift)")]
DateParam = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ÅÅÅÅ-MM-DD")]
Text = Annotated[str | None, Query(max_length=200)]
# A plain string checked by `validate_sort`, so that a wrong value is refused in Danish (a 422).
Sort = Annotated[
    str,
    Query(
        max_length=40,
        description="relevance (bedste først) eller date (nyeste møde først, samme resultatmængde)",
        json_schema_extra={"enum": list(SORTS)},
    ),
]


def search_filters(
    municipality: Text = None,
    committee: Text = None,
    date_from: DateParam = None,
    date_to: DateParam = None,
    case_type: Annotated[str | None, Query(pattern=r"^([A-Ea-e]-sag|Lukket|lukket)$")] = None,
    theme: Text = None,
    kle: Annotated[str | None, Query(pattern=r"^\d{2}(\.\d{2}){0,2}$")] = None,
    entity: Text = None,
    has_decision: bool | None = None,
) -> Filters:
    """The search filters as query parameters: one definition for /api/search and /feed.atom."""
    return Filters(municipality, committee, date_from, date_to, case_type, theme, kle, entity, has_decision)


SearchFilters = Annotated[Filters, Depends(search_filters)]
BAD_PARAMETER: dict = {422: {"model": schemas.ErrorResponse, "description": "Ugyldig parameter"}}
NOT_FOUND: dict = {404: {"model": schemas.ErrorResponse, "description": "Ukendt id"}, **BAD_PARAMETER}


def _install_api_routes(app: FastAPI, archive: Archive) -> None:
    @app.get("/health", tags=["drift"], response_model=schemas.Health, summary="Arkivets tilstand")
    def health() -> dict:
        return {"status": "ok", **archive.stats()}

    @app.get(
        "/api/search",
        tags=["søgning"],
        response_model=schemas.SearchResponse,
        responses=BAD_PARAMETER,
        summary="Søg i referaterne",
    )
    def api_search(
        q: Q,
        filters: SearchFilters,
        limit: Limit = 10,
        offset: Offset = 0,
        sort: Sort = "relevance",
    ) -> dict:
        """Hybrid søgning (leksikalsk + semantisk) med filtre, facetter og fremhævede uddrag."""
        data = archive.search(q, limit=limit, offset=offset, filters=filters, sort=validate_sort(sort)).to_dict()
        return data

    csv_response = {200: {"content": {"text/csv": {}}, "description": "CSV (RFC 4180), UTF-8 med BOM"}}

    @app.get(
        "/api/search.csv",
        tags=["søgning"],
        response_class=Response,
        responses={**csv_response, **BAD_PARAMETER},
        summary="Hele søgeresultatet som CSV",
    )
    def api_search_csv(request: Request, q: Q, filters: SearchFilters, sort: Sort = "relevance") -> Response:
        """Hele søgningens resultat som CSV til et regneark (alle hits, ikke kun en side)."""
        from api.export import filename, rows, search_all, to_csv
        from api.urls import site_url

        _, hits = search_all(archive, q, filters=filters, sort=validate_sort(sort))
        body = "\ufeff" + to_csv(rows(hits, site_url(request)))  # the BOM makes Excel read UTF-8
        disposition = f'attachment; filename="{filename(q, "csv")}"'
        return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})

    @app.get("/api/search.json", tags=["søgning"], responses=BAD_PARAMETER, summary="Hele søgeresultatet som JSON")
    def api_search_json(request: Request, q: Q, filters: SearchFilters, sort: Sort = "relevance") -> JSONResponse:
        """Hele søgningens resultat som JSON: samme rækker og kolonner som CSV-udtrækket."""
        from api.export import filename, rows, search_all, to_json
        from api.urls import site_url

        sort = validate_sort(sort)
        first, hits = search_all(archive, q, filters=filters, sort=sort)
        body = to_json(first, rows(hits, site_url(request)), sort=sort, filters=filters.active())
        disposition = f'attachment; filename="{filename(q, "json")}"'
        return JSONResponse(body, headers={"Content-Disposition": disposition})

    @app.get(
        "/api/punkter/{punkt_id:path}/similar",
        tags=["søgning"],
        response_model=schemas.SimilarResponse,
        responses=NOT_FOUND,
        summary="Lignende punkter",
    )
    def api_similar(punkt_id: str, limit: Annotated[int, Query(ge=1, le=50)] = 5) -> dict:
        """Punkter der ligner dette (semantisk)."""
        return {"id": punkt_id, "hits": archive.searcher().similar(punkt_id, limit)}

    @app.get(
        "/api/punkter/{punkt_id:path}",
        tags=["arkiv"],
        response_model=schemas.PunktResponse,
        responses=NOT_FOUND,
        summary="Ét punkt",
    )
    def api_punkt(punkt_id: str) -> dict:
        """Ét punkt med afsnit, beslutning, tags og sagens historik (som `referat show --json`)."""
        return archive.store.punkt(punkt_id)

    @app.get(
        "/api/meetings",
        tags=["arkiv"],
        response_model=list[schemas.MeetingSummary],
        responses=BAD_PARAMETER,
        summary="Møderne i arkivet",
    )
    def api_meetings(
        municipality: Text = None, committee: Text = None, date_from: DateParam = None, date_to: DateParam = None
    ) -> list:
        """Møderne i arkivet, nyeste først, med deres dokumenter (de samme objekter som `referat meetings --json`)."""
        filters = Filters(municipality, committee, date_from, date_to).check_known(archive.store.db)
        return [r for r in archive.store.meetings() if filters.keeps_meeting(r)]

    @app.get(
        "/api/meetings/{meeting_id:path}",
        tags=["arkiv"],
        response_model=schemas.MeetingDetail,
        responses=NOT_FOUND,
        summary="Ét møde",
    )
    def api_meeting(meeting_id: str) -> dict:
        """Ét møde med dets punkter i rækkefølge og fraværende medlemmer."""
        return archive.store.meeting(meeting_id)

    @app.get(
        "/api/entities",
        tags=["arkiv"],
        response_model=list[schemas.EntityCount],
        responses=BAD_PARAMETER,
        summary="Personer, organisationer og steder",
    )
    def api_entities(
        type: Annotated[
            str | None, Query(pattern=r"^(PER|ORG|LOC|MISC)$", description="PER, ORG, LOC eller MISC")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list:
        """Personer, organisationer og steder med antal punkter, de nævnes i."""
        return archive.store.entity_counts(type, limit)

    @app.get("/api/themes", tags=["arkiv"], response_model=list[schemas.ThemeCount], summary="Temaerne")
    def api_themes() -> list:
        """Temaerne i taksonomien med antal punkter."""
        from nlp.themes import load_themes

        counts = archive.store.theme_counts()
        return [
            {"key": t.key, "label": t.label, "gloss": t.gloss, "punkter": counts.get(t.key, 0)} for t in load_themes()
        ]


ATOM_TYPE = "application/atom+xml; charset=utf-8"
FEED_LIMIT = 50


def _install_feed_routes(app: FastAPI, archive: Archive) -> None:
    from urllib.parse import urlencode

    from api.feeds import atom_feed
    from api.urls import site_url
    from index.watches import get_watch

    atom = {200: {"content": {"application/atom+xml": {}}, "description": "Atom 1.0 (RFC 4287)"}}

    @app.get(
        "/feed.atom",
        tags=["søgning"],
        response_class=Response,
        responses={**atom, **BAD_PARAMETER},
        summary="Søgningen som Atom-feed",
    )
    def search_feed(
        request: Request,
        q: Q,
        filters: SearchFilters,
    ) -> Response:
        """Søgningen som Atom-feed, nyeste først: nye punkter dukker op i en feedlæser. Samme filtre som /api/search."""
        result = archive.search(q, limit=FEED_LIMIT, filters=filters, sort="date")
        base = site_url(request)
        query = urlencode({"q": q, **filters.active()})
        body = atom_feed(
            title=f"Referat: {q}",
            feed_id=f"{base}/feed.atom?{query}",
            self_url=f"{base}/feed.atom?{query}",
            alternate_url=f"{base}/?{query}",
            base_url=base,
            hits=result.hits,
        )
        return Response(body, media_type=ATOM_TYPE)

    @app.get(
        "/feed/{name}.atom",
        tags=["søgning"],
        response_class=Response,
        responses={**atom, **NOT_FOUND},
        summary="En gemt søgnings feed",
    )
    def watch_feed(request: Request, name: str) -> Response:
        """En gemt søgnings feed (`referat watch add NAVN "SØGNING"`)."""
        from urllib.parse import quote

        watch = get_watch(archive.store, name)
        result = archive.search(watch.query, limit=FEED_LIMIT, filters=Filters(**watch.filters), sort="date")
        base = site_url(request)
        body = atom_feed(
            title=f"Referat: {watch.name} ({watch.query})",
            feed_id=f"{base}/feed/{quote(watch.name)}.atom",
            self_url=f"{base}/feed/{quote(watch.name)}.atom",
            alternate_url=f"{base}/?{urlencode({'q': watch.query, **watch.filters})}",
            base_url=base,
            hits=result.hits,
        )
        return Response(body, media_type=ATOM_TYPE)
