"""Evidence per candidate punkt, and the fitted model that turns it into a score and a verdict.

A query's candidates (the best punkter of BM25 and of the dense index) are described by a few
features that mean the same thing in every query, so that one linear model ranks them all:
- `lex`: BM25 divided by the query's best BM25 (how this punkt compares on the words);
- `cover`: the share of the query's information (IDF-weighted words, a typo's corrections and a
  compound's parts counting for the word) the punkt contains at all; `cover_whole`: the same, with
  each word itself (not its parts: `fugleinfluenza` is not covered by `fugl` and `influenza`);
- `cos1`, `cos2`, `cos3`: the cosines of the punkt's three best passages (e5 cosines are
  comparable across queries; several agreeing passages mean the punkt is about it, one alone is
  often a passing mention); `cos_title`, `cos_lead`: of its title and its first passage of text;

English queries get their own lexical weights (English words in Danish text are mostly noise).
The model (`models/ranker/ranker.json`, fitted by `bench/fit_ranker.py` on the development
queries with and without distractors) also holds the calibrated "nothing relevant" decision: a
logistic model over the query's best evidence, fitted on answerable and no-answer queries, and
the per-hit relevance decision: a logistic model over a candidate's evidence, its score against the
query's best and its rank (`HIT_FEATURES`), with a threshold chosen by cross-validation, so that a
result's `total`, facets, feeds and saved searches count only the punkter that belong to the answer.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.lexical import QueryWord, Vocabulary, best_cover, is_postgres
from index.store import in_list
from nlp.e5 import MODEL_NAME, base_model_name, models_dir
from nlp.errors import IndexMismatchError


def model_path() -> Path:
    """The fitted ranker: `ranker/ranker.json` in the models folder (`$REFERAT_MODELS` or `models/`)."""
    return models_dir() / "ranker" / "ranker.json"


#: Posting-list entries per candidate above which a word's containment is read from the candidates'
#: own terms instead of FTS5 (a posting costs ~50 ns to scan, a candidate's term list ~1,000 tokens).
COMMON_POSTINGS = 200
_FTS_TOKEN = re.compile(r"[^\W_]+")

FEATURES = ("lex", "cover", "cover_whole", "cos1", "cos2", "cos3", "cos_title", "cos_lead")
#: Query-level evidence for the "nothing relevant" decision.
QUERY_FEATURES = (
    "top_cos",
    "top_score",
    "top_cover",
    "top_cover_whole",
    "passage_cover",
    "unknown_share",
    "english",
)
#: Per-hit evidence for "this punkt belongs to the answer": the candidate's own features, where it
#: stands against the query's best (a score is comparable across queries, the gap says more within
#: one), and how sure the query is that anything is relevant at all.
HIT_FEATURES = (
    "score",
    "gap",
    "gap_spread",
    "log_rank",
    "lex",
    "cover",
    "cover_whole",
    "cos1",
    "cos2",
    "cos_title",
    "no_answer",
    "english",
)


@dataclass
class Evidence:
    """What one query found: its candidates, their features and each one's passages."""

    candidates: list[int]
    features: np.ndarray  # (len(candidates), len(FEATURES))
    passages: dict[int, list]  # punkt -> [(cosine, passage id)], best first
    words: list[QueryWord]
    english: bool
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    passage_cover: float = 0.0  # see `passage_cover`

    def column(self, name: str) -> np.ndarray:
        return self.features[:, FEATURES.index(name)]


def word_weights(words: list[QueryWord], n_punkter: int) -> np.ndarray:
    """IDF of each query word; an unknown word weighs as much as the rarest possible one."""
    n = max(n_punkter, 1)
    return np.array([math.log(1 + n / max(w.df, 1)) for w in words], dtype=np.float64)


