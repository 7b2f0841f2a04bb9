"""The e5 encoder, loaded once per process: sentence vectors and NER token states from one forward pass.

Encoding is nearly all of ingest's cost, so every caller goes through this one owner: queries,
passages, theme summaries and the NER's token features. One pass over a passage gives both its
pooled vector and the hidden states of its tokens (layers `FEATURE_LAYERS`), so the NER reads
what embedding already computed.

Runtimes (`settings.encoder`, env `REFERAT_ENCODER`): `onnx` runs a dynamically quantised int8
export (`nlp.onnx_export`, made by `referat setup`) with ONNX Runtime, about three times
sentence-transformers' speed on a CPU; `torch` runs the converted model with transformers (and on
a GPU: `settings.device`, env `REFERAT_DEVICE` = auto|cpu|cuda). `auto` takes ONNX on a CPU when
onnxruntime is installed, torch on CUDA. Batches are bucketed by length (sorted, batched,
unsorted) so short texts do not pay for long ones' padding.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nlp.e5 import FEATURE_LAYERS, default_model_path, mean_pooled, onnx_model_path, quiet_libraries, read_model_config
from nlp.errors import ModelUnavailableError
from nlp.settings import settings

log = logging.getLogger(__name__)


@dataclass
class TokenStates:
    """One text's tokens: character spans in the text (special tokens left out) and their states."""

    starts: np.ndarray  # int32 (n,)
    ends: np.ndarray  # int32 (n,)
    states: np.ndarray  # float32 (n, len(FEATURE_LAYERS) * hidden)


def _gpu_driver() -> bool:
    """Whether an NVIDIA driver is present at all: without one, `auto` is the CPU, and importing torch
    to ask (over a second) is skipped; that matters for a one-off `referat search`."""
    return any(os.path.exists(p) for p in ("/proc/driver/nvidia/version", "/dev/nvidia0", "/dev/nvidiactl", "/dev/dxg"))


def resolve_device(device: str | None = None) -> str:
    """`cuda` when asked for or (auto) when torch sees a GPU, else `cpu`."""
    wanted = (device or settings.device or "auto").lower()
    if wanted not in ("auto", "cpu", "cuda"):
        raise ModelUnavailableError(f"ukendt enhed '{wanted}'; brug auto, cpu eller cuda")
    if wanted == "cpu" or (wanted == "auto" and not _gpu_driver()):
        return "cpu"
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover - torch is a dependency
        has_cuda = False
    if wanted == "cuda" and not has_cuda:
        raise ModelUnavailableError("der er ingen CUDA-GPU på denne maskine; brug --device cpu")
    return "cuda" if has_cuda else "cpu"


def resolve_runtime(runtime: str | None, device: str) -> str:
    wanted = (runtime or settings.encoder or "auto").lower()
    if wanted not in ("auto", "onnx", "torch"):
        raise ModelUnavailableError(f"ukendt encoder-runtime '{wanted}'; brug auto, onnx eller torch")
    if wanted == "auto":
        if device == "cuda":
            return "torch"
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return "torch"
        return "onnx"
    return wanted


