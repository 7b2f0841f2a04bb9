"""`referat harvest` against a hostile FirstAgenda site on 127.0.0.1, with the default settings.

    python bench/harvest_hostile.py [--trickle-s 10]

Each case runs the real CLI in a child process against one meeting that misbehaves (the hostile
site of tests/hostile_site.py) and prints its wall time, the child's peak RSS, whether the CLI
ended in one line without a traceback, the requests that left the site and the files written
outside the home. Goals (issue 18): peak RSS <= 1 GB against an endless body and a gzip bomb, done
within 3 minutes against a server sending one byte every 10 s, 0 requests off the site, 0 files
outside the home, 0 tracebacks. The trickle case takes about `harvest_request_deadline_s` (60 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.firstagenda_site import Site, load_meetings  # noqa: E402
from tests.hostile_site import HostileSite  # noqa: E402


def run_cli(site: HostileSite, home: Path, *extra: str) -> dict:
    """The CLI in a child: wall seconds, its peak RSS (MB, from wait4), exit status, stderr."""
    args = [sys.executable, "-m", "api.cli", "harvest", site.url, "--home", str(home), "--delay", "0", "--no-enrich"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen([*args, *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "rc": child.returncode,
        "traceback": int("Traceback" in stderr),
        "stderr": stderr.strip(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trickle-s", type=float, default=10.0, help="seconds between the bytes of the trickle")
    args = ap.parse_args()
    ident, raw = sorted(load_meetings().items())[0]
    cases = {
        "endless": lambda s: s.endless.add(ident),
        "gzip_bomb": lambda s: s.gzip_bombs.add(ident),
        "trickle": lambda s: s.trickle.__setitem__(ident, ("body", args.trickle_s)),
        "retry_after": lambda s: s.retry_after.__setitem__(ident, "100000"),
        "offsite_redirect": None,
        "slug_traversal": None,
    }
    for name, setup in cases.items():
        with tempfile.TemporaryDirectory() as tmp, HostileSite({ident: raw}) as site, Site({}) as elsewhere:
            tmp_path = Path(tmp)
            home = tmp_path / "a" / "home"
            extra: tuple[str, ...] = ("--municipality", "greve")
            if setup:
                setup(site)
            if name == "offsite_redirect":
                site.redirects[ident] = f"{elsewhere.url}/api/agenda/dagsorden/{ident}"
            if name == "slug_traversal":
                extra = ("--municipality", "../../../outside_home")
            result = run_cli(site, home, *extra)
            outside = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(home)]
            result["requests_off_site"] = len(elsewhere.requests) + sum(
                h != f"127.0.0.1:{site.port}" for h in site.hosts
            )
            result["files_outside_home"] = len(outside)
            lines = [line for line in result.pop("stderr").splitlines() if line.strip()]
            result["stderr_lines"] = len(lines)
            for key, value in result.items():
                print(f"{name}.{key}={value}")
            print(f"{name}.message={json.dumps(lines[-1] if lines else '', ensure_ascii=False)}")


if __name__ == "__main__":
    main()