def coverage(
    db: sqlite3.Connection,
    candidates: list[int],
    words: list[QueryWord],
    n_punkter: int,
    vocabulary: Vocabulary | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """IDF-weighted share of the query's words each candidate contains: by any of a word's terms,
    and by the word itself.

    Which candidates hold a term is asked of FTS5 (its posting list, filtered by the candidates), or,
    for a term so common that its posting list is far longer than the candidates' own terms (a term
    most punkter hold: ~5 ms a word at 100,000 punkter, growing with the archive), read from those
    terms (`vocabulary` gives the document frequencies; the same answer either way)."""
    lenient = np.zeros(len(candidates), dtype=np.float64)
    whole = np.zeros(len(candidates), dtype=np.float64)
    if not words or not candidates:
        return lenient, whole
    weights = word_weights(words, n_punkter)
    position = {pid: i for i, pid in enumerate(candidates)}
    marks = in_list(candidates)
    held: dict[int, frozenset[str]] = {}  # candidate -> its terms, read once when a common term asks
    postgres = is_postgres(db)
    df = vocabulary.df if vocabulary is not None else None

    if postgres:  # a PostgreSQL store (index.pgsql): terms as rows, every word's asked at once
        from index import pgsql

        asked = {t for w in words if w.status != "unknown" for t in (*w.terms, *w.whole) if t.isalnum()}
        holders = pgsql.holders(db, sorted(asked), candidates)

    def containing(terms) -> list[int]:
        usable = [t for t in terms if t.isalnum()]
        if postgres:
            return sorted({position[p] for t in usable for p in holders.get(t, ())})
        if not usable:
            return []
        postings = sum(df.get(t, 0) for t in usable) if df is not None else 0
        if postings > COMMON_POSTINGS * len(candidates):
            if not held:  # tokens as FTS5's unicode61 makes them: letters and digits
                for pid, text in db.execute(f"SELECT rowid, terms FROM punkt_terms WHERE rowid IN ({marks})"):
                    held[pid] = frozenset(_FTS_TOKEN.findall(text))
            return [position[p] for p in candidates if p in held and not held[p].isdisjoint(usable)]
        match = " OR ".join(f'"{t}"' for t in usable)
        # `+rowid`: filter the matches by the list; a bare `rowid IN` makes FTS5 run one query per id (30x slower).
        sql = f"SELECT rowid FROM punkt_terms WHERE punkt_terms MATCH ? AND +rowid IN ({marks})"
        return [position[r[0]] for r in db.execute(sql, (match,))]

    for weight, word in zip(weights, words, strict=True):
        if word.status == "unknown":
            continue
        lenient[containing(word.terms)] += weight
        if word.whole:
            whole[containing(word.whole)] += weight
    return lenient / weights.sum(), whole / weights.sum()


def passage_cover(db: sqlite3.Connection, top: list[int], words: list[QueryWord], n_punkter: int) -> float:
    """The largest IDF-weighted share of the query's words (each itself, not its compound parts) that
    one passage of the top punkter holds.

    A long punkt holds most common words somewhere; a passage that holds all of them is about
    them. Among look-alikes this tells "nothing on this" apart better than the punkt's coverage.
    """
    if not top or not words:
        return 0.0
    weights = word_weights(words, n_punkter)
    texts = [text for (text,) in db.execute(f"SELECT text FROM passages WHERE punkt IN ({in_list(top)})")]
    # Each word as itself or as a compound's head; one call, so the walk does not return per passage.
    return best_cover(texts, [word.whole for word in words], weights) / weights.sum()


def lead_cosines(passages: dict[int, list]) -> tuple[dict[int, float], dict[int, float]]:
    """Cosines of each punkt's title passage and of its first passage of text (its summary).

    A punkt's passages are written in order, title first (`index.writer`), and passage ids are
    never reused, so the smallest id is the title and the next one the lead: no lookup needed.
    """
    title_cos: dict[int, float] = {}
    lead_cos: dict[int, float] = {}
    for punkt, rows in passages.items():
        if not rows:
            continue
        by_id = sorted(rows, key=lambda r: r[1])
        title_cos[punkt] = by_id[0][0]
        if len(by_id) > 1:
            lead_cos[punkt] = by_id[1][0]
    return title_cos, lead_cos


def features(
    db: sqlite3.Connection,
    candidates: list[int],
    lex: dict[int, float],
    passages: dict[int, list],
    fallback_cos: dict[int, float],
    words: list[QueryWord],
    n_punkter: int,
    vocabulary: Vocabulary | None = None,
) -> np.ndarray:
    """The FEATURES matrix of the candidates (rows in candidate order)."""
    lex_max = max(lex.values()) if lex else 0.0
    titles, leads = lead_cosines(passages)
    rows = []
    for pid in candidates:
        cosines = [c for c, _ in passages.get(pid, [])] or [fallback_cos.get(pid, 0.0)]
        best = cosines[0]
        second = cosines[1] if len(cosines) > 1 else best
        third = cosines[2] if len(cosines) > 2 else second
        rows.append(
            (
                lex.get(pid, 0.0) / lex_max if lex_max > 0 else 0.0,
                0.0,
                0.0,
                best,
                second,
                third,
                titles.get(pid, best),
                leads.get(pid, best),
            )
        )
    matrix = np.array(rows, dtype=np.float64).reshape(len(candidates), len(FEATURES))
    if len(candidates):
        lenient, whole = coverage(db, candidates, words, n_punkter, vocabulary)
        matrix[:, FEATURES.index("cover")] = lenient
        matrix[:, FEATURES.index("cover_whole")] = whole
    return matrix


def unknown_share(words: list[QueryWord]) -> float:
    """Share of the query's words the archive does not hold as such (unknown, or only their parts)."""
    return sum(1 for w in words if w.status in ("unknown", "parts")) / max(len(words), 1)


def query_features(features: np.ndarray, scores: np.ndarray, held: float, unknown: float, english: bool) -> np.ndarray:
    """The QUERY_FEATURES vector: the best evidence among the top ten, and how known the words are
    (for a Danish query only: the words of an English one are unknown to a Danish archive anyway)."""
    unknown = 0.0 if english else unknown
    if not len(features):
        return np.array([0.0, 0.0, 0.0, 0.0, 0.0, unknown, float(english)])
    top = np.argsort(-scores, kind="stable")[:10]
    column = lambda name: features[top, FEATURES.index(name)]  # noqa: E731
    return np.array(
        [
            float(features[:, FEATURES.index("cos1")].max()),
            float(scores[top[0]]),
            float(column("cover").max()),
            float(column("cover_whole").max()),
            held,
            unknown,
            float(english),
        ]
    )


def hit_features(features: np.ndarray, scores: np.ndarray, no_answer_logit: float, english: bool) -> np.ndarray:
    """The HIT_FEATURES matrix (rows in candidate order) from the ranking features and scores."""
    n = len(scores)
    if not n:
        return np.zeros((0, len(HIT_FEATURES)))
    order = np.argsort(-scores, kind="stable")
    rank = np.empty(n)
    rank[order] = np.arange(n)
    best = float(scores[order[0]])
    spread = best - float(scores[order[min(9, n - 1)]])
    column = lambda name: features[:, FEATURES.index(name)]  # noqa: E731
    return np.stack(
        [
            scores,
            scores - best,
            (scores - best) / (spread + 1e-6),
            np.log1p(rank),
            column("lex"),
            column("cover"),
            column("cover_whole"),
            column("cos1"),
            column("cos2"),
            column("cos_title"),
            np.full(n, no_answer_logit),
            np.full(n, float(english)),
        ],
        axis=1,
    )


#: How per-hit probabilities become the answer, over hits in ranked order: `run` (the hits from the top
#: down to the first one below the threshold) or `count` (as many of the top hits as there are hits
#: above it). Both keep the answer the top of the ranking, so that the `total` relevant hits are the
#: first `total` of the list, page after page. (`members` also knows `each`, every hit above the
#: threshold wherever it ranks, for comparison in bench/fit_ranker.py.)
RULES = ("run", "count")


def members(ranked: np.ndarray, threshold: float, rule: str) -> np.ndarray:
    """Which of the ranked hits (their P(relevant), best first) belong to the answer."""
    above = ranked > threshold
    if rule == "each":
        return above
    k = int(above.sum()) if rule == "count" else int(np.argmin(above)) if not above.all() else len(above)
    out = np.zeros(len(ranked), dtype=bool)
    out[:k] = True
    return out


@dataclass(frozen=True)
class Ranker:
    """A linear model over FEATURES (one weight vector per language) and the no-answer logistic model."""

    weights: dict[str, list[float]]  # "da" / "en" -> one weight per feature, then the bias
    no_answer: list[float]  # one weight per query feature, then the bias
    threshold: float  # P(nothing relevant) above which a result is flagged
    hit: list[float] = field(default_factory=list)  # one weight per hit feature, then the bias
    hit_threshold: float = 0.5  # P(relevant) above which a hit belongs to the answer
    hit_rule: str = "run"  # one of RULES
    encoder: str = MODEL_NAME  # the model whose cosines the weights were fitted on

    def check_encoder(self, model: str | None) -> None:
        """Refuse an archive whose vectors come from another model than the ranker was fitted on:
        its cosines mean something else, and the weights would rank silently worse."""
        if model and base_model_name(model) != self.encoder:
            raise IndexMismatchError(
                f"rangeringsmodellen (models/ranker) er tilpasset encoderen '{self.encoder}', men arkivets "
                f"vektorer er lavet med '{model}'; tilpas den med 'python bench/fit_ranker.py --write'"
            )

    def score(self, evidence: Evidence) -> np.ndarray:
        w = np.asarray(self.weights["en" if evidence.english else "da"], dtype=np.float64)
        return evidence.features @ w[:-1] + w[-1]

    def nothing_relevant(self, evidence: Evidence) -> tuple[bool, float]:
        """Whether the archive probably holds nothing on the query, and the probability of that."""
        w = np.asarray(self.no_answer, dtype=np.float64)
        x = query_features(
            evidence.features, evidence.scores, evidence.passage_cover, unknown_share(evidence.words), evidence.english
        )
        z = float(x @ w[:-1] + w[-1])
        p = 1.0 / (1.0 + math.exp(-z))
        return p > self.threshold, p

    def relevance(self, evidence: Evidence, no_answer_p: float) -> np.ndarray:
        """P(relevant) of every candidate (candidate order), given the query's P(nothing relevant)."""
        p = min(max(no_answer_p, 1e-9), 1 - 1e-9)
        x = hit_features(evidence.features, evidence.scores, math.log(p / (1 - p)), evidence.english)
        w = np.asarray(self.hit, dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-(x @ w[:-1] + w[-1]))) if len(x) else np.zeros(0)

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "query_features": list(QUERY_FEATURES),
            "weights": self.weights,
            "no_answer": self.no_answer,
            "threshold": self.threshold,
            "hit_features": list(HIT_FEATURES),
            "hit": self.hit,
            "hit_threshold": self.hit_threshold,
            "hit_rule": self.hit_rule,
            "encoder": self.encoder,
        }


@lru_cache(maxsize=4)
def load(path: Path | None = None) -> Ranker:
    path = path or model_path()
    data = json.loads(path.read_text(encoding="utf-8"))
    if (
        tuple(data["features"]) != FEATURES
        or tuple(data["query_features"]) != QUERY_FEATURES
        or tuple(data.get("hit_features", ())) != HIT_FEATURES
        or len(data.get("hit", ())) != len(HIT_FEATURES) + 1
        or data.get("hit_rule") not in RULES
    ):
        raise ValueError(f"{path}: fitted for other features; run bench/fit_ranker.py --write")
    if not data.get("encoder"):
        raise ValueError(f"{path}: names no encoder; run bench/fit_ranker.py --write")
    return Ranker(
        data["weights"],
        data["no_answer"],
        data["threshold"],
        data["hit"],
        data["hit_threshold"],
        data["hit_rule"],
        data["encoder"],
    )