class Encoder:
    """multilingual-e5-small: `encode(texts)` -> L2-normalised vectors and, on request, token states."""

    def __init__(self, runtime: str | None = None, device: str | None = None) -> None:
        from tokenizers import Tokenizer

        quiet_libraries()
        self.path = default_model_path()
        self.config = read_model_config(self.path)  # built by `referat setup`, never here
        if self.config.pooling != "mean":  # the ONNX graph and the torch runtime pool by the mean
            raise ModelUnavailableError(f"{self.path}: pooling '{self.config.pooling}' understøttes ikke (kun mean)")
        self.device = resolve_device(device)
        self.runtime = resolve_runtime(runtime, self.device)
        self.max_tokens = min(settings.max_tokens, self.config.max_seq_length)  # the folder's window at most
        self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.pad_id = self.tokenizer.token_to_id("<pad>")
        self.dim = self.config.dim
        self._lock = threading.Lock()  # neither runtime's session is re-entrant across our threads
        if self.runtime == "onnx":
            self._load_onnx()
        else:
            self._load_torch()
        self.name = "multilingual-e5-small" + ("+onnx-int8" if self.runtime == "onnx" else "")

    # -- runtimes ---------------------------------------------------------------------------------
    def _load_onnx(self) -> None:
        import onnxruntime as ort

        path = onnx_model_path()
        if not path.exists():
            raise ModelUnavailableError(f"ONNX-modellen {path} mangler; kør `referat setup`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        providers = ["CPUExecutionProvider"]
        if self.device == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(path), options, providers=providers)

    def _load_torch(self) -> None:
        import torch
        from transformers import AutoModel

        if self.device == "cpu":
            torch.set_num_threads(settings.threads)
        try:
            self.model = AutoModel.from_pretrained(self.path).to(self.device).eval()
        except Exception as exc:  # noqa: BLE001 - any load failure is the same for the user
            raise ModelUnavailableError(f"e5-modellen i {self.path} kan ikke indlæses; kør `referat setup`") from exc
        self._torch = torch

    def _run(self, ids: np.ndarray, mask: np.ndarray, states: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """One padded batch -> (normalised pooled vectors, concatenated feature-layer states or None)."""
        if self.runtime == "onnx":
            wanted = ["embedding", "states"] if states else ["embedding"]
            out = self.session.run(wanted, {"input_ids": ids, "attention_mask": mask})
            return out[0], (out[1] if states else None)
        torch = self._torch
        with torch.inference_mode():
            t_ids = torch.from_numpy(ids).to(self.device)
            t_mask = torch.from_numpy(mask).to(self.device)
            out = self.model(input_ids=t_ids, attention_mask=t_mask, output_hidden_states=states)
            pooled = mean_pooled(out.last_hidden_state, t_mask)
            hidden = None
            if states:
                hidden = torch.cat([out.hidden_states[k] for k in FEATURE_LAYERS], dim=-1).float().cpu().numpy()
            return pooled.float().cpu().numpy(), hidden

    # -- the one entry point ----------------------------------------------------------------------
    def encode(
        self, texts: list[str], *, states: bool = False, batch_tokens: int | None = None
    ) -> tuple[np.ndarray, list[TokenStates] | None]:
        """Vectors for `texts` (in order) and, with `states=True`, each text's token states.

        Texts are tokenised once, sorted by length and cut into batches of about `batch_tokens`
        padded tokens, so that padding stays small; results come back in the caller's order.
        """
        n = len(texts)
        vectors = np.zeros((n, self.dim), dtype=np.float32)
        token_states: list[TokenStates] | None = [None] * n if states else None  # type: ignore[list-item]
        if not n:
            return vectors, token_states
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(n), key=lambda i: len(encodings[i].ids))
        budget = batch_tokens or settings.encode_batch_tokens
        start = 0
        with self._lock:
            while start < n:
                end = start + 1
                while end < n and (end - start + 1) * len(encodings[order[end]].ids) <= budget and end - start < 256:
                    end += 1
                batch = order[start:end]
                longest = len(encodings[batch[-1]].ids)
                ids = np.full((len(batch), longest), self.pad_id, dtype=np.int64)
                mask = np.zeros((len(batch), longest), dtype=np.int64)
                for row, i in enumerate(batch):
                    e = encodings[i].ids
                    ids[row, : len(e)] = e
                    mask[row, : len(e)] = 1
                pooled, hidden = self._run(ids, mask, states)
                vectors[batch] = pooled
                if token_states is not None and hidden is not None:
                    for row, i in enumerate(batch):
                        enc = encodings[i]
                        keep = [k for k, special in enumerate(enc.special_tokens_mask) if not special]
                        offsets = np.asarray(enc.offsets, dtype=np.int32).reshape(-1, 2)[keep]
                        token_states[i] = TokenStates(
                            offsets[:, 0].copy(), offsets[:, 1].copy(), np.ascontiguousarray(hidden[row, keep])
                        )
                start = end
        return vectors, token_states

    def encode_passages(self, texts: list[str], *, states: bool = False):
        """Passages as the model folder says to encode them (its passage prompt before each), with
        token offsets, when `states`, counted from the start of each text given (not the prompt)."""
        prefix = self.config.passage_prefix
        vectors, token_states = self.encode([prefix + t for t in texts], states=states)
        for s in token_states or []:
            s.starts -= len(prefix)
            s.ends -= len(prefix)
        return vectors, token_states

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors, with the folder's query prompt before each text."""
        return self.encode([self.config.query_prefix + t for t in texts])[0]


@lru_cache(maxsize=4)
def _encoder(runtime: str, device: str) -> Encoder:
    return Encoder(runtime, device)


def get_encoder(runtime: str | None = None, device: str | None = None) -> Encoder:
    """The process's encoder for this runtime and device: loading takes seconds, so it is done once."""
    dev = resolve_device(device)
    return _encoder(resolve_runtime(runtime, dev), dev)


def word_states(
    tokens: TokenStates, word_starts: list[int], word_ends: list[int], *, partial: bool = False
) -> np.ndarray | None:
    """Each word's first sub-token state: the token covering the word's first character, or the
    first token starting inside the word. A word with no token (cut by truncation, or outside the
    encoded text) makes the result None, or with `partial=True` gets a row of zeros."""
    n = len(word_starts)
    if n == 0:
        return np.zeros((0, tokens.states.shape[1] if tokens.states.ndim == 2 else 0), dtype=np.float32)
    starts = np.asarray(word_starts, dtype=np.int64)
    ends = np.asarray(word_ends, dtype=np.int64)
    rows = np.searchsorted(tokens.ends, starts, side="right")
    inside = rows < len(tokens.ends)
    safe = np.where(inside, rows, 0)
    found = inside & (tokens.starts[safe] < ends) if len(tokens.ends) else np.zeros(n, dtype=bool)
    if found.all():
        return tokens.states[rows]
    if not partial:
        return None
    out = np.zeros((n, tokens.states.shape[1]), dtype=np.float32)
    if len(tokens.ends):
        out[found] = tokens.states[safe[found]]
    return out


def concat_states(pieces: list[TokenStates], dim: int) -> TokenStates:
    """Token states of several stretches of one text (in order) as one."""
    if not pieces:
        return TokenStates(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros((0, dim), np.float32))
    return TokenStates(
        np.concatenate([p.starts for p in pieces]),
        np.concatenate([p.ends for p in pieces]),
        np.concatenate([p.states for p in pieces]),
    )
