"""Derive the bundled synonym list `nlp/resources/synonyms-da.tsv` from Debian's `mythes-da`.

    apt-get install mythes-da
    python bench/derive_synonyms.py [--thesaurus /usr/share/mythes/th_da_DK.dat] [--min-df 3] [--max-df 0.05]

The thesaurus (LibreOffice's Danish thesaurus by Foreningen for frit tilgængelige sprogværktøjer,
LGPL-2.1 / GPL-2 / MPL-1.1) lists loose meaning groups; used whole for query expansion it adds
more noise than recall. Kept here, for precision:
- plain synonym groups only (no "(underbegreb)"/"(overbegreb)" lines, no phrases, no affixes);
- a pair only when each word lists the other (mutual), both single lower-case words of 4+ letters,
  neither a stop word;
- the added word must be used in municipal text: it occurs in at least `--min-df` punkter of the
  sample + Greve corpus and in at most `--max-df` of them (very common words add only noise);
- the expanded word itself occurs in at least `--head-min-df` punkter (a word the archive uses);
- at most `--per-word` synonyms per word, the most used first.
Prints `name=value` figures and writes the TSV (word TAB synonym,synonym...).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.readers import read_path  # noqa: E402

OUT = ROOT / "nlp" / "resources" / "synonyms-da.tsv"
CORPORA = [ROOT / "data" / "sample", ROOT.parent / "shared" / "corpus" / "greve-firstagenda-more"]
_WORD = re.compile(r"^[a-zæøå]{4,}$")
STOP = set(
    """alle andre anden andet blev bliver blive både dette disse efter eller enhver flere fleste foran
    fordi forrige fået godt have havde hele hendes hvad hvem hvilke hvis hvor hvordan igen ikke ingen
    jeres kunne lige lidt man mange meget mellem men mere mest mine mod måske noget nogle når også
    over sådan selv sidste siden skal skulle stadig store større under uden vores være været""".split()
)


def read_thesaurus(path: Path) -> dict[str, set[str]]:
    """Head word -> words in its plain synonym groups (single words only)."""
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    groups: dict[str, set[str]] = defaultdict(set)
    i = 1  # first line names the encoding
    while i < len(lines):
        head, _, count = lines[i].rpartition("|")
        i += 1
        n = int(count) if count.isdigit() else 0
        for line in lines[i : i + n]:
            if "(" in line:  # "(underbegreb)", "(overbegreb)", "(generelt begreb)": not synonyms
                continue
            for word in line.split("|")[1:]:
                word = word.strip()
                if word and word != head:
                    groups[head.strip()].add(word)
        i += n
    return groups


def document_frequency(folders: list[Path]) -> tuple[Counter[str], int]:
    df: Counter[str] = Counter()
    n = 0
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.suffix in {".txt", ".json"}):
            if path.name.startswith("SOURCE"):
                continue
            for punkt in read_path(path).punkter:
                n += 1
                df.update(set(re.findall(r"[a-zæøå]+", f"{punkt.title} {punkt.text}".lower())))
    return df, n


def derive(
    groups: dict[str, set[str]],
    df: Counter[str],
    n: int,
    min_df: int,
    max_df: float,
    per_word: int,
    head_min_df: int = 1,
) -> dict[str, list[str]]:
    def usable(w: str) -> bool:
        return bool(_WORD.match(w)) and w not in STOP

    table: dict[str, list[str]] = {}
    for head, words in groups.items():
        if not usable(head) or df[head] < head_min_df:
            continue
        keep = [
            w
            for w in words
            if usable(w) and head in groups.get(w, ()) and min_df <= df[w] <= max_df * n and df[head] <= max_df * n
        ]
        if keep:
            table[head] = sorted(keep, key=lambda w: (-df[w], w))[:per_word]
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--thesaurus", type=Path, default=Path("/usr/share/mythes/th_da_DK.dat"))
    ap.add_argument("--min-df", type=int, default=3)
    ap.add_argument("--max-df", type=float, default=0.05)
    ap.add_argument("--per-word", type=int, default=2)
    ap.add_argument("--head-min-df", type=int, default=1, help="the expanded word itself occurs in this many punkter")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    groups = read_thesaurus(args.thesaurus)
    df, n = document_frequency(CORPORA)
    table = derive(groups, df, n, args.min_df, args.max_df, args.per_word, args.head_min_df)
    print(f"thesaurus_heads={len(groups)}")
    print(f"corpus_punkter={n}")
    print(f"synonym_words={len(table)}")
    print(f"synonym_pairs={sum(len(v) for v in table.values())}")
    header = (
        "# Danish synonyms for query expansion, derived by bench/derive_synonyms.py from LibreOffice's Danish\n"
        "# thesaurus (Debian mythes-da; Foreningen for frit tilgængelige sprogværktøjer; LGPL-2.1 or GPL-2 or\n"
        "# MPL-1.1, used here under MPL-1.1). Word TAB synonyms (comma-separated), mutual pairs only, filtered by\n"
        f"# use in municipal text (min_df={args.min_df}, max_df={args.max_df}, per_word={args.per_word}, "
        f"head_min_df={args.head_min_df}).\n"
    )
    body = "".join(f"{w}\t{','.join(s)}\n" for w, s in sorted(table.items()))
    args.out.write_text(header + body, encoding="utf-8")
    print(f"written={args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
