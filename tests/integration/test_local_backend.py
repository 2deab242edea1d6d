"""The embedded backend on the real 0.5B model: generation, streaming, JSON schema, tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.errors import LLMOutputError
from assistant.core.settings import Settings
from assistant.llm import get_llm
from assistant.llm.local import ChatLocalLlama, grammar_safe
from tests.conftest import cli_env, run_cli

pytestmark = pytest.mark.model

CAPITAL_SCHEMA = {
    "type": "object",
    "properties": {
        "country": {"type": "string"},
        "capital": {"type": "string"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["country", "capital", "confidence"],
    "additionalProperties": False,
}
EXTRACTION_PROMPT = "Text: 'Tokyo is the capital of Japan.' Extract the country and its capital."


def test_generates_real_text_offline(settings: Settings) -> None:
    llm = get_llm(settings)
    generation = llm.generate("Reply with the word Paris")
    assert "paris" in generation.text.lower()
    assert generation.backend == "local-small"
    assert generation.model.endswith(".gguf")
    assert generation.input_tokens and generation.input_tokens > 5
    assert generation.output_tokens and generation.output_tokens >= 1


def test_streams_tokens_incrementally(settings: Settings) -> None:
    llm = get_llm(settings)
    pieces = list(llm.stream("List the numbers from one to ten, in words, separated by commas."))
    assert len(pieces) > 5, "streaming must yield the answer in several pieces"
    text = "".join(pieces).lower()
    # in words or in digits: builds for different instruction sets round differently, and
    # the 0.5B's greedy choice between the two flips with them
    assert ("three" in text or "3" in text) and ("seven" in text or "7" in text), text


def test_honours_json_schema(settings: Settings) -> None:
    llm = get_llm(settings)
    generation = llm.generate(EXTRACTION_PROMPT, schema=CAPITAL_SCHEMA)
    assert set(generation.data) == {"country", "capital", "confidence"}
    assert "tokyo" in generation.data["capital"].lower()
    assert json.loads(generation.text) == generation.data


def test_schema_output_cut_by_token_limit_is_a_clear_error(settings: Settings) -> None:
    llm = get_llm(settings)
    with pytest.raises(LLMOutputError, match="not valid JSON"):
        llm.generate("Describe Japan at length.", schema=CAPITAL_SCHEMA, max_tokens=3)


def test_counts_tokens_with_the_models_own_tokenizer(settings: Settings) -> None:
    llm = get_llm(settings)
    assert isinstance(llm.chat_model, ChatLocalLlama)
    text = "中华人民共和国外交部 — Ministry of Foreign Affairs"
    expected = len(llm.chat_model.llama.tokenize(text.encode(), add_bos=False, special=True))
    assert llm.count_tokens(text) == expected > 5


def test_cli_llm_json_and_stream(home: Path, small_model: Path) -> None:
    env = cli_env(home, DRAGOMAN_LLM_BACKEND="local-small")
    result = run_cli("llm", "Reply with the word Paris", "--json", env=env)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["backend"] == "local-small"
    assert "paris" in payload["text"].lower()
    streamed = run_cli("llm", "Reply with the word Paris", env=env)
    assert streamed.returncode == 0, streamed.stderr
    assert "paris" in streamed.stdout.lower()


def test_cli_llm_default_backend_answers_in_french(home: Path) -> None:
    """The README's smoke command, on the default 1.5B model assembled on first use."""
    result = run_cli("llm", "Say hello in French", "--json", env=cli_env(home))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["backend"] == "local"
    assert "1.5b" in payload["model"]
    assert any(word in payload["text"].lower() for word in ("bonjour", "salut"))


def test_long_string_bounds_do_not_crash_the_grammar(settings: Settings) -> None:
    """llama.cpp refuses (and llama-cpp-python then crashes on) a string bound over ~1,000
    characters; such bounds are lowered for the grammar and the schema still validates."""
    schema = {
        "type": "object",
        "properties": {
            str(i): {"type": "string", "minLength": 1, "maxLength": 1500} for i in (1, 2)
        },
        "required": ["1", "2"],
    }
    generation = get_llm(settings).generate(
        "Translate into French: 1. Good morning. 2. Thank you.", schema=schema, max_tokens=40
    )
    assert set(generation.data) == {"1", "2"}
    safe = grammar_safe({"type": "array", "maxItems": 5000, "items": schema})
    assert safe["maxItems"] == 900 and safe["items"]["properties"]["1"]["maxLength"] == 900
    assert schema["properties"]["1"]["maxLength"] == 1500  # the caller's schema is untouched


