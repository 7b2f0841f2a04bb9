"""The enrichment pipeline: one spaCy `Language` of small named components, built offline.

    sentencizer -> referat_rules -> referat_ner -> referat_amounts -> referat_laws

Each component is registered with `@Language.factory`, and the pipeline is assembled from its
configuration file (`nlp/resources/pipeline.cfg`, spaCy's config format), which can drop, swap or
configure a component (`build_nlp(components=[...])` keeps some). Every section of a punkt is one
`Doc`; the `Enricher` adds the punkt-level steps (themes, KLE) and returns an `Enrichment` per punkt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from nlp.amounts import dedupe, find_amounts
from nlp.enrichment import Enrichment, structure
from nlp.entities import (
    INSTITUTION_WORDS,
    STREET_WORDS,
    canonical,
    combine,
    model_confidence,
    rule_confidence,
    unify_people,
)
from nlp.kle import kle_for
from nlp.laws import find_laws
from nlp.model import Entity, Meeting, Punkt
from nlp.ner_model import bio_to_spans
from nlp.settings import settings

log = logging.getLogger(__name__)

#: The components and their order and settings: a configuration file, as spaCy pipelines are.
PIPELINE_CONFIG = Path(__file__).parent / "resources" / "pipeline.cfg"
MAX_STATISTICAL_WORDS = 4_000  # the trained NER reads at most this many words of a section

#: `token_states`: the encoder's states over the doc's text, from the pass that embedded its
#: passages; set on the Doc before the pipeline runs and read by the NER, as spaCy's
#: `Tok2VecListener` receives its upstream's output: the state travels with the doc.
for name in ("amounts", "laws", "entity_info", "token_states"):
    if not Doc.has_extension(name):
        Doc.set_extension(name, default=None)


@spacy.registry.misc("referat.longest_then_surest.v1")
def longest_then_surest() -> Callable[[Doc, list[tuple[Span, float, str]]], list[Span]]:
    """The span filter both entity components use (`resolve`), registered as spaCy's SpanRuler
    filters are (`spacy.first_longest_spans_filter.v1`), so the configuration names it."""
    return resolve


@Language.factory("referat_rules", default_config={"spans_filter": {"@misc": "referat.longest_then_surest.v1"}})
def make_rules(nlp: Language, name: str, spans_filter: Callable) -> RuleEntities:
    return RuleEntities(nlp, spans_filter)


class RuleEntities:
    """Gazetteers and patterns from `nlp/resources/` (municipalities, regions, public bodies,
    parties, organisations, places, titles, name lists), matched by spaCy's `SpanRuler`.

    Writes `doc.spans["rules"]` (each span's `id_` names its pattern or `gazetteer`); the party
    letter of `Claus Houden (V)` and a leading title (`rådmand`) are cut off the name."""

    def __init__(self, nlp: Language, spans_filter: Callable | None = None) -> None:
        from spacy.pipeline import SpanRuler

        from nlp.entities import span_patterns

        self.spans_filter = spans_filter or resolve

        self.ruler = SpanRuler(nlp, spans_key="rules", annotate_ents=False, overwrite=True, phrase_matcher_attr="ORTH")
        self.ruler.add_patterns(span_patterns())

    def __call__(self, doc: Doc) -> Doc:
        from nlp.entities import titles

        self.ruler(doc)
        spans = []
        for span in doc.spans["rules"]:
            start, end = span.start, span.end
            if span.id_ == "party_person":
                end -= 3
            elif span.id_ == "title_person":
                start += 1
            while start < end and doc[start].lower_ in titles():
                start += 1
            if start < end:
                label = span.label_
                if label == "PER" and doc[end - 1].text in INSTITUTION_WORDS:
                    label = "ORG"
                elif label == "PER" and doc[end - 1].text in STREET_WORDS:
                    label = "LOC"
                spans.append(Span(doc, start, end, label=label, span_id=span.id_))
        doc.spans["rules"] = spans
        doc.ents = self.spans_filter(doc, [(s, self.confidence(doc, s), s.id_) for s in spans])
        return doc

    @staticmethod
    def confidence(doc: Doc, span: Span) -> float:
        return rule_confidence(span.id_, span.text, span.label_)


@Language.factory(
    "referat_ner", default_config={"model_path": None, "spans_filter": {"@misc": "referat.longest_then_surest.v1"}}
)
def make_ner(nlp: Language, name: str, model_path: str | None, spans_filter: Callable) -> StatisticalNER:
    return StatisticalNER(model_path, spans_filter)


class StatisticalNER:
    """The trained tagger (models/ner-da), merged with the rule spans by confidence."""

    def __init__(self, model_path: str | None = None, spans_filter: Callable | None = None) -> None:
        self.model_path = model_path
        self.spans_filter = spans_filter or resolve
        self._tagger = None
        self.available = True

    @property
    def tagger(self):
        if self._tagger is None and self.available:
            from nlp.ner_model import TokenTagger, artifact_dir

            path = self.model_path or artifact_dir()
            try:
                self._tagger = TokenTagger(path)
            except (OSError, FileNotFoundError) as exc:
                log.warning("statistical NER unavailable (%s); using rules only", exc)
                self.available = False
        return self._tagger

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterable[Doc]:
        docs = list(docs)
        tagger = self.tagger
        if tagger is None:
            yield from docs
            return
        windows: list[tuple[int, list[Token]]] = []
        for di, doc in enumerate(docs):
            windows.extend((di, w) for w in candidate_windows(doc))
        located = [(docs[di]._.token_states, [t.idx for t in w], [t.idx + len(t.text) for t in w]) for di, w in windows]
        scored = tagger.tag_scored([[t.text for t in w] for _, w in windows], located)
        found: dict[int, list[tuple[Span, float]]] = {}
        for (di, tokens), (tags, probs) in zip(windows, scored, strict=True):
            for start, end, label in bio_to_spans(tags):
                if label in ("PER", "LOC", "ORG", "MISC"):
                    span = Span(docs[di], tokens[start].i, tokens[end - 1].i + 1, label=label)
                    found.setdefault(di, []).append((span, float(probs[start:end].mean())))
        for di, doc in enumerate(docs):
            model = [(s, model_confidence(s.text, s.label_, p), "model") for s, p in found.get(di, [])]
            rules = [(s, RuleEntities.confidence(doc, s), s.id_) for s in doc.spans.get("rules", [])]
            doc.ents = self.spans_filter(doc, model + rules + _names_ending_in_a_place(doc, model, rules))
            yield doc


def _names_ending_in_a_place(
    doc: Doc, model: list[tuple[Span, float, str]], rules: list[tuple[Span, float, str]]
) -> list[tuple[Span, float, str]]:
    """`International Community` (model, ORG) + `Odense` (gazetteer): one organisation
    `International Community Odense`, where the model stopped short of the place that ends it."""
    places = {s.start: s for s, _, source in rules if source == "gazetteer" and s.label_ == "LOC" and len(s) == 1}
    out = []
    for span, conf, _ in model:
        place = places.get(span.end)
        if span.label_ == "ORG" and place is not None:
            out.append((Span(doc, span.start, place.end, label="ORG"), conf, "model+gazetteer"))
    return out


def candidate_windows(doc: Doc, context: int = 6, budget_words: int = MAX_STATISTICAL_WORDS) -> list[list[Token]]:
    """The stretches of text the trained model reads: around capitalised words.

    Danish writes common nouns in lower case, so a capitalised word inside a sentence is where a
    name may be. A short sentence is read whole; in a long one, a window around each such word.
    That keeps the encoder affordable on two cores without starving it of context.
    """
    ruled = {t.i for span in doc.spans.get("rules", []) for t in span}
    windows: list[list[Token]] = []
    used = 0
    sentences = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
    for sent in sentences:
        tokens = [t for t in sent if not t.is_space]
        hot = [
            k
            for k, t in enumerate(tokens)
            if t.is_alpha and t.text[:1].isupper() and (k > 0 or t.i in ruled or t.text in _first_names())
        ]
        if not hot:
            continue
        if len(tokens) <= 3 * context:
            spans = [[0, len(tokens)]]
        else:
            spans = []
            for k in hot:
                lo, hi = max(0, k - context), min(len(tokens), k + context + 1)
                if spans and lo <= spans[-1][1]:
                    spans[-1][1] = hi
                else:
                    spans.append([lo, hi])
        for lo, hi in spans:
            windows.append(tokens[lo:hi])
            used += hi - lo
            if used >= budget_words:
                return windows
    return windows


def _first_names() -> frozenset[str]:
    from nlp.entities import name_gazetteer

    return name_gazetteer()[0]


def _glued(doc: Doc, span: Span) -> bool:
    def initial(token: Token) -> bool:
        prev = doc[token.i - 1] if token.i > 0 else None
        return token.is_sent_start or prev is None or prev.is_space or prev.is_punct

    def capitalised(token: Token) -> bool:
        return token.is_alpha and token.text[:1].isupper() and not initial(token)

    after = doc[span.end] if span.end < len(doc) else None
    before = doc[span.start - 1] if span.start > 0 else None
    return (after is not None and capitalised(after)) or (
        before is not None and capitalised(before) and not span[0].is_sent_start
    )


def resolve(doc: Doc, candidates: list[tuple[Span, float, str]]) -> list[Span]:
    """One entity per stretch of text: the longest span wins (`Odense` inside `Odense Kommune` is no
    second entity), then the surer one. Where the model and a rule found the same span, the
    evidence is joined (`model+gazetteer`), the confidence raised, and the rule's label kept.
    Confidence and evidence go to `doc._.entity_info[(start_char, end_char)]`."""
    by_span: dict[tuple[int, int], tuple[Span, float, str]] = {}
    for span, conf, source in candidates:
        evidence = source if source in ("model", "gazetteer", "model+gazetteer") else "rule"
        key = (span.start, span.end)
        if key in by_span:
            old, old_conf, old_ev = by_span[key]
            keep = old if old_ev != "model" else span  # a rule's label beats the model's
            parts = {*old_ev.split("+"), *evidence.split("+")}
            joined = "+".join(sorted(parts, key=["model", "gazetteer", "rule"].index))
            same = old.label_ == span.label_
            by_span[key] = (keep, combine(old_conf, conf) if same else max(old_conf, conf), joined)
        else:
            by_span[key] = (span, conf, evidence)
    chosen: list[Span] = []
    taken: set[int] = set()
    info: dict[tuple[int, int], tuple[float, str]] = {}
    for span, conf, evidence in sorted(by_span.values(), key=lambda c: (-(c[0].end - c[0].start), -c[1])):
        if any(i in taken for i in range(span.start, span.end)):
            continue
        if len(span) == 1 and _glued(doc, span):
            conf = min(conf, settings.glued_confidence)
        taken.update(range(span.start, span.end))
        chosen.append(span)
        info[(span.start_char, span.end_char)] = (conf, evidence)
    doc._.entity_info = info
    return sorted(chosen, key=lambda s: s.start)


@Language.factory("referat_amounts")
def make_amounts(nlp: Language, name: str) -> AmountsComponent:
    return AmountsComponent()


class AmountsComponent:
    def __call__(self, doc: Doc) -> Doc:
        doc._.amounts = find_amounts(doc.text)
        return doc


@Language.factory("referat_laws")
def make_laws(nlp: Language, name: str) -> LawsComponent:
    return LawsComponent()


class LawsComponent:
    def __call__(self, doc: Doc) -> Doc:
        doc._.laws = find_laws(doc.text)
        return doc


def build_nlp(components: list[str] | None = None, ner_model_path: str | None = None) -> Language:
    """The pipeline from its configuration (`nlp/resources/pipeline.cfg`), as spaCy assembles one:
    `components` keeps only those (in the file's order of sections), `ner_model_path` points the NER
    at another trained tagger."""
    config = spacy.util.load_config(PIPELINE_CONFIG)
    if components is not None:
        unknown = [c for c in components if c not in config["components"]]
        if unknown:
            raise ValueError(f"unknown pipeline components {unknown}; known: {list(config['components'])}")
        config["nlp"]["pipeline"] = list(components)
        config["components"] = {c: config["components"][c] for c in components}
    if ner_model_path is not None and "referat_ner" in config["components"]:
        config["components"]["referat_ner"]["model_path"] = ner_model_path
    nlp = spacy.util.get_lang_class(config["nlp"]["lang"]).from_config(config)
    nlp.max_length = 5_000_000
    return nlp


class Enricher:
    """Runs the pipeline over a meeting's punkter and adds themes and KLE per punkt."""

    def __init__(self, nlp: Language | None = None, theme_tagger=None, embedder=None) -> None:
        self.nlp = nlp or build_nlp()
        self.embedder = embedder
        #: Seconds spent in the encoder pass over passages (the rest of enrich_meeting is NLP).
        self.timings: dict[str, float] = {"embed_s": 0.0}
        self._theme_tagger = theme_tagger

    @property
    def theme_tagger(self):
        if self._theme_tagger is None:
            from nlp.themes import ThemeTagger

            self._theme_tagger = ThemeTagger(embedder=self.embedder)
        return self._theme_tagger

    def enrich_meeting(self, meeting: Meeting) -> dict[int, Enrichment]:
        open_punkter = [p for p in meeting.punkter if not p.closed]
        jobs = [(p, s) for p in open_punkter for s in p.sections if s.text.strip()]
        result: dict[int, Enrichment] = {p.number: Enrichment() for p in meeting.punkter}
        # First: the pass that embeds the passages also gives the NER its token features, on each doc.
        states = self.embed_passages(meeting, result)
        docs = []
        for _, section in jobs:
            doc = self.nlp.make_doc(section.text)
            doc._.token_states = states.get(id(section))
            docs.append(doc)
        docs = self.nlp.pipe(docs, batch_size=32)
        for (punkt, section), doc in zip(jobs, docs, strict=True):
            tags = result[punkt.number]
            info = doc._.entity_info or {}
            for ent in doc.ents:
                conf, evidence = info.get((ent.start_char, ent.end_char), (0.5, "model"))
                tags.entities.append(
                    Entity(
                        ent.text,
                        ent.label_,
                        canonical(ent.text, ent.label_),
                        ent.start_char,
                        ent.end_char,
                        section.name,
                        conf,
                        evidence,
                    )
                )
            for amount in doc._.amounts or []:
                amount.section = section.name
                tags.amounts.append(amount)
            for law in doc._.laws or []:
                law.section = section.name
                tags.laws.append(law)
        vectors = self._summary_vectors(open_punkter, result)
        for i, punkt in enumerate(open_punkter):
            tags = result[punkt.number]
            tags.amounts = dedupe(tags.amounts)
            _unify_people(tags)
            kle_number = punkt.journal.kle if punkt.journal else None
            tags.kle = kle_for(kle_number, punkt.text[:20000], punkt.title)
            tags.themes = self.theme_tagger.tag(
                punkt.title, punkt.text, vectors[i] if vectors is not None else None, tags.kle.get("number")
            )
        return result

    def embed_passages(self, meeting: Meeting, result: dict[int, Enrichment]) -> dict:
        """Cut every punkt into passages and embed them (a closed punkt: its title only); returns
        the token states of the sections' text, by section (`id`), for the NER."""
        started = time.perf_counter()
        try:
            return embed_passages(meeting, result, self.embedder)
        finally:
            self.timings["embed_s"] += time.perf_counter() - started

    def _summary_vectors(self, punkter: list[Punkt], result: dict[int, Enrichment] | None = None):
        """What a punkt is about, for themes: the mean of its title and summary passages' vectors,
        already computed (no second encoder pass); a punkt without them is encoded here."""
        if self.embedder is None or not punkter:
            return None
        if result is None:
            return self.embedder.passages([summary_text(p) for p in punkter])
        out = []
        for punkt in punkter:
            tags = result.get(punkt.number)
            if tags is None or tags.vectors is None or not len(tags.vectors):
                out.append(self.embedder.passages([summary_text(punkt)])[0])
                continue
            out.append(summary_vector(tags))
        return np.stack(out)


def summary_passages(passages: list) -> list[int]:
    """Which passages say what a punkt is about: the title passage and the summary section's
    passages, else the title and the first passage of the body."""
    picked = [0] + [i for i, p in enumerate(passages) if p.section in _SUMMARY_SECTIONS]
    if len(picked) == 1 and len(passages) > 1:
        picked.append(1)
    return picked


def summary_vector(tags: Enrichment) -> np.ndarray:
    """Mean of the summary passages' vectors (`summary_passages`), already computed."""
    v = np.asarray(tags.vectors[summary_passages(tags.passages)], dtype=np.float32).mean(axis=0)
    return v / (np.linalg.norm(v) or 1.0)


_SUMMARY_SECTIONS = ("Resume", "Initiativretsforslag")


def embed_passages(meeting: Meeting, result: dict[int, Enrichment], embedder) -> dict:
    """Every punkt's `structure` (passages, references) and its passages' vectors, in one batched
    encoder call for the meeting.

    The same pass returns each passage's token states; they are mapped back onto the section
    text each passage was cut from (paragraph by paragraph: table lines, rewritten as
    `header: value`, are left out) and returned by section (its `id`), for the NER."""
    structure(meeting, result)
    jobs: list[tuple[Enrichment, int]] = []
    texts: list[str] = []
    owners: list[tuple[Punkt, object]] = []
    for punkt in meeting.punkter:
        tags = result[punkt.number]
        texts.extend(p.embed_text for p in tags.passages)
        owners.extend((punkt, p) for p in tags.passages)
        jobs.append((tags, len(tags.passages)))
    if embedder is None:
        return {}
    encode = getattr(embedder, "passages_with_states", None)
    vectors, states = encode(texts) if encode else (embedder.passages(texts), None)
    at = 0
    for tags, n in jobs:
        tags.vectors = vectors[at : at + n]
        at += n
    return section_token_states(owners, states) if states is not None else {}


def section_token_states(owners: list, states: list) -> dict:
    """Token states of passages, moved from passage coordinates onto their sections' text."""
    from nlp.encoder import TokenStates, concat_states

    pieces: dict[int, list[TokenStates]] = {}
    cursor: dict[int, int] = {}
    for (punkt, passage), tokens in zip(owners, states, strict=True):
        if passage.section == "Titel" or tokens is None:
            continue
        section = next(
            (s for s in punkt.sections if s.name == passage.section and cursor.get(id(s), 0) < len(s.text)), None
        )
        if section is None:
            continue
        key = id(section)
        base = len(passage.embed_text) - len(passage.text)  # where the chunk starts in the embedded text
        at = 0
        for line in passage.text.split("\n"):
            found = section.text.find(line, cursor.get(key, 0)) if line.strip() else -1
            if found >= 0:
                lo, hi = base + at, base + at + len(line)
                keep = (tokens.starts >= lo - 1) & (tokens.ends <= hi) & (tokens.ends > lo)
                shift = found - lo
                pieces.setdefault(key, []).append(
                    TokenStates(tokens.starts[keep] + shift, tokens.ends[keep] + shift, tokens.states[keep])
                )
                cursor[key] = found + len(line)
            at += len(line) + 1
    dim = next((t.states.shape[1] for t in states if t is not None), 0)
    return {k: concat_states(v, dim) for k, v in pieces.items()}


def summary_text(punkt: Punkt) -> str:
    """Title and the opening of the summary: what the punkt is about, in few tokens."""
    resume = punkt.section("Resume") or punkt.section("Initiativretsforslag")
    body = resume.text if resume else punkt.text
    return f"{punkt.title}. {body[:800]}"


def _unify_people(tags: Enrichment) -> None:
    people = [e.canonical for e in tags.entities if e.label == "PER"]
    mapping = unify_people(people)
    for e in tags.entities:
        if e.label == "PER" and e.canonical in mapping:
            e.canonical = mapping[e.canonical]
