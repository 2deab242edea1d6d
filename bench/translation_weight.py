"""How much the translated question should weigh in `ask`'s search, on analysts' questions.

`ask` translates the question into the corpus's other languages for BM25; the fusion weight of
those rankings is ``DRAGOMAN_FUSION_TRANSLATION_WEIGHT``. On XQuAD the translation lowered
recall@5 with the e5 cascade (bench/RESULTS.md), but XQuAD's single-language pools cannot show
what the translation exists for: a figure only a Chinese report holds, asked in English. This
asks analyst-qa's answerable questions on the demo corpus, indexed as `make demo` does with the
re-ranking vectors filled (as `serve` does in the background), through `ask`'s own retrieval
stages with the 1.5B's translations (computed once per question, shared by every condition),
and reports for each condition how often the gold passage reaches the model and is in the
search's top k.

Conditions: the translation weighed 0 (every other-language BM25 ranking off), 0.25, 0.5 and 1
(today's default); and no translation at all (``ask_translate_query`` off: the other languages
are searched by the country names only, at weight 1).

    python bench/translation_weight.py [--backend local] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)

from assistant.answering.pipeline import AskEngine
from assistant.components import Components
from assistant.core.settings import Settings, load_settings
from assistant.grounding.stages import Turn
from assistant.llm.weights import MODEL_SPECS, assemble
from bench.support.report import print_table
from evals.metrics import wilson_interval
from evals.suites.analyst_qa import gold_reached, index_demo_corpus, load_questions

CONDITIONS: dict[str, dict[str, Any]] = {
    "weight 0": {"fusion_translation_weight": 0.0},
    "weight 0.25": {"fusion_translation_weight": 0.25},
    "weight 0.5": {"fusion_translation_weight": 0.5},
    "weight 1 (default)": {"fusion_translation_weight": 1.0},
    "no translation (names only)": {"ask_translate_query": False},
}


def prepare(home: Path, backend: str) -> tuple[Settings, AskEngine, dict[str, str]]:
    assemble(MODEL_SPECS[backend], home / "models")
    settings = load_settings(home=home, llm_backend=backend, ask_save_runs=False)
    engine = Components(settings).engine()
    print("indexing the demo corpus…", file=sys.stderr)
    texts = index_demo_corpus(engine)
    rerank = engine.retrieval.rerank
    if rerank is not None:
        rerank.fill(
            engine.retrieval.index,
            progress=lambda done, todo: print(f"\rre-ranking vectors {done}/{todo}",
                                              end="", file=sys.stderr),
        )  # fmt: skip
        print(file=sys.stderr)
    return settings, engine, texts


def in_results(question: dict[str, Any], results: list[Any], texts: dict[str, str]) -> bool:
    spans = [{"doc_id": r.doc_id, "spans": [[r.start, r.end]]} for r in results]
    return gold_reached(question, spans, texts)


def measure(
    settings: Settings, engine: AskEngine, texts: dict[str, str], question: dict[str, Any]
) -> dict[str, Any]:
    history = []
    for earlier in question["history"]:
        history.append(Turn(earlier, engine.ask(earlier).answer))
    row: dict[str, Any] = {"id": question["id"], "question": question["question"]}
    for name, update in CONDITIONS.items():
        changed = settings.model_copy(update=update)
        engine.settings = engine.retrieval.settings = changed
        started = time.perf_counter()
        _, results, context = engine.retrieve(question["question"], history=history)
        row[name] = {
            "context": gold_reached(question, [p.citation() for p in context.passages], texts),
            "top_k": in_results(question, results, texts),
            "seconds": round(time.perf_counter() - started, 3),
        }
    engine.settings = engine.retrieval.settings = settings
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    n = len(rows)
    for name in CONDITIONS:
        context = sum(r[name]["context"] for r in rows)
        top_k = sum(r[name]["top_k"] for r in rows)
        out[name] = {
            "n": n,
            "gold_reached_model": context / n,
            "gold_reached_interval": wilson_interval(context, n),
            "gold_in_top_k": top_k / n,
            "gold_in_top_k_interval": wilson_interval(top_k, n),
            "lost_vs_default": [r["id"] for r in rows
                                if r["weight 1 (default)"]["context"] and not r[name]["context"]],
            "gained_vs_default": [r["id"] for r in rows
                                  if r[name]["context"] and not r["weight 1 (default)"]["context"]],
        }  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--limit", type=int, default=None, help="answerable questions")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    questions = [q for q in load_questions() if q["answerable"]][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        settings, engine, texts = prepare(Path(tmp), args.backend)
        rows = []
        for n, question in enumerate(questions, 1):
            rows.append(measure(settings, engine, texts, question))
            print(f"\rquestions {n}/{len(questions)}", end="", file=sys.stderr)
        print(file=sys.stderr)
    summary = summarise(rows)
    if args.json:
        print(json.dumps({"summary": summary, "questions": rows}, ensure_ascii=False, indent=1))
        return

    def cell(share: float, interval: tuple[float, float]) -> str:
        return f"{share:.3f} [{interval[0]:.2f}, {interval[1]:.2f}]"

    print_table(
        ["condition", "n", "gold passage reached the model", "gold in top k", "lost", "gained"],
        [(name, s["n"], cell(s["gold_reached_model"], s["gold_reached_interval"]),
          cell(s["gold_in_top_k"], s["gold_in_top_k_interval"]),
          ", ".join(s["lost_vs_default"]) or "–", ", ".join(s["gained_vs_default"]) or "–")
         for name, s in summary.items()],
    )  # fmt: skip


if __name__ == "__main__":
    main()
