"""Export the converted e5 model to ONNX and quantise it to int8, once, offline (`referat setup`).

The graph takes `input_ids` and `attention_mask` and returns `embedding` (mean-pooled,
L2-normalised: what sentence-transformers returns) and `states` (hidden layers
`FEATURE_LAYERS` concatenated, for the NER), so one run serves both. Dynamic int8 quantisation
of the matrix products (ONNX Runtime's `quantize_dynamic`) roughly triples CPU speed; a test
checks the vectors against sentence-transformers (cosine >= 0.99).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from nlp.e5 import FEATURE_LAYERS, convert, default_model_path, mean_pooled, onnx_model_path

log = logging.getLogger(__name__)


def export(out: str | Path | None = None) -> Path:
    """Write the quantised graph; returns its path. Safe to call twice."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    target = Path(out) if out else onnx_model_path()
    if target.exists():
        return target
    base = default_model_path()
    if not (base / "modules.json").exists():
        convert(base)
    log.info("exporting %s -> %s", base, target)
    model = AutoModel.from_pretrained(base, attn_implementation="eager").eval()

    class Both(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            embedding = mean_pooled(out.last_hidden_state, attention_mask)
            states = torch.cat([out.hidden_states[k] for k in FEATURE_LAYERS], dim=-1)
            return embedding, states

    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(f"model.fp32.{os.getpid()}.onnx.tmp")  # per process: two exporters never collide
    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    with torch.inference_mode():
        torch.onnx.export(
            Both(),
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding", "states"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
                "states": {0: "batch", 1: "tokens"},
            },
            opset_version=17,
            dynamo=False,
        )
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()
    tmp.replace(target)
    return target
