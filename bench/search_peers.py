"""Peer baselines for search quality: plain BM25, plain e5 dense, and their reciprocal-rank fusion.

    nice -n 10 python bench/search_peers.py [--no-dense] [--no-distractors] [--expand] [-v]

What a careful engineer would build in an afternoon, measured on the same documents and judged
queries as `bench/search.py`, so that the real search has a floor to beat. Documents are read
straight from the files with `nlp.readers.read_path` (never through `index/`), so the figures do
not move when the index is rewritten.

- `bm25`: bm25s over each punkt's title + text, Danish Snowball stemmer (PyStemmer), a short stop
  list. With `--expand` also `bm25x`: the same, the query widened by `nlp.synonyms.expand` (each
  added word weighted `EXPANSION_WEIGHT`).
- `dense`: multilingual-e5-small (sentence-transformers), `query: `/`passage: ` prefixes, the
  passages of `nlp.passages.punkt_passages` (~110 words; all of them, or with
  `--distractor-dense-passages N` only the first N per distractor punkt by section priority, as
  the index caps them), a punkt scores its best passage.
  Passage vectors are cached in `--cache` (npy, keyed by a hash of model and text), so a second
  run encodes nothing.
- `rrf`: reciprocal-rank fusion of bm25 and dense, k=60.

Runs: the sample (`data/sample`) with `tests/fixtures/queries-dev.json`, then (unless
`--no-distractors`) the sample + `../shared/corpus/greve-firstagenda-more` with the same queries
(`distractors_` prefix) and the Greve queries `tests/fixtures/queries-greve-dev.json` (`greve_`).
Prints `<prefix>peer_<name>_ndcg_at_10=` overall and per type, plus recall_at_10 and mrr.
no_answer queries are left out of these figures: a peer has no way to say "nothing relevant".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.evaluation import score_ranking  # noqa: E402
from nlp.passages import punkt_passages  # noqa: E402
from nlp.readers import read_path  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
GREVE_MORE = ROOT.parent / "shared" / "corpus" / "greve-firstagenda-more"
GOLD_SAMPLE = ROOT / "tests" / "fixtures" / "queries-dev.json"
GOLD_GREVE = ROOT / "tests" / "fixtures" / "queries-greve-dev.json"
ODENSE_PREFIX = {
    "2024-11-12": "000",
    "2020-05-26": "001",
    "2025-05-06": "002",
    "2021-02-02": "003",
    "2025-11-25": "004",
}
RRF_K = 60
EXPANSION_WEIGHT = 0.3  # an added synonym counts this much of a typed word (0.5 measured worse)
DEPTH = 1000  # ranks kept per retriever before fusion
#: Passages embedded per punkt; 0 = all. The index caps at 12 (REFERAT_DENSE_PASSAGES), summary
#: sections first; measured here on the sample that cap costs dense 0.668 -> 0.521 nDCG@10.
DENSE_PASSAGES = 0
_SECTIONS_FIRST = [
    "Titel",
    "Resume",
    "Initiativretsforslag",
    "Indstilling",
    "Beslutning",
    "Indstilling fra forslagsstiller",
]
SECTION_PRIORITY = {
    name: i
    for i, name in enumerate([*_SECTIONS_FIRST, "Forvaltningens belysning", "Sagsfremstilling", "Effekt", "Økonomi"])
}
STOPWORDS = set(
    """og i at er det en den til på de som med for af har ikke der et fra kan om vil skal var
    blev også men så eller efter ved samt hvor denne dette disse jf kr mio the of and to in for on
    what how is are was were did do does a an by with about hvad hvem hvorfor hvornår hvordan
    mange meget""".split()
)
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class Doc:
    id: str
    title: str
    text: str
    passages: list[str] = field(default_factory=list)


def doc_id(path: Path, number: int) -> str:
    """`<file name>#<punkt number>`, the id of `queries-greve-dev.json` (sample files included)."""
    return f"{path.name}#{number}"


def sample_gold(queries: list[dict]) -> list[dict]:
    """`queries-dev.json` names Odense punkter `000#15` (file prefix); turn those into file-name ids."""
    files = {p.name[-14:-4]: p.name for p in (SAMPLE / "odense").glob("*.txt")}  # date -> file name
    by_prefix = {prefix: files[day] for day, prefix in ODENSE_PREFIX.items()}
    out = []
    for q in queries:
        rel = {f"{by_prefix[k.split('#')[0]]}#{k.split('#')[1]}": v for k, v in q["relevance"].items()}
        out.append({**q, "relevance": rel})
    return out


def load_docs(folders: list[Path], caps: list[int] | None = None) -> list[Doc]:
    """Every punkt of the folders; `caps[i]` > 0 keeps that many passages per punkt of folder i."""
    docs: list[Doc] = []
    for folder, cap in zip(folders, caps or [DENSE_PASSAGES] * len(folders)):
        for path in sorted(p for p in folder.rglob("*") if p.suffix in {".txt", ".json", ".md", ".pdf"}):
            if path.name in {"SOURCE", "SOURCE.txt"}:
                continue
            meeting = read_path(path)
            for punkt in meeting.punkter:
                text = "" if punkt.closed else punkt.text
                passages = punkt_passages(punkt)
                ranked = sorted(range(len(passages)), key=lambda i: (SECTION_PRIORITY.get(passages[i].section, 50), i))
                keep = sorted(ranked[:cap]) if cap > 0 else range(len(passages))
                passages = [passages[i].embed_text for i in keep]
                docs.append(Doc(doc_id(path, punkt.number), punkt.title, text, passages))
    return docs


# -- lexical ------------------------------------------------------------------------------------


class Lexical:
    def __init__(self, docs: list[Doc]) -> None:
        import bm25s
        import Stemmer

        self.stemmer = Stemmer.Stemmer("danish")
        corpus = [self.tokens(f"{d.title}\n{d.title}\n{d.text}") for d in docs]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)
        self.n = len(docs)

    def tokens(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS and (not w.isdigit() or len(w) == 4)]
        return self.stemmer.stemWords(words)

    def scores(self, query: str, expansions: dict[str, list[str]] | None = None) -> np.ndarray:
        weights: dict[str, float] = defaultdict(float)
        for tok in self.tokens(query):
            weights[tok] = 1.0
        for words in (expansions or {}).values():
            for tok in self.tokens(" ".join(words)):
                weights[tok] = max(weights[tok], EXPANSION_WEIGHT)
        total = np.zeros(self.n, dtype=np.float32)
        vocab = self.retriever.vocab_dict
        for tok, w in weights.items():
            if tok in vocab:
                total += w * self.retriever.get_scores([tok])
        return total


# -- dense --------------------------------------------------------------------------------------


class Dense:
    """e5 passages with a vector cache that survives runs (and serves the sample and big runs)."""

    def __init__(self, model_path: Path, cache_dir: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_path), device="cpu")
        self.model.max_seq_length = 256
        self.tag = hashlib.sha1(str(model_path.resolve()).encode()).hexdigest()[:8]
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.keys_path = cache_dir / f"keys-{self.tag}.json"
        self.vecs_path = cache_dir / f"vectors-{self.tag}.npy"
        self.keys: list[str] = json.loads(self.keys_path.read_text()) if self.keys_path.exists() else []
        self.vecs = np.load(self.vecs_path) if self.vecs_path.exists() else np.zeros((0, 384), np.float32)
        self.row = {k: i for i, k in enumerate(self.keys)}
        self.encode_s = 0.0
        self.encoded = 0

    def _save(self) -> None:
        np.save(self.vecs_path, self.vecs)
        self.keys_path.write_text(json.dumps(self.keys))

    def passage_vectors(self, texts: list[str]) -> np.ndarray:
        hashes = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = sorted({h: t for h, t in zip(hashes, texts) if h not in self.row}.items())
        t0 = time.time()
        for start in range(0, len(missing), 256):  # saved every 256: an interrupted run keeps its work
            part = missing[start : start + 256]
            vecs = self.model.encode(
                [f"passage: {t}" for _, t in part], batch_size=32, normalize_embeddings=True, convert_to_numpy=True
            ).astype(np.float32)
            for h, _ in part:
                self.row[h] = len(self.keys)
                self.keys.append(h)
            self.vecs = np.vstack([self.vecs, vecs])
            self._save()
            print(f"# encoded {start + len(part)}/{len(missing)} passages", file=sys.stderr, flush=True)
        self.encode_s += time.time() - t0
        self.encoded += len(missing)
        return self.vecs[[self.row[h] for h in hashes]]

    def query_vector(self, query: str) -> np.ndarray:
        return self.model.encode([f"query: {query}"], normalize_embeddings=True, convert_to_numpy=True)[0]


class DenseIndex:
    def __init__(self, dense: Dense, docs: list[Doc]) -> None:
        self.dense = dense
        owner: list[int] = []
        texts: list[str] = []
        for i, d in enumerate(docs):
            for p in d.passages:
                owner.append(i)
                texts.append(p)
        self.owner = np.array(owner)
        self.matrix = dense.passage_vectors(texts)
        self.n = len(docs)

    def scores(self, query: str) -> np.ndarray:
        sims = self.matrix @ self.dense.query_vector(query)
        best = np.full(self.n, -1.0, dtype=np.float32)
        np.maximum.at(best, self.owner, sims)
        return best


# -- ranking and metrics ------------------------------------------------------------------------


def ranking(scores: np.ndarray) -> list[int]:
    order = np.argsort(-scores, kind="stable")[:DEPTH]
    return [int(i) for i in order if scores[i] > -1.0 and (scores[i] != 0.0 or scores.max() <= 0)]


def rrf(*rankings: list[int]) -> list[int]:
    fused: dict[int, float] = defaultdict(float)
    for ranks in rankings:
        for r, i in enumerate(ranks):
            fused[i] += 1.0 / (RRF_K + r + 1)
    return sorted(fused, key=lambda i: -fused[i])


def evaluate(
    docs: list[Doc], queries: list[dict], lexical: Lexical, dense: DenseIndex | None, expand, prefix: str, verbose: bool
) -> None:
    per: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    ids = [d.id for d in docs]
    for q in queries:
        if not q["relevance"]:
            continue
        runs: dict[str, list[int]] = {"bm25": ranking(lexical.scores(q["query"]))}
        if expand is not None:
            expansions = {w: expand(w) for w in _TOKEN.findall(q["query"].lower())}
            runs["bm25x"] = ranking(lexical.scores(q["query"], {w: e for w, e in expansions.items() if e}))
        if dense is not None:
            runs["dense"] = ranking(dense.scores(q["query"]))
            runs["rrf"] = rrf(runs["bm25"], runs["dense"])
            if "bm25x" in runs:
                runs["rrfx"] = rrf(runs["bm25x"], runs["dense"])
        for name, ranks in runs.items():
            s = score_ranking([ids[i] for i in ranks], q["relevance"])
            s["qid"], s["top"] = q["qid"], [ids[i][-14:] for i in ranks[:3]]
            per[name][q["type"]].append(s)
    for name, by_type in per.items():
        rows = [s for r in by_type.values() for s in r]
        for m in ("ndcg_at_10", "recall_at_10", "mrr"):
            print(f"{prefix}peer_{name}_{m}={statistics.mean(s[m] for s in rows):.4f}")
        for kind, r in sorted(by_type.items()):
            print(f"{prefix}peer_{name}_ndcg_at_10_{kind}={statistics.mean(s['ndcg_at_10'] for s in r):.4f}")
            if verbose:
                for s in r:
                    print(f"#   {prefix}{name} {s['qid']} ndcg10={s['ndcg_at_10']:.3f} top={s['top']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-dense", action="store_true", help="BM25 only (no model, seconds)")
    ap.add_argument("--no-distractors", action="store_true", help="the sample only")
    ap.add_argument("--expand", action="store_true", help="also BM25 with nlp.synonyms query expansion")
    ap.add_argument("--distractors", type=Path, default=GREVE_MORE)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "multilingual-e5-small")
    ap.add_argument(
        "--distractor-dense-passages",
        type=int,
        default=DENSE_PASSAGES,
        help="passages embedded per Greve punkt in the big run; 0 = all (~40k), 2 = title + summary (~6k)",
    )
    ap.add_argument("--cache", type=Path, default=Path("/tmp/referat-peers-cache"))
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()

    expand = None
    if args.expand:
        from nlp.synonyms import expand
    dense = None if args.no_dense else Dense(args.model, args.cache)
    sample_queries = sample_gold(json.loads(GOLD_SAMPLE.read_text(encoding="utf-8"))["queries"])

    runs = [("", [SAMPLE], [DENSE_PASSAGES], [("", sample_queries)])]
    if not args.no_distractors:
        greve_queries = json.loads(GOLD_GREVE.read_text(encoding="utf-8"))["queries"]
        big = [("distractors_", sample_queries), ("greve_", greve_queries)]
        caps = [DENSE_PASSAGES, args.distractor_dense_passages]
        runs.append(("distractors_", [SAMPLE, args.distractors], caps, big))
    for label, folders, caps, query_sets in runs:
        t0 = time.time()
        docs = load_docs(folders, caps)
        lexical = Lexical(docs)
        print(f"{label}peer_punkter={len(docs)}")
        print(f"{label}peer_dense_passages={sum(len(d.passages) for d in docs)}")
        print(f"{label}peer_dense_passages_per_distractor_punkt={caps[-1] if len(caps) > 1 else 0}")
        dense_index = DenseIndex(dense, docs) if dense else None
        print(f"{label}peer_build_s={time.time() - t0:.1f}")
        for prefix, queries in query_sets:
            evaluate(docs, queries, lexical, dense_index, expand, prefix, args.verbose)
    if dense:
        print(f"peer_dense_passages_encoded={dense.encoded}")
        print(f"peer_dense_encode_s={dense.encode_s:.1f}")


if __name__ == "__main__":
    main()
