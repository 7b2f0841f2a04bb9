"""Ingest on a Ray cluster: workers read, enrich and embed; the driver alone writes the store.

    referat ingest --ray HOST:PORT data/        (or REFERAT_RAY_ADDRESS=HOST:PORT)

One actor per node holds the models (the encoder is loaded once per actor) and uses that node's
CPUs; the driver reads each file (so workers need no shared disk), skips unchanged ones, hands the
bytes to the actors, and writes results with `index.ingest.write_document` in the files' order,
so the archive is the same as a single-machine ingest of the same files. Every node needs
Referat installed (`pip install 'referat[cluster]'` and `referat setup`): the driver ships data,
not code or models. Ray is an optional extra.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from index.ingest import Discovery, IngestReport, Overrides, discover, process_document, read_file, write_document
from index.locks import ingest_lock
from nlp.errors import ReferatError

log = logging.getLogger(__name__)

#: Files in flight per actor: one being worked on, one waiting, so no actor idles between files.
IN_FLIGHT_PER_ACTOR = 2
#: Tries per file when its worker dies under it (the file then goes to another live worker).
ATTEMPTS_PER_FILE = 3
#: Environment variables that are the driver's business, not the workers'.
_DRIVER_ONLY = {"REFERAT_HOME", "REFERAT_RAY_ADDRESS", "REFERAT_THREADS"}


class ClusterUnavailableError(ReferatError):
    status_code = 503


class IngestWorker:
    """A Ray actor: the models, loaded once, and `process` for one file's content."""

    def __init__(self, enrich: bool, overrides: Overrides) -> None:
        from nlp.embedder import get_embedder

        self.embedder = get_embedder()
        self.enricher = None
        if enrich:
            from nlp.pipeline import Enricher

            self.enricher = Enricher(embedder=self.embedder)
        self.overrides = overrides
        self.model = self.embedder.name

    def ready(self) -> str:
        import socket

        return socket.gethostname()

    def process(self, path_key: str, sha256: str, data: bytes, source: str):
        """`("ok", (path_key, sha256, Meeting, {number: Enrichment}), timings, model)` or `("error", message)`."""
        timings: dict[str, float] = {}
        try:
            meeting, enrichments = process_document(data, source, self.enricher, self.embedder, timings, self.overrides)
            result = (path_key, sha256, meeting, enrichments)
        except ReferatError as exc:
            return ("error", str(exc).removeprefix(f"{source}: "))
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the rest
            log.exception("unexpected failure on %s", source)
            return ("error", f"uventet fejl: {exc.__class__.__name__}: {exc}")
        return ("ok", result, timings, self.model)


def _connect(address: str):
    try:
        import ray
    except ImportError:
        raise ClusterUnavailableError(
            "Ray er ikke installeret; installer klynge-udvidelsen: pip install 'referat[cluster]'"
        ) from None
    env = {k: v for k, v in os.environ.items() if k.startswith("REFERAT_") and k not in _DRIVER_ONLY}
    try:
        ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": env}, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterUnavailableError(
            f"kan ikke forbinde til Ray-klyngen på '{address}' ({exc.__class__.__name__}); "
            "start den med `ray start --head` og angiv dens adresse"
        ) from exc
    return ray


