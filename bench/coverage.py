"""How much of each publication system Referat reads: structure against hand-written gold.

    python bench/coverage.py [--corpus ../shared/corpus/other-systems] [--errors]

Scores every document of `tests/fixtures/structure-other-systems.json` (the systems in
`../shared/corpus/other-systems`) and the bundled samples (Odense against
`tests/fixtures/structure.json`, Greve's FirstAgenda JSON against its own item list), per
system: punkter found (by number), titles right (whole title), decisions found (the reader's
decision starts with the gold's first line), case numbers right, meeting metadata right
(municipality, committee, date; a municipality the document does not say must be left for
ingest to ask), closed punkter closed, files that are part of an export named so by a folder
ingest, files refused on their own refused with a reason, and files skipped silently.
Prints `name=value` lines.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.ingest import discover  # noqa: E402
from nlp.errors import NotAReferatError  # noqa: E402
from nlp.model import Meeting  # noqa: E402
from nlp.readers import read_bytes, read_path  # noqa: E402
from nlp.readers.xmltools import child, children, parse_xml, text_of  # noqa: E402

GOLD = ROOT / "tests" / "fixtures" / "structure-other-systems.json"
ODENSE_GOLD = ROOT / "tests" / "fixtures" / "structure.json"
SAMPLE = ROOT / "data" / "sample"
ODENSE_DATES = {"000": "2024-11-12", "001": "2020-05-26", "002": "2025-05-06", "003": "2021-02-02", "004": "2025-11-25"}


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").strip())


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.errors: list[str] = []

    def add(self, name: str, ok: bool, why: str = "") -> None:
        self.counts[name][0] += int(ok)
        self.counts[name][1] += 1
        if not ok and why:
            self.errors.append(f"{name}: {why}")


def score_meeting(tally: Tally, meeting: Meeting, gold_meeting: dict, gold_punkter: list[dict], where: str) -> None:
    for key in ("municipality", "committee", "date"):
        want = gold_meeting.get(key) or ""
        got = getattr(meeting, key) or ""
        tally.add("meeting_right", _norm(got) == _norm(want), f"{where} {key}: {got!r} != {want!r}")
    by_number = {p.number: p for p in meeting.punkter}
    tally.add("no_extra_punkter", len(meeting.punkter) == len(gold_punkter), f"{where}: {len(meeting.punkter)} punkter")
    for g in gold_punkter:
        p = by_number.get(g["number"])
        tally.add("punkter_found", p is not None, f"{where} #{g['number']} missing")
        tally.add(
            "titles_right",
            p is not None and _norm(p.title) == _norm(g["title"]),
            f"{where} #{g['number']}: {p.title if p else None!r} != {g['title']!r}",
        )
        if g.get("closed"):
            tally.add("closed_right", p is not None and p.closed, f"{where} #{g['number']} not closed")
        elif p is not None and "closed" in g:
            tally.add("open_right", not p.closed, f"{where} #{g['number']} closed")
        if g.get("decision"):
            want = _norm(g["decision"].split("\n")[0])
            got = _norm(p.decision if p else "")
            tally.add("decisions_found", got.startswith(want), f"{where} #{g['number']}: {got[:60]!r} !~ {want!r}")
        if "case_number" in g and g["case_number"]:
            got = p.journal.raw if p is not None and p.journal else None
            tally.add("case_numbers_right", got == g["case_number"], f"{where} #{g['number']}: {got!r}")


def _read_document(corpus: Path, doc: dict) -> Meeting:
    path = corpus / doc["path"]
    if doc.get("extract") == "MeetingAgendaType/FullText":
        root = parse_xml(path.read_bytes())
        first = children(child(root, "MeetingAgendaTypes"), "MeetingAgendaType")[0]
        return read_bytes(text_of(first, "FullText").encode("utf-8"), source=f"{path.name}#FullText")
    return read_path(path)


def score_other_systems(corpus: Path, tallies: dict[str, Tally]) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    found = discover([corpus])
    skipped = {Path(p).resolve(): reason for p, reason in found.skipped}
    for doc in gold["documents"]:
        tally = tallies[doc["system"]]
        path = (corpus / doc["path"]).resolve()
        where = doc["path"]
        if doc.get("part_of"):
            tally.add("parts_named", doc["part_of"] in skipped.get(path, ""), f"{where}: {skipped.get(path)!r}")
        if doc.get("skipped"):
            try:
                read_path(path)
                tally.add("skipped_named", False, f"{where}: read as a meeting")
            except NotAReferatError as exc:
                tally.add("skipped_named", bool(str(exc)), "")
            continue
        if doc.get("alone") == "refused":
            try:
                read_path(path)
                tally.add("refused_with_reason", False, f"{where}: read as a meeting")
            except NotAReferatError as exc:
                tally.add("refused_with_reason", len(str(exc)) > len(str(path)) + 10, str(exc))
            continue
        try:
            meeting = _read_document(corpus, doc)
        except NotAReferatError as exc:
            tally.add("documents_read", False, str(exc)[:200])
            continue
        tally.add("documents_read", True)
        score_meeting(tally, meeting, doc["meeting"], doc["punkter"], where)
    every = sorted(p.resolve() for p in corpus.rglob("*") if p.is_file())
    named = {p.resolve() for p in found.files} | set(skipped)
    silent = [p for p in every if p not in named]
    tallies["all"].add("not_silently_skipped", not silent, f"silent: {silent[:3]}")
    tallies["all"].counts["silently_skipped_files"] = [len(silent), len(every)]


def score_samples(tallies: dict[str, Tally]) -> None:
    gold = json.loads(ODENSE_GOLD.read_text(encoding="utf-8"))
    for entry in gold["files"]:
        date = ODENSE_DATES[entry["file"][:3]]
        path = SAMPLE / "odense" / f"odense-beskaeftigelses-og-socialudvalget-{date}.txt"
        meeting = read_path(path)
        punkter = [
            {
                "number": p["number"],
                "title": p["title"],
                "decision": p["decision"],
                "closed": p["case_type"] == "Lukket",
            }  # noqa: E501
            for p in entry["punkter"]
        ]
        want = {"municipality": "Odense", "committee": entry["committee"], "date": entry["meeting_date"]}
        tallies["odense-text"].add("documents_read", True)
        score_meeting(tallies["odense-text"], meeting, want, punkter, path.name)
    for path in sorted((SAMPLE / "greve").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        meeting = read_path(path)
        punkter = [{"number": int(i["Punktnummer"]), "title": i["Navn"]} for i in raw["Dagsordenpunkter"]]
        tallies["greve-json"].add("documents_read", True)
        score_meeting(tallies["greve-json"], meeting, {"municipality": "Greve", "committee": meeting.committee,
                                                       "date": meeting.date}, punkter, path.name)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "other-systems")
    parser.add_argument("--errors", action="store_true", help="list what was wrong")
    args = parser.parse_args()
    tallies: dict[str, Tally] = defaultdict(Tally)
    if args.corpus.is_dir():
        score_other_systems(args.corpus, tallies)
    else:
        print(f"# {args.corpus} findes ikke; kun de medfølgende eksempler", file=sys.stderr)
    score_samples(tallies)
    total = Tally()
    for system in sorted(tallies):
        for name, (ok, n) in sorted(tallies[system].counts.items()):
            if name == "silently_skipped_files":
                print(f"coverage.{system}.{name}={ok}")
                continue
            print(f"coverage.{system}.{name}={ok / n:.3f}  # {ok}/{n}")
            total.counts[name][0] += ok
            total.counts[name][1] += n
        if args.errors:
            for line in tallies[system].errors:
                print(f"#   {system}: {line}", file=sys.stderr)
    for name, (ok, n) in sorted(total.counts.items()):
        print(f"coverage.total.{name}={ok / n:.3f}  # {ok}/{n}")


if __name__ == "__main__":
    main()
