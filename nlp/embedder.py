"""Sentence embeddings with the e5 `query: `/`passage: ` prefixes: the entry point for queries and passages.

The default is the offline multilingual-e5-small, run by the process's one encoder
(`nlp.encoder`: ONNX int8 or torch, CPU or GPU); any other sentence-transformers model can be named
by path or name (`REFERAT_EMBED_MODEL`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from nlp.e5 import PASSAGE_PREFIX, QUERY_PREFIX, quiet_libraries
from nlp.errors import ModelUnavailableError
from nlp.settings import settings

log = logging.getLogger(__name__)
QUERY_CACHE_SIZE = 4096


class Embedder:
    """Encodes queries and passages into L2-normalised float32 vectors.

    The default e5 model goes through the process's one `nlp.encoder.Encoder` (the runtime that
    ingest and the NER use too); another sentence-transformers model named by `model` or
    `REFERAT_EMBED_MODEL` is loaded with sentence-transformers.
    """

    def __init__(self, model: str | None = None, *, max_seq_length: int | None = None) -> None:
        quiet_libraries()
        spec = model or os.environ.get("REFERAT_EMBED_MODEL") or ""
        self.encoder = None
        self.model = None
        self.max_seq_length = max_seq_length or settings.max_tokens
        if not spec:
            from nlp.encoder import get_encoder

            self.encoder = get_encoder()
            self.name = self.encoder.name
            self.is_e5 = True
            self.dim = self.encoder.dim
        else:
            self._load_sentence_transformers(spec)
        self._lock = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def _load_sentence_transformers(self, spec: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = Path(spec).name if Path(spec).exists() else spec
        self.is_e5 = "e5" in self.name.lower()
        try:
            self.model = SentenceTransformer(spec, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure is the same for the user
            raise ModelUnavailableError(
                f"embedding-modellen '{spec}' kan ikke indlæses ({exc.__class__.__name__}); "
                "angiv en lokal sti til en sentence-transformers-model"
            ) from exc
        self.model.max_seq_length = self.max_seq_length
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)

    def _encode(self, texts: list[str], kind: str, batch_size: int) -> np.ndarray:
        """`kind` "query" or "passage": e5 models read each with its own prompt."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.encoder is not None:  # the model folder states its prompts
            return self.encoder.encode_queries(texts) if kind == "query" else self.encoder.encode_passages(texts)[0]
        prefix = QUERY_PREFIX if kind == "query" else PASSAGE_PREFIX
        inputs = [prefix + t for t in texts] if self.is_e5 else texts
        with self._lock:  # torch modules are not re-entrant across threads
            vectors = self.model.encode(
                inputs, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors; one text at a time is cached, since people search the same things.
        A query longer than the model's window is truncated to it (`settings.max_tokens`)."""
        if len(texts) != 1:
            return self._encode(texts, "query", 32)
        text = texts[0]
        with self._lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return cached.reshape(1, -1)
        vector = self._encode([text], "query", 1)[0]
        with self._lock:
            self._query_cache[text] = vector
            if len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector.reshape(1, -1)

    def clear_cache(self) -> None:
        with self._lock:
            self._query_cache.clear()

    def passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, "passage", batch_size)

    def passages_with_states(self, texts: list[str]):
        """Passage vectors and, for the default e5 model, each passage's token states (for the NER)
        from the same forward pass; states are None for another model. Token offsets count from the
        start of the text given (the `passage: ` prefix is not counted)."""
        if self.encoder is None:
            return self.passages(texts), None
        return self.encoder.encode_passages(texts, states=True)


@lru_cache(maxsize=4)
def get_embedder(model: str | None = None) -> Embedder:
    """One embedder per model and process: loading takes seconds, encoding milliseconds."""
    return Embedder(model)
