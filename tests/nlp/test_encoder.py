"""The one e5 encoder: agrees with sentence-transformers, keeps order, and its passage pass gives the NER
the same token features as encoding the words on their own."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from nlp.e5 import PASSAGE_PREFIX, default_model_path
from nlp.embedder import get_embedder
from nlp.encoder import get_encoder, word_states
from nlp.passages import punkt_passages
from nlp.pipeline import embed_passages
from nlp.readers import read_path
from nlp.settings import settings

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _sample_passages(n: int) -> list[str]:
    files = sorted(SAMPLE.rglob("*.txt")) + sorted(SAMPLE.rglob("*.json"))
    texts = [p.embed_text for f in files[:4] for punkt in read_path(f).punkter for p in punkt_passages(punkt)]
    random.Random(7).shuffle(texts)
    return texts[:n]


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
def test_vectors_agree_with_sentence_transformers(runtime):
    from sentence_transformers import SentenceTransformer

    texts = [PASSAGE_PREFIX + t for t in _sample_passages(40)]
    reference = SentenceTransformer(str(default_model_path()), device="cpu")
    reference.max_seq_length = settings.max_tokens
    expected = reference.encode(texts, normalize_embeddings=True)
    ours, _ = get_encoder(runtime, "cpu").encode(texts)
    cosines = (ours * expected).sum(axis=1)
    assert cosines.min() >= 0.99, cosines.min()
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-4)


def test_length_bucketing_keeps_the_callers_order():
    encoder = get_encoder()
    texts = ["passage: " + "ord " * 300, "passage: kort", "passage: " + "en mellemlang sætning " * 10]
    together, _ = encoder.encode(texts, batch_tokens=64)
    alone = np.stack([encoder.encode([t])[0][0] for t in texts])
    assert np.abs(together - alone).max() < 1e-3
    assert float(together[0] @ together[1]) < 0.99


def test_runtime_uses_the_machines_cores():
    encoder = get_encoder()
    if encoder.runtime == "onnx":
        assert encoder.session.get_session_options().intra_op_num_threads == settings.threads
    else:
        import torch

        assert torch.get_num_threads() == settings.threads


@pytest.mark.parametrize("query", ["ﷺ" * 30, "førtidspension " * 2000, "\u0000\ufffd"])
def test_hostile_and_overlong_queries_are_encoded(query):
    vector = get_embedder().queries([query])
    assert vector.shape == (1, 384)
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-3


def test_feature_extractor_reads_words_as_the_passage_pass_does():
    from nlp.ner_model import FeatureExtractor

    words = "Borgmester Mette Hansen ( V ) besøgte Odense Kommune i går .".split()
    extractor = FeatureExtractor()
    computed = extractor.features([words])[0]
    text = " ".join(words)
    _, states = get_embedder().passages_with_states([text])
    starts, at = [], 0
    for w in words:
        starts.append(at)
        at += len(w) + 1
    ends = [s + len(w) for s, w in zip(starts, words, strict=True)]
    located = extractor.features([words], located=[(states[0], starts, ends)])[0]
    assert computed.shape == (len(words), 3 * 384)
    cosines = (computed * located).sum(1) / np.linalg.norm(computed, axis=1) / np.linalg.norm(located, axis=1)
    assert cosines.min() > 0.999
    assert np.abs(computed[1] - computed[2]).max() > 0.1  # rows differ per word


def test_passage_pass_gives_token_states_on_the_section_text():
    meeting = read_path(SAMPLE / "odense" / "odense-beskaeftigelses-og-socialudvalget-2021-02-02.txt")
    result: dict = {}
    book = embed_passages(meeting, result, get_embedder())
    punkt = next(p for p in meeting.punkter if not p.closed and any(len(s.text) > 400 for s in p.sections))
    section = next(s for s in punkt.sections if len(s.text) > 400)
    tokens = book[id(section)]
    assert len(tokens.starts) > 50
    # Every word of the section's first paragraph has a token state there ...
    first_line = section.text.split("\n")[0]
    spans, at = [], 0
    for w in first_line.split():
        at = section.text.index(w, at)
        spans.append((at, at + len(w)))
        at += len(w)
    rows = word_states(tokens, [s for s, _ in spans], [e for _, e in spans])
    assert rows is not None
    # ... equal to encoding that passage alone and finding the word there.
    passage = next(p for p in result[punkt.number].passages if p.section == section.name)
    assert passage.text.startswith(first_line)
    _, alone = get_embedder().passages_with_states([passage.embed_text])
    base = len(passage.embed_text) - len(passage.text)
    expect = word_states(alone[0], [base + s for s, _ in spans], [base + e for _, e in spans])
    # (int8 activations are quantised per batch, so values move a little with the batch: compare by angle)
    a = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    b = expect / np.linalg.norm(expect, axis=1, keepdims=True)
    cosines = a @ b.T
    assert np.diag(cosines).min() > 0.95, np.diag(cosines).min()
    assert (cosines.argmax(axis=1) == np.arange(len(spans))).mean() > 0.9  # each word its own token


def test_the_encoder_reads_its_model_folder_and_builds_nothing(tmp_path, monkeypatch):
    """Dimension, pooling and prompts come from the sentence-transformers folder `referat setup`
    wrote; a missing folder or ONNX graph is a clear error naming `referat setup`, never built on load."""
    from nlp.e5 import read_model_config
    from nlp.encoder import Encoder
    from nlp.errors import ModelUnavailableError

    config = read_model_config(default_model_path())
    assert (config.dim, config.pooling, config.passage_prefix) == (384, "mean", PASSAGE_PREFIX)
    assert get_encoder().dim == config.dim
    monkeypatch.setenv("REFERAT_MODELS", str(tmp_path))  # an empty models folder
    with pytest.raises(ModelUnavailableError, match="referat setup"):
        Encoder("onnx", "cpu")
    assert list(tmp_path.iterdir()) == []  # nothing was converted or exported into it
