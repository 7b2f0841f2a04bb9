"""Reproduce `models/ner-da/`: a linear tagger over frozen e5-small features, DDT + NorNE.

    python -m nlp.ner_train

Trains on DDT-NER train-10k + train-5k (duplicate sentences removed) and NorNE Bokmål (dev + test,
about 66k tokens; Norwegian Bokmål is written almost like Danish, so it transfers: Plank 2019),
evaluates on DDT dev, and writes the weights (`head.npz`), a config and the measured scores. The
head is a multinomial logistic regression; at tagging time a Viterbi decoder reads its
log-probabilities under the BIO constraint (`I-X` only after `B-X`/`I-X`; `nlp.ner_model`).
About five minutes on two cores, nearly all of it the encoder reading ~90k words; `--cache DIR`
keeps the features between runs while experimenting.
Fine-tuning the encoder itself was tried and did not pay on a CPU budget: it collapsed to
O/PER/LOC (dev F1 0.63).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from nlp.ner_model import (
    LABELS,
    LAYERS,
    FeatureExtractor,
    TokenTagger,
    entity_f1,
    read_conll,
    transition_scores,
    word_matrix,
)

ROOT = Path(__file__).resolve().parents[1]
DDT_TRAIN = ("da_ddt-ud-ner-train-10k.conll", "da_ddt-ud-ner-train-5k.conll")
NORNE_FILES = ("no_bokmaal-ud-dev.conllu", "no_bokmaal-ud-test.conllu")

Sentences = list[tuple[list[str], list[str]]]


def load_training(data: Path) -> Sentences:
    train, seen = [], set()
    for name in DDT_TRAIN:
        for words, tags in read_conll(data / name):
            key = " ".join(words)
            if key not in seen:
                seen.add(key)
                train.append((words, tags))
    return train


def norne_label(raw: str, gpe_org: str = "ORG", other: str = "O") -> str:
    """NorNE's tag mapped to DDT's PER/LOC/ORG/MISC: `B-GPE_LOC` -> `B-LOC`, `B-PROD` -> `O` (or MISC)."""
    if raw == "O" or "-" not in raw:
        return "O"
    prefix, label = raw.split("-", 1)
    mapped = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "GPE_LOC": "LOC", "GPE_ORG": gpe_org}.get(label, other)
    return "O" if mapped == "O" else f"{prefix}-{mapped}"


def read_norne(path: Path, gpe_org: str = "ORG", other: str = "O") -> Sentences:
    """NorNE CoNLL-U: the word in column 2, `name=B-PER` in the last column; multiword lines skipped."""
    sentences: Sentences = []
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            if words:
                sentences.append((words, tags))
            words, tags = [], []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 10 or not cols[0].isdigit():
            continue
        raw = next((p[5:] for p in cols[9].split("|") if p.startswith("name=")), "O")
        words.append(cols[1])
        tags.append(norne_label(raw, gpe_org, other))
    if words:
        sentences.append((words, tags))
    return sentences


def features(
    extractor: list[FeatureExtractor | None], sentences: list[list[str]], cache: Path | None
) -> list[np.ndarray]:
    """Encoder features per sentence, read from `cache` when the same words were encoded before."""
    key = hashlib.sha1(("\n".join(" ".join(w) for w in sentences) + repr(LAYERS)).encode()).hexdigest()[:16]
    file = cache / f"feats-{key}.npz" if cache else None
    if file is not None and file.exists():
        flat = np.load(file)["x"]
    else:
        if extractor[0] is None:
            extractor[0] = FeatureExtractor()
        flat = np.vstack(extractor[0].features(sentences))
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            np.savez(file, x=flat)
    out, at = [], 0
    for words in sentences:
        out.append(flat[at : at + len(words)])
        at += len(words)
    return out


def matrix(feats: list[np.ndarray], sentences: Sentences) -> tuple[np.ndarray, np.ndarray]:
    x = np.vstack([word_matrix(f, w) for f, (w, _) in zip(feats, sentences, strict=True)])
    y = np.array([LABELS.index(t) for _, tags in sentences for t in tags])
    return x, y


def main(argv: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ner-da"))
    ap.add_argument("--norne", default=str(ROOT.parent / "shared" / "data" / "ner-no"), help="'' for DDT only")
    ap.add_argument("--out", default=str(ROOT / "models" / "ner-da"))
    ap.add_argument("--C", type=float, default=0.003, help="inverse regularisation strength")
    ap.add_argument("--norne-weight", type=float, default=0.5, help="sample weight of a NorNE word (DDT: 1)")
    ap.add_argument("--gpe-org", default="ORG", choices=("ORG", "LOC"), help="NorNE GPE_ORG maps to this")
    ap.add_argument(
        "--cache",
        default=None,
        help="folder to keep encoder features in between runs (empty it when the encoder changes)",
    )
    ap.add_argument("--no-viterbi", action="store_true", help="argmax per word instead of BIO Viterbi")
    args = ap.parse_args(argv)
    data, out = Path(args.data), Path(args.out)
    cache = Path(args.cache) if args.cache else None
    started = time.time()
    ddt = load_training(data)
    norne: Sentences = []
    if args.norne:
        for name in NORNE_FILES:
            norne.extend(read_norne(Path(args.norne) / name, args.gpe_org))
    dev = read_conll(data / "da_ddt-ud-ner-dev.conll")
    train = ddt + norne
    print(
        f"train_sentences={len(train)} ddt_tokens={sum(len(w) for w, _ in ddt)} "
        f"norne_tokens={sum(len(w) for w, _ in norne)} dev_sentences={len(dev)}"
    )
    extractor: list[FeatureExtractor | None] = [None]
    feats = features(extractor, [w for w, _ in ddt], cache) + (
        features(extractor, [w for w, _ in norne], cache) if norne else []
    )
    x, y = matrix(feats, train)
    weight = np.concatenate(
        [np.ones(sum(len(w) for w, _ in ddt)), np.full(sum(len(w) for w, _ in norne), args.norne_weight)]
    )
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    x -= mean
    x /= scale
    print(f"features_s={time.time() - started:.0f} dim={x.shape[1]} rows={x.shape[0]}")
    model = LogisticRegression(C=args.C, max_iter=3000)
    model.fit(x, y, sample_weight=weight)
    del x
    coef = np.zeros((len(LABELS), model.coef_.shape[1]), dtype=np.float32)
    intercept = np.full(len(LABELS), -1e4, dtype=np.float32)  # labels never seen in training stay unused
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    transitions = transition_scores()
    out.mkdir(parents=True, exist_ok=True)
    arrays = {"coef": coef, "intercept": intercept, "mean": mean, "scale": scale}
    if not args.no_viterbi:
        arrays["transitions"] = transitions
    np.savez_compressed(out / "head.npz", **arrays)
    config = {
        "labels": LABELS,
        "encoder": "multilingual-e5-small (frozen; nlp/e5.py)",
        "layers": list(LAYERS),
        "classifier": "multinomial logistic regression"
        + ("" if args.no_viterbi else " + BIO-constrained Viterbi decoding"),
        "C": args.C,
        "norne_weight": args.norne_weight if norne else None,
        "gpe_org": args.gpe_org if norne else None,
        "training_data": [*DDT_TRAIN, *(NORNE_FILES if norne else ())],
        "reproduce": "python -m nlp.ner_train",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    tagger = TokenTagger(out, extractor=extractor[0])
    dev_feats = features(extractor, [w for w, _ in dev], cache)
    pred = tagger.tag_features([w for w, _ in dev], dev_feats)
    scores = entity_f1([t for _, t in dev], pred, ("PER", "LOC", "ORG", "MISC"))
    three = entity_f1([t for _, t in dev], pred, ("PER", "LOC", "ORG"))["micro"]
    for label, s in scores.items():
        print(f"{label}: p={s['precision']:.3f} r={s['recall']:.3f} f1={s['f1']:.3f} n={s['support']:.0f}")
    print(f"ner_f1_per_loc_org={three['f1']:.4f} train_s={time.time() - started:.0f}")
    (out / "scores.json").write_text(json.dumps({"dev": scores, "dev_per_loc_org": three}, indent=2) + "\n")


if __name__ == "__main__":
    main()
