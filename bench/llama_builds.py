"""llama.cpp compiled for different instruction sets, side by side: prefill, decode, `ask`.

Each build is a folder holding a ``llama_cpp`` package (an unpacked llama-cpp-python wheel,
or a virtual environment's ``site-packages``); ``installed`` is the one this environment has.
For each build, alternately and each in its own process: the 1.5B's prefill of a 400-token
prompt and 48 greedy tokens directly through ``llama_cpp`` (2 threads), then the ten `ask`
questions of ``bench/ask_latency.py`` on the demo corpus (after one warm-up), with their time
to first token and whether the answers are the same as the first build's.

    CMAKE_ARGS="$(python assistant/llm/cpu_build.py cmake-args)" pip wheel --no-deps \\
        --no-cache-dir llama-cpp-python==0.3.36 -w /tmp/w && unzip -q /tmp/w/*.whl -d /tmp/avx512
    python bench/llama_builds.py --build installed --build /tmp/avx512 [--rounds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)

from bench.ask_latency import ask_each, build, first_token_s, percentile
from bench.support.report import print_table

PROMPT = ("The General Assembly reaffirmed its commitment to the sovereignty, political "
          "independence, unity and territorial integrity of Ukraine within its "
          "internationally recognized borders. ") * 40  # fmt: skip


def _raw_speed(model: Path) -> dict[str, Any]:
    """Prefill tokens/s (median of three 400-token prompts) and 48 greedy tokens."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(model), n_ctx=2048, n_threads=2, n_threads_batch=2,
                verbose=False, seed=0)  # fmt: skip
    tokens = llm.tokenize(PROMPT.encode())[:400]
    speeds = []
    for _ in range(3):
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        speeds.append(len(tokens) / (time.perf_counter() - started))
    llm.reset()
    started = time.perf_counter()
    out = llm.create_completion(PROMPT[:400] + " In short:", max_tokens=48, temperature=0.0)
    decode_s = time.perf_counter() - started
    return {"prefill_tok_s": round(statistics.median(speeds), 1),
            "completion_48_s": round(decode_s, 2), "completion": out["choices"][0]["text"]}  # fmt: skip


def one_build(home: Path, backend: str) -> dict[str, Any]:
    """What the child process measures with the build first on its path."""
    from assistant.components import Components
    from assistant.core.settings import load_settings
    from assistant.llm.cpu_build import installed_build
    from assistant.llm.weights import MODEL_SPECS, assemble

    model = assemble(MODEL_SPECS[backend], home / "models")
    raw = _raw_speed(model)
    settings = load_settings(home=home, llm_backend=backend, ask_save_runs=False)
    engine = Components(settings).engine()
    rows = [{"question": question, "answer": result.answer,
             "ttft": first_token_s(result.timings), "total": result.timings["total_s"],
             "refused": result.refused}
            for question, result in ask_each(engine)]  # fmt: skip
    return {"system_info": installed_build(), **raw, "rows": rows}


def _run_child(home: Path, backend: str, build_dir: str) -> dict[str, Any]:
    env = dict(os.environ)
    if build_dir != "installed":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [build_dir, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(home), "--backend", backend],
        check=False, capture_output=True, text=True, env=env,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"the run with build {build_dir} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"build": build_dir, **result}


def summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row a run; answers and the raw completion compared with the first run's."""
    first = runs[0]
    reference = {r["question"]: r["answer"] for r in first["rows"]}
    out = []
    for run in runs:
        rows = run["rows"]
        features = [f.split(" = ")[0] for f in run["system_info"].split(" | ") if "AVX" in f]
        out.append({
            "build": run["build"], "avx": " ".join(features) or "-",
            "prefill_tok_s": run["prefill_tok_s"], "completion_48_s": run["completion_48_s"],
            "same_completion": run["completion"] == first["completion"],
            "questions": len(rows), "ttft_p50_s": percentile([r["ttft"] for r in rows], 0.5),
            "total_p50_s": percentile([r["total"] for r in rows], 0.5),
            "refused": sum(bool(r.get("refused")) for r in rows),
            "same_answer_as_first_run": sum(r["answer"] == reference[r["question"]] for r in rows),
        })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", action="append", default=[],
                        help="a folder holding llama_cpp, or 'installed'; give two or more")  # fmt: skip
    parser.add_argument("--backend", default="local")
    parser.add_argument("--rounds", type=int, default=2, help="every build, alternately")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_build(args.child, args.backend)))
        return
    if len(args.build) < 2:
        parser.error("give two or more --build")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        build(home)
        for _ in range(args.rounds):
            for build_dir in args.build:
                runs.append(_run_child(home, args.backend, build_dir))
                print(f"done: {build_dir}", file=sys.stderr)
    rows = summary(runs)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    headers = ("build", "AVX sets", "prefill tok/s", "48 tokens s", "same completion", "n",
               "TTFT p50 s", "total p50 s", "refused", "same answer as the first run")  # fmt: skip
    print_table(headers, [tuple(r.values()) for r in rows])


if __name__ == "__main__":
    main()
