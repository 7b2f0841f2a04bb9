"""Tuned constants and environment overrides, in one place.

Every number that was chosen by measurement (a threshold, a weight, a budget) lives here with a
line saying why, so that a newcomer finds them together and a deployment can override them by
environment variable (`REFERAT_<FIELD>` in upper case) without touching code. Modules read
`settings.<field>`; tests may build their own `Settings(...)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from nlp.errors import ReferatError


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Settings:
    # -- ingest ---------------------------------------------------------------------------------
    #: Seconds one file may take (read, enrich, embed) before it is reported as failed.
    file_time_limit_s: float = 300.0
    #: A section longer than this (characters) is cut, with a warning and a note in the text: a
    #: real section is a few pages; a larger one is a conversion accident and slows every stage.
    max_section_chars: int = 200_000
    #: A punkt's sections together stop here: spaCy refuses a text over 1,000,000 characters.
    max_punkt_chars: int = 800_000
    #: The deepest JSON nesting a reader accepts; FirstAgenda needs 6, Python's parser dies near 1,000.
    max_json_depth: int = 64
    #: Threads for the encoder and FAISS builds: the machine's cores, never one core of two.
    threads: int = field(default_factory=_cpu_count)
    #: Encoder runtime: auto (ONNX int8 on a CPU, about 3x sentence-transformers; torch on a GPU), onnx, torch.
    encoder: str = "auto"
    #: Encoder device: auto (a CUDA GPU when torch sees one), cpu, cuda.
    device: str = "auto"
    #: e5 reads at most 512 tokens; longer texts (queries included) are truncated, never refused.
    max_tokens: int = 512
    #: Padded tokens per encoder batch: length-sorted batches of this size keep the cores busy and padding low.
    encode_batch_tokens: int = 8192

    # -- passages -------------------------------------------------------------------------------
    #: A passage is a few sentences: long enough to carry a topic, short enough for e5's window.
    passage_max_words: int = 110
    passage_min_words: int = 25

    # -- vector index ---------------------------------------------------------------------------
    #: Above this many vectors the base segment is an inverted-file index (IVF: builds in minutes on
    #: two cores at a million vectors, where an HNSW graph takes far longer), below it exact search.
    ann_threshold: int = 100_000
    #: Share of the IVF lists probed per query: recall@10 >= 0.95 of exact at 1M (bench/scale.py).
    ivf_probe_share: float = 0.02
    #: A filter that leaves at most this many passages is searched exactly over the subset.
    exact_subset_limit: int = 60_000
    #: The delta segment (vectors added since the base was built) is merged into a new base
    #: when it grows past this share of the base (Lucene's segment merge, in one step).
    merge_ratio: float = 0.25
    #: ... but not for fewer changes than this: a small archive is not rebuilt on every meeting.
    merge_min_changes: int = 1000
    #: Threads per query when serving: many small queries, one thread each.
    serve_threads: int = 1
    #: Requests one server process computes at once; the rest wait their turn. Over the embedded
    #: store a search is CPU work under one GIL: 20 at once each took three times the CPU of one at
    #: a time (bench/api_load.py, 20 clients: 39 -> 144 requests/s, p95 914 -> 183 ms). More cores:
    #: `referat serve --workers N`.
    serve_concurrency: int = 1
    #: The same over a PostgreSQL store, where a request also waits on the server's answer: a few at
    #: once keep the CPU busy (20 clients, 1 / 3 / 40 at once: 32 / 53 / 42 requests/s).
    serve_concurrency_postgres: int = 3
    #: Seconds a write waits for another process's SQLite lock (sqlite3, Datasette) before it
    #: gives up with "arkivet er låst"; Referat's own writers are serialised by the ingest lock.
    db_busy_timeout_s: float = 30.0

    # -- search ---------------------------------------------------------------------------------
    #: Where search reads: "" the SQLite store and FAISS generations of the home (the default), or a
    #: PostgreSQL store published with `referat db publish` ("postgresql://h1,h2/referat?...").
    store: str = ""
    #: Memory for building the HNSW graph on a publish (`maintenance_work_mem`). The graph is ~2 KB a
    #: passage (384 floats and the neighbour lists); once it no longer fits, pgvector builds it on
    #: disk, many times slower (1,000,000 passages at 1 GB: 671,000 in the graph after 18 min).
    pg_build_memory: str = "4GB"
    #: A publish that changes more than this share of the punkter there analyses the tables itself;
    #: a smaller one (a meeting, among thousands) leaves that to autovacuum, whose own threshold
    #: this is (`autovacuum_analyze_scale_factor`): at 200,000 passages the explicit VACUUM ANALYZE
    #: was 0.73 of the 1.69 s a 15-punkt meeting took to publish.
    pg_analyze_share: float = 0.1
    #: The share of this machine's memory a local PostgreSQL server (`referat db init`) takes for its
    #: page cache (`shared_buffers`; PostgreSQL's own advice is a quarter). At its default of 128 MB
    #: every HNSW search at 1,000,000 passages read the graph's pages through the OS, page by page:
    #: p50 134-150 ms, p95 431-491 ms unfiltered, against 72-76 / 234-251 ms at 4 GB (one run, A/B).
    pg_shared_buffers_share: float = 0.25
    max_query_chars: int = 500
    #: A query is a question, not a document: more words than this are refused (each NFKC-expanded
    #: word becomes several encoder tokens; 60 x U+FDFA once crashed the encoder).
    max_query_words: int = 64
    max_limit: int = 100
    #: Passages fetched from FAISS per query (before aggregation per punkt).
    dense_k: int = 600
    #: Punkter from each side (lexical, dense) whose passages are all scored exactly: the candidates.
    candidates_per_side: int = 100
    #: e5-small cosines are compressed: unrelated text ~0.75-0.78, on topic ~0.86+. A fixed scale keeps
    #: the dense evidence comparable across queries (snippets; a result needs a cosine above the floor
    #: or a lexical match to be listed at all). Refit the ranker when these change.
    cos_floor: float = 0.78
    cos_ceil: float = 0.86
    #: Soft preferences read from the query (a period, a committee or municipality, a decision) raise a
    #: punkt by this share of the spread of the query's top ten scores: a nudge among near-equals, never a
    #: filter (bench/search.py measures them on and off).
    preference_share: float = 0.25
    decision_share: float = 0.12
    #: A named municipality whose best punkt falls this share of the top-ten spread below the best: flagged.
    named_margin: float = 0.5
    #: Facets are links that filter: an entity offered there must be right. Shown entities below this
    #: confidence in the sample are nearly all wrong ("A Flere", "Elisabet", "Karnov Kommune", "Fx",
    #: "VSU Assers"); every person and organisation at or above it is a real name. Such an entity stays
    #: on its punkt's page (`entities`), it is only not offered as a filter.
    facet_min_confidence: float = 0.8

    # -- query understanding and expansion (nlp/query_understanding.py, nlp/synonyms.py) ---------
    #: A year that names a case ("budget 2024", "byggesagsgebyrer 2025") prefers meetings from this
    #: many months before that year on: in Greve such cases are decided from mid-year before.
    subject_year_lookback_months: int = 6
    #: Expansion adds the stems of a known word's synonyms to its lexical terms. Off by default: under
    #: the fitted ranker it lowered cross-validated nDCG@10 from 0.731 to 0.724 and did not lift
    #: paraphrases (bench/fit_ranker.py with REFERAT_QUERY_EXPANSION=true).
    query_expansion: bool = False
    #: A query is read as English when the detector gives English at least this confidence (of da/en).
    english_confidence: float = 0.5
    #: An English query's words are looked up in the bundled English -> Danish glossary and found by
    #: their Danish words (nlp/glossary.py).
    translate_english: bool = True
    #: A Danish query's everyday words also find the words minutes use for them ("gadelys" ->
    #: vejbelysning), from the bundled list `nlp/resources/paraphrases-da.tsv` (nlp/glossary.py).
    official_words: bool = True

    # -- harvest (FirstAgenda sites) -------------------------------------------------------------
    #: Seconds between requests: one meeting a second keeps a municipality's site unbothered.
    harvest_delay_s: float = 1.0
    #: Retries on 429/5xx/connection errors, waiting harvest_backoff_s * 2**attempt (or Retry-After).
    harvest_retries: int = 5
    harvest_backoff_s: float = 2.0
    #: A Retry-After up to this is waited out (and said in a log line); a longer one ends the run with
    #: a message rather than asking again early (impolite) or waiting for hours (stuck). Caps back-off too.
    harvest_max_retry_after_s: float = 120.0
    #: The most bytes one response may have, decompressed: Greve's largest meeting is 0.6 MB; past 20 MB
    #: it is no meeting, and reading on (an endless body, a gzip bomb) would only fill the memory.
    harvest_max_response_bytes: int = 20_000_000
    #: Seconds one request may take in all (connect, headers, body): a 0.6 MB meeting takes well under a
    #: second; a per-read timeout alone lets a site sending a byte every few seconds hold a run forever.
    harvest_request_deadline_s: float = 60.0
    #: Seconds one harvest run may fetch: Greve's ~400 meetings at one a second take ~10 minutes; past
    #: this the run stops, ingests what it has, and the next run resumes where it stopped.
    harvest_run_deadline_s: float = 3600.0
    harvest_user_agent: str = "Referat/0.1 (+https://github.com/referat-dk/referat; kommunale referater)"

    # -- serving ---------------------------------------------------------------------------------
    #: Addresses of reverse proxies whose X-Forwarded-* headers are believed (uvicorn's
    #: `forwarded_allow_ips`, comma-separated, `*` for any). Empty: no forwarded header is trusted,
    #: and links carry the address and port the server was reached at.
    trusted_proxies: str = ""

    # -- tags (entities, amounts) -----------------------------------------------------------------
    #: Entities below this confidence are kept as candidates, not shown: chosen for precision >= 0.90
    #: on the hand-annotated minutes (tests/fixtures/minutes-gold, development half; bench/ner.py
    #: --minutes --sweep: 0.5 -> P 0.906 R 0.773, 0.6 -> P 0.921 R 0.773, 0.8 -> P 0.933 R 0.747).
    entity_min_confidence: float = 0.6
    #: Amounts below this confidence are candidates (a count whose noun may not be counted, a bare
    #: number in a table): chosen for money precision >= 0.97 on the same gold (bench/amounts.py).
    amount_min_confidence: float = 0.5
    #: A one-word name glued to another capitalised word (`Greve` in `Greve Marina`, `Odense` in
    #: `International Community Odense`) is likely part of a longer name nobody listed: a candidate only.
    glued_confidence: float = 0.4

    #: A theme is returned when its combined score clears this (bench/themes.py, tuned on the
    #: development half of tests/fixtures/themes-gold.json: 0.42 -> 0.60).
    theme_min_score: float = 0.6
    #: ... and is at least this share of the best theme's score (a far second is a shared word).
    theme_relative_score: float = 0.8
    #: At most this many themes per punkt.
    theme_max_count: int = 4

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults, overridden by `REFERAT_<NAME>` environment variables, each parsed as its
        field's type; a value that is no such thing is refused, naming the variable."""
        values = {}
        defaults = cls()
        for f in fields(cls):
            name = f"REFERAT_{f.name.upper()}"
            raw = os.environ.get(name)
            if raw is None:
                continue
            values[f.name] = parse_value(name, raw, type(getattr(defaults, f.name)))
        return cls(**values)


_TRUE = {"1", "true", "yes", "ja", "on"}
_FALSE = {"0", "false", "no", "nej", "off"}


def parse_value(name: str, raw: str, kind: type) -> bool | int | float | str:
    """An environment value as `kind`: booleans from 0/1/false/true/no/yes (`bool("0")` is true),
    numbers as numbers. Raises `SettingsError` with a Danish message otherwise."""
    from nlp.errors import SettingsError

    text = raw.strip()
    if kind is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise SettingsError(f"{name}={raw!r} er ingen sandhedsværdi (brug 0/1, false/true, no/yes)")
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            what = "et heltal" if kind is int else "et tal"
            raise SettingsError(f"{name}={raw!r} er ikke {what}") from None
    return raw


def _load() -> tuple[Settings, ReferatError | None]:
    """The process's settings; a bad environment value is kept as an error that `check` raises at
    the entrance (CLI, server, archive), where it becomes one line instead of an import traceback."""
    try:
        return Settings.from_env(), None
    except ReferatError as exc:
        return Settings(), exc


def check() -> None:
    """Refuse to run on settings the environment gave but that could not be read."""
    if _error is not None:
        raise _error


settings, _error = _load()
