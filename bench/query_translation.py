"""The query translation's output format on the embedded model: a JSON object or a bare string.

`ask` translates the question into the corpus's other languages for BM25, with one model call
before the answer's first token. Under a JSON grammar the model writes ``{"query": "`` token
by token before the first word; a bare JSON string spares those tokens. This puts both
formats side by side on the same questions (`bench/ask_latency.py`'s ten, then XQuAD's en/zh/es
questions, each into the other two languages), alternately per question, and reports the
seconds per call and how many translations are the same text.

    python bench/query_translation.py [--backend local] [--xquad 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)

from assistant.answering.query import LANGUAGE_NAMES, TRANSLATE_SCHEMA
from assistant.answering.query import question_language as detect
from assistant.core.errors import DragomanError
from assistant.core.settings import load_settings
from assistant.llm import get_llm
from assistant.llm.weights import MODEL_SPECS, assemble
from bench.ask_latency import QUESTIONS
from bench.support.report import print_table
from evals.datasets import corpora_dir, load_xquad
from evals.datasets import sample as sample_items
from prompts import render

FORMATS = {"object": TRANSLATE_SCHEMA, "string": TRANSLATE_SCHEMA["properties"]["query"]}
FAILED = "(failed)"


def pairs(per_language: int) -> list[tuple[str, str]]:
    """(question, target language): the bench questions into en/zh, then XQuAD's."""
    out = [(q, "zh" if detect(q) == "en" else "en") for q in QUESTIONS]
    root = corpora_dir()
    for language in ("en", "zh", "es"):
        questions = sample_items(load_xquad(root, language).questions, per_language, "translate")
        out += [(q.question, target) for q in questions for target in ("en", "zh", "es")
                if target != language]  # fmt: skip
    return out


def translate(llm: Any, question: str, target: str, form: str) -> tuple[str, float]:
    prompt = render("translate_query.j2", language_name=LANGUAGE_NAMES[target], question=question)
    started = time.perf_counter()
    try:
        data = llm.generate(prompt, schema=FORMATS[form], max_tokens=80).data
    except DragomanError:  # cut at 80 tokens (a loop): `ask` then goes without it
        return FAILED, time.perf_counter() - started
    seconds = time.perf_counter() - started
    return str(data if form == "string" else data["query"]).strip(), seconds


def run(backend: str, per_language: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        assemble(MODEL_SPECS[backend], home / "models")
        llm = get_llm(load_settings(home=home, llm_backend=backend))
        llm.generate("Reply with the word OK.", max_tokens=2)  # load and warm up
        rows = []
        for i, (question, target) in enumerate(pairs(per_language)):
            order = ("object", "string") if i % 2 == 0 else ("string", "object")
            done = {form: translate(llm, question, target, form) for form in order}
            rows.append({"question": question, "target": target,
                         **{f"{form}_text": done[form][0] for form in FORMATS},
                         **{f"{form}_s": round(done[form][1], 3) for form in FORMATS}})  # fmt: skip
            print(f"{i + 1} translated", file=sys.stderr)
    return {
        "backend": backend, "calls": len(rows),
        "object_median_s": round(statistics.median(r["object_s"] for r in rows), 3),
        "string_median_s": round(statistics.median(r["string_s"] for r in rows), 3),
        "same_text": sum(r["object_text"] == r["string_text"] for r in rows),
        "failed": {form: sum(r[f"{form}_text"] == FAILED for r in rows) for form in FORMATS},
        "rows": rows,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--xquad", type=int, default=10, help="XQuAD questions per language")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.backend, args.xquad)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print_table(("backend", "calls", "object median s", "string median s", "same text",
                 "failed (object, string)"),
                [(result["backend"], result["calls"], result["object_median_s"],
                  result["string_median_s"], result["same_text"],
                  tuple(result["failed"].values()))])  # fmt: skip
    for row in result["rows"]:
        if row["object_text"] != row["string_text"]:
            print(
                f"- {row['question']} → {row['target']}: {row['object_text']!r} | "
                f"{row['string_text']!r}"
            )


if __name__ == "__main__":
    main()
