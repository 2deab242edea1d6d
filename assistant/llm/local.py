"""The embedded backend: llama.cpp in-process, as a LangChain chat model.

One ``llama_cpp.Llama`` per (model file, context, threads) is kept for the
process; generations on it are serialised by a lock (llama.cpp contexts are not
thread-safe).  A RAM prompt cache lets repeated prompt prefixes (the system
prompt, the same sources) skip prefill, which dominates on CPU.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from assistant.core.errors import BackendUnavailableError, InputError
from assistant.llm.cpu_build import build_problem, cpu_flags, installed_build
from assistant.llm.sampling import GreedyGrammarSampler, fast_grammar_applies

_INSTANCES: dict[tuple[str, int, int, int], Any] = {}
_INSTANCES_LOCK = threading.Lock()
_GENERATION_LOCKS: dict[int, threading.Lock] = {}


def _load_llama(path: Path, n_ctx: int, threads: int, cache_mb: int, seed: int) -> Any:
    key = (str(path), n_ctx, threads, cache_mb)
    with _INSTANCES_LOCK:
        if key in _INSTANCES:
            return _INSTANCES[key]
        try:
            llama_class = _fast_grammar_llama()
        except ImportError as exc:
            raise BackendUnavailableError(
                "llama-cpp-python is not installed", fix="pip install llama-cpp-python==0.3.36"
            ) from exc
        refuse_unrunnable_build()
        try:
            llama = llama_class(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=PREFILL_BLOCK,
                seed=seed,
                verbose=False,
            )
        except ValueError as exc:
            raise BackendUnavailableError(
                f"llama.cpp cannot load {path}: {exc}", fix="run `dragoman doctor`"
            ) from exc
        if cache_mb > 0:
            llama.set_cache(prompt_cache(cache_mb * 1024 * 1024))
        _INSTANCES[key] = llama
        _GENERATION_LOCKS[id(llama)] = threading.Lock()
        return llama


def refuse_unrunnable_build() -> None:
    """A clear error instead of the SIGILL or segfault that a build for another CPU gives."""
    problem = build_problem(installed_build(), cpu_flags())
    if problem:
        raise BackendUnavailableError(
            problem, fix="rebuild it for this CPU: `make llama` (assistant/llm/cpu_build.py)"
        )


def _fast_grammar_llama() -> type[Any]:
    """llama-cpp-python's ``Llama`` whose greedy grammar-constrained decoding checks the
    best token first (:mod:`assistant.llm.sampling`): the same tokens, faster."""
    from llama_cpp import Llama

    class FastGrammarLlama(Llama):
        _prefilled = 0  # positions of the context that a prompt's prefill computed

        def generate(self, tokens: Sequence[int], *args: Any, **kwargs: Any) -> Any:
            """llama-cpp-python's generation, with a reused prefix cut back to a whole
            number of prefill blocks of the prompt's own (:func:`reusable_prefix`): the
            same prompt gives the same tokens whatever was asked before."""
            tokens = list(tokens)
            keep = reusable_prefix(
                list(self._input_ids[: min(self.n_tokens, self._prefilled)]),
                tokens,
                self.n_batch,
            )
            if keep < self.n_tokens:
                self._ctx.kv_cache_seq_rm(-1, keep, -1)
                self.n_tokens = keep
            self._prefilled = len(tokens)
            if self.cache is not None:
                cast(Any, self.cache).prompt_length = len(tokens)
            return (yield from super().generate(tokens, *args, **kwargs))

        def load_state(self, state: Any) -> None:
            super().load_state(state)
            self._prefilled = self.n_tokens  # a cached state holds its prompt only

        def _init_sampler(self, **options: Any) -> Any:  # type: ignore[override]
            penalties = (options.get("repeat_penalty", 1.0),
                         options.get("frequency_penalty", 0.0),
                         options.get("presence_penalty", 0.0))  # fmt: skip
            grammar = options.get("grammar")
            if fast_grammar_applies(temp=options.get("temp", 0.8), grammar=grammar,
                                    logits_processor=options.get("logits_processor"),
                                    penalties=penalties):  # fmt: skip
                return GreedyGrammarSampler(self._model, grammar, self._n_vocab)
            return super()._init_sampler(**options)

    return FastGrammarLlama


PREFILL_BLOCK = 64  # tokens a prompt is evaluated in, from position 0 (llama.cpp n_batch)


def reusable_prefix(held: list[int], tokens: list[int], block: int) -> int:
    """How much of the context's prefill (``held``) a new prompt reuses: their common
    prefix cut back to a whole number of blocks, and never the whole prompt.

    llama.cpp's results for a token depend on the batch it is evaluated in; reusing a
    prefix of any length would evaluate the rest in batches that start elsewhere than a
    fresh run's, and the small model's greedy choice can then differ ("GDP增长率目标"
    after one prompt, "GDP增长目标" after another). Evaluated from a block boundary, every
    block holds the tokens it would in a fresh run. Only positions a prompt's prefill
    computed count (generated tokens were evaluated one by one)."""
    common = 0
    for a, b in zip(held, tokens, strict=False):
        if a != b:
            break
        common += 1
    keep = common - common % block
    if keep >= len(tokens):  # a prompt met in full: its last block is evaluated again
        keep = max(0, len(tokens) - 1) // block * block
    return keep


def prompt_cache(capacity_bytes: int) -> Any:
    """A RAM prompt cache bounded by what its states really hold.

    llama-cpp-python 0.3's ``LlamaRAMCache`` counts only a state's KV bytes, but each state
    also copies the logits of every prompt token (tokens × vocabulary floats: about 0.6 MB a
    token for Qwen), so its "256 MB" cache grew by 40–250 MB a call (8.9 GB after 137
    `positions` calls, measured). A restored state is always re-evaluated from its last
    token before sampling (``Llama.generate``), so only the last row of logits is kept, and
    the capacity counts logits and token ids too."""
    from llama_cpp.llama_cache import LlamaRAMCache

    class PromptCache(LlamaRAMCache):
        @property
        def cache_size(self) -> int:
            states = self.cache_state.values()
            return sum(s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes for s in states)

        prompt_length: int | None = None  # set by the model before each generation

        def __setitem__(self, key: Any, value: Any) -> None:
            if self.prompt_length is not None:  # the prompt's positions, not the output's
                key = key[: self.prompt_length]
                value.n_tokens = min(value.n_tokens, self.prompt_length)
            value.scores = value.scores[-1:].copy()
            super().__setitem__(key, value)

    return PromptCache(capacity_bytes=capacity_bytes)


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ChatMessage):
        return message.role
    raise InputError(f"the local backend cannot send a {type(message).__name__}")


def to_llama_messages(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _role(m), "content": m.text} for m in messages]


# llama.cpp's grammar parser refuses a bounded repetition that expands past its limit
# (``MAX_REPETITION_THRESHOLD``): measured with llama-cpp-python 0.3.36, a string with
# maxLength 1,100 is refused, 1,000 accepted — and the refusal crashes the process.  Bounds
# above this are lowered to it (the output is validated against the caller's schema after).
GRAMMAR_MAX_REPEAT = 900


def grammar_safe(schema: Any) -> Any:
    """A copy of ``schema`` whose ``maxLength``/``maxItems`` bounds llama.cpp can compile."""
    if isinstance(schema, list):
        return [grammar_safe(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    safe = {key: grammar_safe(value) for key, value in schema.items()}
    for bound in ("maxLength", "maxItems"):
        if isinstance(safe.get(bound), int) and safe[bound] > GRAMMAR_MAX_REPEAT:
            safe[bound] = GRAMMAR_MAX_REPEAT
    for floor in ("minLength", "minItems"):
        if isinstance(safe.get(floor), int) and safe[floor] > GRAMMAR_MAX_REPEAT:
            raise InputError(f"{floor} {safe[floor]} is over the embedded model's grammar limit")
    return safe


def grammar_response_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """Accept OpenAI-style ``json_schema`` response formats and map them to llama.cpp's, with
    bounds the grammar compiler accepts."""
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = response_format.get("json_schema", {}).get("schema")
        return {"type": "json_object", "schema": grammar_safe(schema)}
    if kind == "json_object" and "schema" in response_format:
        return {**response_format, "schema": grammar_safe(response_format["schema"])}
    if kind in ("json_object", "text"):
        return response_format
    raise InputError(f"unsupported response_format type {kind!r}")


class ChatLocalLlama(BaseChatModel):
    """Qwen (or any GGUF) through llama-cpp-python, streaming and grammar-constrained."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path
    weights_profile: str = "local"
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0
    prompt_cache_mb: int = 256
    stop_sequences: list[str] = Field(default_factory=list)
    _llama: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "dragoman-llama-cpp"

    @property
    def model_name(self) -> str:
        return self.model_path.name

    @property
    def llama(self) -> Any:
        if self._llama is None:
            self._llama = _load_llama(
                self.model_path, self.n_ctx, self.n_threads, self.prompt_cache_mb, self.seed
            )
        return self._llama

    def get_num_tokens(self, text: str) -> int:
        """Count with the model's own tokenizer."""
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "seed": self.seed,
            "stop": (stop or []) + self.stop_sequences or None,
            "response_format": grammar_response_format(kwargs.get("response_format")),
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama = self.llama
        with _GENERATION_LOCKS[id(llama)]:
            result = llama.create_chat_completion(
                messages=to_llama_messages(messages), **self._params(stop, kwargs)
            )
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={
                "finish_reason": choice.get("finish_reason"),
                "model": self.model_name,
            },
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama = self.llama
        with _GENERATION_LOCKS[id(llama)]:
            for part in llama.create_chat_completion(
                messages=to_llama_messages(messages), stream=True, **self._params(stop, kwargs)
            ):
                choice = part["choices"][0]
                text = choice.get("delta", {}).get("content") or ""
                if not text and not choice.get("finish_reason"):
                    continue
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(
                        content=text,
                        response_metadata={"finish_reason": choice.get("finish_reason")},
                    )
                )
                if run_manager and text:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
