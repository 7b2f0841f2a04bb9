"""Rebuild `common_words.txt.gz`: lower-case Danish words that are not names.

    python nlp/resources/wordlists/build_common_words.py

Source: spacy-lookups-data's Danish `lemma_lookup` table (MIT licence), whose keys are inflected
forms and whose values are lemmas. Kept: alphabetic words of 3+ letters; dropped: every form that is
a Danish first name or surname in `names.csv` (so `Arne`, `Lund`, `Bo` stay possible names) and the
place names of `gazetteers/`. `extra_common.txt` adds words the table lacks.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESOURCES = HERE.parent


def main() -> None:
    import json

    import spacy_lookups_data

    source = Path(spacy_lookups_data.__file__).parent / "data" / "da_lemma_lookup.json.gz"
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        table = json.load(fh)
    words = set(table) | set(table.values())
    with (RESOURCES / "names.csv").open(encoding="utf-8") as fh:
        names = {row["name"].lower() for row in csv.DictReader(fh)}
    places = set()
    for file in (RESOURCES / "gazetteers").glob("*.txt"):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                places |= {p.strip().lower() for p in line.split("|")}
    keep = sorted(w for w in words if w.isalpha() and w.islower() and len(w) >= 3 and w not in names | places)
    with gzip.open(HERE / "common_words.txt.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("\n".join(keep) + "\n")
    print(f"common_words={len(keep)}")


if __name__ == "__main__":
    main()
