"""What a second `referat harvest` asks of a site that sends no ETag or Last-Modified.

    python bench/harvest_incremental.py

Two recorded sites on 127.0.0.1, each harvested twice into a fresh home (no NLP): the FirstAgenda
JSON site of tests/firstagenda_site.py with its ETags off (six meetings) and the FirstAgenda web
site of tests/firstagenda_web_site.py (three meetings, one of them a dagsorden so far, then all
three referater). Prints `name=value`: the meeting requests of each run and the wall seconds of
the second. Goal (issue 21): a meeting whose referat is stored and whose listing entry is unchanged
is not asked for. Before issue 21 the JSON site's second run asked for all six again.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.archive import Archive  # noqa: E402
from index.harvest import harvest  # noqa: E402
from tests.firstagenda_site import Site  # noqa: E402
from tests.firstagenda_web_site import DAGSORDEN, WebSite  # noqa: E402


def twice(site, home: Path, requests, name: str) -> None:
    site.requests.clear()
    harvest(Archive(home), site.url, municipality="bench", delay=0, enrich=False)
    print(f"{name}_first_run_meeting_requests={len(requests())}")
    site.requests.clear()
    start = time.perf_counter()
    report = harvest(Archive(home), site.url, municipality="bench", delay=0, enrich=False)
    print(f"{name}_second_run_s={time.perf_counter() - start:.2f}")
    print(f"{name}_second_run_meeting_requests={len(requests())} of {report.offered}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with Site() as site:
            site.etags = False
            twice(site, Path(tmp) / "json", site.meeting_downloads, "json_no_etag")
        with WebSite() as site:
            twice(site, Path(tmp) / "web", site.page_requests, "web_no_etag")
            page = site.pages[DAGSORDEN].decode("utf-8")  # its referat appears
            site.pages[DAGSORDEN] = page.replace(">Dagsorden 8. oktober", ">Referat 8. oktober").encode("utf-8")
            site.listing = site.listing.replace("<strong>Dagsorden</strong>", "<strong>Referat</strong>")
            twice(site, Path(tmp) / "web-referater", site.page_requests, "web_referater_no_etag")


if __name__ == "__main__":
    main()
