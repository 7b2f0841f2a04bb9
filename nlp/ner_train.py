"""Reproduce `models/ner-da/`: fine-tune the top layers of e5-small for Danish NER on a CPU.

    python -m nlp.ner_train --data ../shared/data/ner-da --out models/ner-da

Trains on train-10k + train-5k (duplicates removed), evaluates on dev, writes the changed
weights (fp16 safetensors), a config and a model card with the measured F1.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from nlp.ner_model import LABELS, TokenTagger, entity_f1, read_conll

TRAINABLE_LAYERS = 6


def main(argv: list[str] | None = None) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoTokenizer

    from nlp.e5 import convert

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/ner-da")
    ap.add_argument("--out", default=None)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--layers", type=int, default=TRAINABLE_LAYERS, help="top encoder layers to fine-tune")
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--entity-weight", type=float, default=2.0, help="loss weight of entity tags vs O")
    args = ap.parse_args(argv)
    data = Path(args.data)
    out = Path(args.out) if args.out else Path(__file__).resolve().parents[1] / "models" / "ner-da"
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    train, seen = [], set()
    for name in ("da_ddt-ud-ner-train-10k.conll", "da_ddt-ud-ner-train-5k.conll"):
        for words, tags in read_conll(data / name):
            key = " ".join(words)
            if key not in seen:
                seen.add(key)
                train.append((words, tags))
    dev = read_conll(data / "da_ddt-ud-ner-dev.conll")
    print(f"train_sentences={len(train)} train_tokens={sum(len(w) for w, _ in train)} dev_sentences={len(dev)}")

    base = convert()
    tokenizer = AutoTokenizer.from_pretrained(base)
    encoder = AutoModel.from_pretrained(base, add_pooling_layer=False)
    n_layers = encoder.config.num_hidden_layers
    for name, param in encoder.named_parameters():
        param.requires_grad = any(name.startswith(f"encoder.layer.{i}.") for i in range(n_layers - args.layers, n_layers))
    head = torch.nn.Linear(encoder.config.hidden_size, len(LABELS))
    dropout = torch.nn.Dropout(0.1)
    encoder_params = [p for p in encoder.parameters() if p.requires_grad]
    params = encoder_params + list(head.parameters())
    optim = torch.optim.AdamW(
        [{"params": encoder_params, "lr": args.lr}, {"params": list(head.parameters()), "lr": args.head_lr}], weight_decay=0.01
    )
    label_id = {label: i for i, label in enumerate(LABELS)}
    class_weight = torch.tensor([1.0] + [args.entity_weight] * (len(LABELS) - 1))
    batch_size = args.batch_size
    steps = args.epochs * ((len(train) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=[args.lr, args.head_lr], total_steps=steps, pct_start=0.1)
    started = time.time()
    for epoch in range(args.epochs):
        random.shuffle(train)
        encoder.train()
        total = 0.0
        for b in range(0, len(train), batch_size):
            batch = train[b : b + batch_size]
            enc = tokenizer([w for w, _ in batch], is_split_into_words=True, truncation=True, max_length=256,
                            padding=True, return_tensors="pt")
            targets = torch.full(enc["input_ids"].shape, -100, dtype=torch.long)
            for row, (_, tags) in enumerate(batch):
                prev = None
                for ti, wi in enumerate(enc.word_ids(row)):
                    if wi is not None and wi != prev:
                        targets[row, ti] = label_id[tags[wi]]
                    prev = wi
            hidden = encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            logits = head(dropout(hidden))
            loss = torch.nn.functional.cross_entropy(
                logits.view(-1, len(LABELS)), targets.view(-1), weight=class_weight, ignore_index=-100
            )
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optim.step()
            sched.step()
            total += float(loss.detach())
        print(f"epoch={epoch + 1} loss={total:.3f} elapsed_s={time.time() - started:.0f}", flush=True)

    out.mkdir(parents=True, exist_ok=True)
    state = {f"head.{k}": v.detach().half().contiguous() for k, v in head.state_dict().items()}
    for name, param in encoder.named_parameters():
        if param.requires_grad:
            state[f"encoder.{name}"] = param.detach().half().contiguous()
    save_file(state, out / "model.safetensors")
    (out / "config.json").write_text(json.dumps({
        "labels": LABELS, "base_model": "multilingual-e5-small (nlp/e5.py)", "trainable_layers": args.layers,
        "epochs": args.epochs, "lr": args.lr, "head_lr": args.head_lr, "batch_size": args.batch_size,
        "entity_weight": args.entity_weight, "seed": args.seed,
    }, indent=2))

    tagger = TokenTagger(out)
    pred = tagger.tag([w for w, _ in dev])
    scores = entity_f1([t for _, t in dev], pred, ("PER", "LOC", "ORG", "MISC"))
    three = entity_f1([t for _, t in dev], pred, ("PER", "LOC", "ORG"))["micro"]
    for label, s in scores.items():
        print(f"{label}: p={s['precision']:.3f} r={s['recall']:.3f} f1={s['f1']:.3f} n={s['support']:.0f}")
    print(f"ner_f1_per_loc_org={three['f1']:.4f}")
    (out / "scores.json").write_text(json.dumps({"dev": scores, "dev_per_loc_org": three}, indent=2))


if __name__ == "__main__":
    main()