def test_the_prompt_cache_is_bounded_by_what_it_holds(settings: Settings) -> None:
    """Each cached state keeps one row of logits (not one per prompt token, ~0.6 MB each),
    the capacity counts them, and a prompt sharing the system prompt still reuses it."""
    llm = get_llm(settings)
    system = "You are a terse assistant. Reply with one word. " * 8
    for question in ("Capital of Japan?", "Capital of France?", "Capital of Peru?"):
        llm.generate(question, system=system, max_tokens=4)
    cache = llm.chat_model.llama.cache  # type: ignore[attr-defined]
    states = list(cache.cache_state.values())
    assert states and all(s.scores.shape[0] == 1 for s in states)
    assert cache.cache_size == sum(
        s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes for s in states
    )
    assert cache.cache_size <= cache.capacity_bytes


SOURCES = (
    "[1] The Presidential Delegation will attend the World Expo in Osaka, Japan, on 19 July "
    "2025; Secretary Scott Bessent leads it.\n[2] Brazil will host COP-30 in Belém in 2025.\n"
    "[3] 2024年政府工作报告提出城镇新增就业1200万人以上。"
)
QUESTIONS = ("Which city will the delegation visit?", "Where is COP-30?", "就业目标是多少？")


def test_the_fast_grammar_sampler_writes_what_the_library_writes(small_model: Path) -> None:
    """Greedy decoding under a grammar checks the best token first (assistant.llm.sampling):
    the library's sampler chain, on the same model and prompts, writes the same tokens. And
    the same prompt gives the same tokens whatever came before (issue 49): ours reuses the
    previous prompts' prefix in whole prefill blocks; the library's runs each prompt afresh."""
    from llama_cpp import Llama

    from assistant.grounding.generation import answer_schema
    from assistant.llm.local import PREFILL_BLOCK, _fast_grammar_llama, grammar_response_format
    from assistant.llm.sampling import GreedyGrammarSampler

    formats = [grammar_response_format({"type": "json_schema", "json_schema": {"schema": s}})
               for s in (answer_schema(3, 4), CAPITAL_SCHEMA)]  # fmt: skip
    written: dict[str, list[str]] = {}
    for name, cls in (("library", Llama), ("fast", _fast_grammar_llama())):
        model = cls(
            model_path=str(small_model),
            n_ctx=2048,
            n_threads=2,
            verbose=False,
            n_batch=PREFILL_BLOCK,
        )
        written[name] = []
        for question in QUESTIONS:
            for response_format in formats:
                if name == "library":
                    model.reset()  # a fresh run: nothing reused
                messages = [{"role": "system", "content": "Reply with JSON."},
                            {"role": "user", "content": f"{SOURCES}\nQuestion: {question}"}]  # fmt: skip
                reply = model.create_chat_completion(
                    messages=messages, max_tokens=64, temperature=0.0,
                    response_format=response_format,
                )  # fmt: skip
                written[name].append(reply["choices"][0]["message"]["content"])
        if name == "fast":
            assert isinstance(model._sampler, GreedyGrammarSampler)  # the fast path was taken
        del model
    assert written["fast"] == written["library"]
    assert all(json.loads(text) for text in written["fast"])


def test_the_installed_llama_cpp_is_built_for_this_cpu() -> None:
    """`make install` compiles llama.cpp for the instruction sets of the CPU it runs on
    (assistant/llm/cpu_build.py): nothing this CPU lacks (SIGILL), no AMX (the Q4_K crash),
    and nothing it has left unused (AVX-512: prefill about 1.5x faster than AVX2)."""
    from assistant.llm import cpu_build

    info = cpu_build.installed_build()
    flags = cpu_build.cpu_flags()
    assert cpu_build.build_problem(info, flags) is None, info
    unused = cpu_build.unused_on_cpu(cpu_build.compiled(info), flags)
    assert unused == [], f"compiled without {unused} that this CPU has: run `make llama` ({info})"
