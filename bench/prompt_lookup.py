"""Prompt-lookup decoding on `ask` (issue 24's lever), side by side with plain decoding.

llama-cpp-python's ``LlamaPromptLookupDecoding`` drafts the next tokens from an n-gram of
the prompt (an answer copies its sources) and checks them in one batch; greedy decoding
keeps only what the model itself would have written.  The library turns on the logits of
every position whenever a draft model is set (``logits_all``), the prompt's included, and
keeps them in a table of context × vocabulary floats (2.5 GB for Qwen at 4,096 tokens).
This puts both on the demo corpus in one run, each mode in its own process, alternately:
time to first token, total time, and whether the answers are the same.

    python bench/prompt_lookup.py [--backend local] [--draft 10] [--rounds 2] [--json]
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

from bench.ask_latency import ask_each, build, first_token_s, percentile
from bench.support.report import print_table


def _draft_with_prompt_lookup(tokens: int) -> None:
    """Every model this process loads drafts ``tokens`` tokens by prompt lookup."""
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    from assistant.llm import local

    plain = local._fast_grammar_llama

    def drafting() -> type[Any]:
        base = plain()

        class Drafting(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                draft = LlamaPromptLookupDecoding(num_pred_tokens=tokens)
                # logits_all too: with a draft model alone the library sizes its logits
                # table for one batch and overruns it past 512 tokens (0.3.36)
                super().__init__(*args, draft_model=draft, logits_all=True, **kwargs)

        return Drafting

    local._fast_grammar_llama = drafting


def one_mode(home: Path, backend: str, draft: int) -> dict[str, Any]:
    """Ask every question once (after one warm-up) with ``draft`` tokens drafted (0: off)."""
    from assistant.components import Components
    from assistant.core.settings import load_settings
    from assistant.llm.weights import MODEL_SPECS, assemble

    if draft:
        _draft_with_prompt_lookup(draft)
    assemble(MODEL_SPECS[backend], home / "models")
    settings = load_settings(home=home, llm_backend=backend, ask_save_runs=False)
    engine = Components(settings).engine()
    rows = [{"question": question, "answer": result.answer,
             "ttft": first_token_s(result.timings),
             "generate": result.timings.get("generate_s", 0.0),
             "total": result.timings["total_s"]}
            for question, result in ask_each(engine)]  # fmt: skip
    return {"draft": draft, "rows": rows}


def _run_child(home: Path, backend: str, draft: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(home), "--backend", backend,
         "--draft", str(draft)],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"the run with {draft} draft tokens failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    plain = [r for r in runs if not r["draft"]]
    out = []
    for run in runs:
        rows = run["rows"]
        same = None
        if plain and run is not plain[0]:  # a second plain run shows plain's own spread
            reference = {r["question"]: r["answer"] for r in plain[0]["rows"]}
            same = sum(r["answer"] == reference[r["question"]] for r in rows)
        out.append({
            "draft_tokens": run["draft"], "questions": len(rows),
            "ttft_p50_s": percentile([r["ttft"] for r in rows], 0.5),
            "generate_median_s": round(statistics.median(r["generate"] for r in rows), 2),
            "total_p50_s": percentile([r["total"] for r in rows], 0.5),
            "same_answer_as_plain": same,
        })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--draft", type=int, default=10, help="tokens drafted per lookup")
    parser.add_argument("--rounds", type=int, default=2, help="plain and drafting, alternately")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_mode(args.child, args.backend, args.draft)))
        return
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        build(home)
        for _ in range(args.rounds):
            for draft in (0, args.draft):
                runs.append(_run_child(home, args.backend, draft))
    rows = summary(runs)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    headers = ("draft tokens", "n", "TTFT p50 s", "generation median s", "total p50 s",
               "same answer as the first plain run")  # fmt: skip
    print_table(headers, [
        (r["draft_tokens"], r["questions"], r["ttft_p50_s"], r["generate_median_s"],
         r["total_p50_s"], r["same_answer_as_plain"])
        for r in rows
    ])  # fmt: skip


if __name__ == "__main__":
    main()
