"""Time to first token and total time of `ask` on the embedded models (2 threads).

Ingests the demo corpus (UN, White House, PRC files) into a fresh home, warms each model up
with one question (not counted: model load, first prefill of the system prompt), then asks
the questions below and reports p50/p95 of time to first token and of total time, and the
context tokens before/after compression (cl100k) and the prompt tokens (model tokenizer).

    python bench/ask_latency.py [--backends local,local-small] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)

from assistant.components import Components
from assistant.core.settings import load_settings
from assistant.llm.weights import MODEL_SPECS, assemble
from bench.support.processes import DEMO
from bench.support.report import print_table

QUESTIONS = [
    "Which city will the presidential delegation visit for the World Expo?",
    "What did the United States and China agree in Geneva?",
    "What target for GDP growth did the Chinese government set for 2025?",
    "What did Brazil say about climate change at the UN?",
    "美国和乌克兰会谈达成了什么？",
    "2024年政府工作报告提出的城镇新增就业目标是多少？",
    "What critical minerals framework did the United States and Japan sign?",
    "What is the population of Brazil?",
    "What did India's Prime Minister and President Trump discuss?",
    "How does France view reform of the UN Security Council?",
]


def build(home: Path) -> None:
    def dragoman(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "assistant", *args], check=True,
                       env={"DRAGOMAN_HOME": str(home), "HF_HUB_OFFLINE": "1",
                            "PATH": "/usr/bin:/bin"}, capture_output=True)  # fmt: skip

    dragoman("ingest", str(DEMO / "whitehouse"), "--kind", "news", "--source", "The White House")
    dragoman("ingest", str(DEMO / "prc"), "--kind", "policy", "--map", "text=content",
             "--set", "published_at={year}-03-05")  # fmt: skip
    dragoman("ingest", str(DEMO / "un"), "--kind", "policy", "--source", "UN General Debate",
             "--filename-pattern", r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$",
             "--set", "title={country_name} — UN General Debate, session {session} ({year})")  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))], 2)


def ask_each(engine: Any) -> list[tuple[str, Any]]:
    """One warm-up question (model load, the system prompt's first prefill), then every
    question once, with the evidence shown first as in the web app: (question, result)."""
    engine.ask("Warm-up: what is the World Expo?")
    return [(q, engine.ask(q, on_evidence=lambda sources: None)) for q in QUESTIONS]


def first_token_s(timings: dict[str, float]) -> float:
    """Time to the first answer character (the total when nothing was generated)."""
    return timings.get("first_token_s", timings["total_s"])


def measure(home: Path, backend: str) -> dict[str, Any]:
    assemble(MODEL_SPECS[backend], home / "models")
    engine = Components(load_settings(home=home, llm_backend=backend, ask_save_runs=False)).engine()
    rows = []
    for _, result in ask_each(engine):
        timings = result.timings
        rows.append({"ttft": first_token_s(timings),
                     "evidence": timings["evidence_s"], "total": timings["total_s"],
                     "stages": {k: v for k, v in timings.items() if k.endswith("_s")},
                     "refused": result.refused, **dict(result.tokens)})  # fmt: skip
    stages = sorted({name for r in rows for name in r["stages"]})
    return {
        "backend": backend,
        "questions": len(rows),
        "evidence_p50_s": percentile([r["evidence"] for r in rows], 0.5),
        "evidence_p95_s": percentile([r["evidence"] for r in rows], 0.95),
        "ttft_p50_s": percentile([r["ttft"] for r in rows], 0.5),
        "ttft_p95_s": percentile([r["ttft"] for r in rows], 0.95),
        "stage_medians_s": {
            name: round(statistics.median(r["stages"].get(name, 0.0) for r in rows), 3)
            for name in stages
        },
        "total_p50_s": percentile([r["total"] for r in rows], 0.5),
        "total_p95_s": percentile([r["total"] for r in rows], 0.95),
        "context_tokens_before_median": statistics.median(r["context_before"] for r in rows),
        "context_tokens_after_median": statistics.median(r["context_after"] for r in rows),
        "prompt_tokens_median": statistics.median(r["prompt"] or 0 for r in rows),
        "refused": sum(r["refused"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="local,local-small")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        build(home)
        rows = [measure(home, backend) for backend in args.backends.split(",")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    headers = ("backend", "n", "evidence p50 s", "evidence p95 s", "TTFT p50 s", "TTFT p95 s",
               "total p50 s", "total p95 s", "context tokens before → after", "prompt tokens",
               "refused")  # fmt: skip
    print_table(headers, [
        (r["backend"], r["questions"], r["evidence_p50_s"], r["evidence_p95_s"],
         r["ttft_p50_s"], r["ttft_p95_s"], r["total_p50_s"],
         r["total_p95_s"],
         f"{r['context_tokens_before_median']} → {r['context_tokens_after_median']}",
         r["prompt_tokens_median"], r["refused"])
        for r in rows
    ])  # fmt: skip
    for r in rows:
        stages = ", ".join(f"{k} {v}" for k, v in r["stage_medians_s"].items())
        print(f"{r['backend']} stage medians: {stages}")


if __name__ == "__main__":
    main()