def _start_workers(ray, enrich: bool, overrides: Overrides) -> list:
    """One actor per live node, owning all that node's CPUs (and its threads follow them)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    actor_class = ray.remote(IngestWorker)
    actors = []
    for node in ray.nodes():
        cpus = int(node.get("Resources", {}).get("CPU", 0))
        if not node.get("Alive") or cpus < 1:
            continue
        actors.append(
            actor_class.options(
                num_cpus=cpus,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
                runtime_env={"env_vars": {"REFERAT_THREADS": str(cpus)}},
            ).remote(enrich, overrides)
        )
    if not actors:
        raise ClusterUnavailableError("Ray-klyngen har ingen noder med CPU'er")
    ray.get([a.ready.remote() for a in actors])
    return actors


def ingest_on_ray(
    archive,
    paths: Iterable[str | Path] | Discovery,
    address: str,
    *,
    enrich: bool = True,
    progress: Callable[[Path, IngestReport], None] | None = None,
    index_progress=None,
    municipality: str | None = None,
    committee: str | None = None,
) -> IngestReport:
    """Like `Archive.ingest`, with reading, NLP and embedding spread over the cluster at `address`."""
    with ingest_lock(archive.home):
        archive._check_model()
        ray = _connect(address)
        try:
            report = ingest_paths_on_ray(
                ray,
                archive.store,
                paths,
                enrich=enrich,
                progress=progress,
                overrides=Overrides(municipality, committee),
            )
        finally:
            ray.shutdown()
        started = time.perf_counter()
        archive.refresh_index(progress=index_progress)  # documents are searchable when ingest returns
        report.index_s += time.perf_counter() - started
    return report


def ingest_paths_on_ray(
    ray,
    store,
    paths: Iterable[str | Path] | Discovery,
    *,
    enrich: bool = True,
    progress=None,
    overrides: Overrides | None = None,
) -> IngestReport:
    found = discover(paths)
    files = found.files
    report = IngestReport(failures=list(found.missing), skipped=list(found.skipped))
    actors = _start_workers(ray, enrich, overrides or Overrides())
    try:
        _run(ray, store, files, actors, report, progress, enrich)
    finally:
        for actor in actors:
            ray.kill(actor)
    return report


def _run(ray, store, files: list[Path], actors: list, report: IngestReport, progress, enrich: bool) -> None:
    """Hand files to the actors as they free up; write results in the files' order.

    A worker that dies (its process or its node) takes its files in flight with it: each of them is
    handed to a live worker again, up to `ATTEMPTS_PER_FILE` times, and the dead worker gets no more;
    when no worker is left, every file not yet read is reported as a failure, never dropped."""
    pending: dict = {}  # object ref -> (file index, actor)
    done: dict[int, tuple] = {}  # file index -> outcome, waiting for its turn to be written
    live = list(actors)
    free = [a for a in actors for _ in range(IN_FLIGHT_PER_ACTOR)]
    again: list[int] = []  # files whose worker died, to be handed out again first
    attempts: dict[int, int] = {}
    next_file = next_write = 0

    def finish(i: int, outcome: tuple | None) -> None:
        path = files[i]
        report.files += 1
        if outcome is None:
            report.unchanged += 1
        elif outcome[0] == "error":
            report.failures.append((str(path), outcome[1]))
        else:
            _, (key, sha, meeting, enrichments), timings, model = outcome
            started = time.perf_counter()
            saved = write_document(store, key, sha, meeting, enrichments, enriched=enrich)
            timings["store_s"] = time.perf_counter() - started
            report.add_timings(timings)
            report.count(saved, meeting, enrichments)
        if progress:
            progress(path, report)

    def lost(i: int, actor, exc: Exception) -> None:
        """A file whose worker failed under it: handed out again, or reported when it cannot be."""
        reason = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if isinstance(exc, ray.exceptions.RayActorError) and actor in live:
            live.remove(actor)
            free[:] = [a for a in free if a is not actor]
            log.warning("a Ray worker died (%s); its files go to the %d left", reason, len(live))
        if attempts.get(i, 1) < ATTEMPTS_PER_FILE and live:
            attempts[i] = attempts.get(i, 1) + 1
            report.retried += 1
            again.append(i)
        else:
            done[i] = ("error", f"Ray-fejl efter {attempts.get(i, 1)} forsøg ({reason}); filen er ikke indlæst")

    def dispatch(i: int) -> None:
        path = files[i]
        try:
            started = time.perf_counter()
            key, data, sha = read_file(path)
            report.read_s += time.perf_counter() - started
        except ReferatError as exc:
            done[i] = ("error", str(exc).removeprefix(f"{path}: "))
            return
        if store.document_hash(key) == sha:
            done[i] = None
            return
        actor = free.pop()
        pending[actor.process.remote(key, sha, data, str(path))] = (i, actor)

    while next_write < len(files):
        while free and (again or next_file < len(files)):
            if again:
                dispatch(again.pop(0))
            else:
                next_file += 1
                dispatch(next_file - 1)
        if not live:  # every worker is gone: what was not handed out is reported, not lost
            for i in [*again, *range(next_file, len(files))]:
                done[i] = ("error", "ingen Ray-arbejder er tilbage (klyngens noder døde); filen er ikke indlæst")
            again.clear()
            next_file = len(files)
        while next_write in done:
            finish(next_write, done.pop(next_write))
            next_write += 1
        if pending and next_write < len(files) and next_write not in done:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i, actor = pending.pop(ref)
                try:
                    done[i] = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a lost worker fails its file, not the ingest
                    lost(i, actor, exc)
                else:
                    free.append(actor)


def session_pids(session: str) -> set[int]:
    """PIDs of the processes our cluster started: they inherit the `REFERAT_RAY_SESSION` marker, or
    (Ray's agents, started with a filtered environment) hold a file of the session folder open, or
    name it (Ray renames its processes, so command lines alone do not say)."""
    marker = f"REFERAT_RAY_SESSION={session}".encode()
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (
                marker in (entry / "environ").read_bytes().split(b"\0")
                or session.encode() in (entry / "cmdline").read_bytes()
            ):
                pids.add(int(entry.name))
                continue
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd).startswith(session):
                    pids.add(int(entry.name))
                    break
        except OSError:
            continue
    return pids


def stop_session(session: str) -> set[int]:
    """Stop every process of a Ray session we started, by PID: TERM, then KILL, then wait until they
    are reaped. Returns the PIDs still there (none, normally)."""
    import signal

    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        for pid in session_pids(session):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + wait  # a killed process leaves /proc when it has been reaped
        while session_pids(session) and time.time() < deadline:
            time.sleep(0.2)
    return session_pids(session)
