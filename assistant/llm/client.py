"""A small client over any LangChain chat model: generate, stream, JSON-schema output."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import jsonschema
import openai
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from assistant.core.errors import (
    BackendAuthError,
    BackendError,
    BackendUnavailableError,
    LLMOutputError,
)
from assistant.core.settings import Settings
from assistant.core.tokens import count_tokens
from assistant.llm.local import ChatLocalLlama
from assistant.llm.registry import resolve_backend

Prompt = str | Sequence[BaseMessage]


@dataclass
class Generation:
    """One completed generation, JSON-ready through :meth:`to_dict`."""

    text: str
    backend: str
    model: str
    seconds: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    data: Any = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_name(chat_model: BaseChatModel) -> str:
    for attribute in ("model_name", "model", "model_id"):
        value = getattr(chat_model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return type(chat_model).__name__


def _messages(prompt: Prompt, system: str | None) -> list[BaseMessage]:
    messages: list[BaseMessage] = (
        [HumanMessage(prompt)] if isinstance(prompt, str) else list(prompt)
    )
    if system:
        messages.insert(0, SystemMessage(system))
    return messages


def _translate_errors(exc: Exception, backend: str) -> BackendError:
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return BackendAuthError(
            f"{backend} backend rejected the credentials: {exc}",
            fix="check DRAGOMAN_OPENAI_API_KEY",
        )
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return BackendUnavailableError(
            f"{backend} backend is unreachable: {exc}", fix="check DRAGOMAN_OPENAI_BASE_URL"
        )
    return BackendError(f"{backend} backend failed: {exc}")


_WIRE_ERRORS = (openai.APIError, httpx.HTTPError)


class LLM:
    """Generation on one chat model, with the backend's name for reporting."""

    def __init__(self, chat_model: BaseChatModel, backend: str, settings: Settings) -> None:
        self.chat_model = chat_model
        self.backend = backend
        self.settings = settings
        self.model = model_name(chat_model)

    def _bound(self, schema: dict[str, Any] | None, max_tokens: int | None) -> Any:
        kwargs: dict[str, Any] = {}
        if max_tokens is not None:
            key = (
                "max_completion_tokens" if isinstance(self.chat_model, ChatOpenAI) else "max_tokens"
            )
            kwargs[key] = max_tokens
        if schema is not None and self.supports_native_schema:
            kwargs["response_format"] = self._response_format(schema)
        return self.chat_model.bind(**kwargs) if kwargs else self.chat_model

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        openai_json_object = (
            isinstance(self.chat_model, ChatOpenAI)
            and self.settings.openai.schema_mode == "json_object"
        )
        if openai_json_object:
            return {"type": "json_object", "schema": schema}
        return {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": schema, "strict": True},
        }

    @property
    def embedded(self) -> bool:
        """Whether the model runs in this process on the CPU (the small GGUF models): callers
        then ask for JSON output, keep prompts short and judge with embeddings."""
        return isinstance(self.chat_model, ChatLocalLlama)

    @property
    def supports_native_schema(self) -> bool:
        """Whether output can be constrained by the server/grammar rather than by the prompt."""
        return isinstance(self.chat_model, ChatLocalLlama | ChatOpenAI)

    def generate(
        self,
        prompt: Prompt,
        *,
        system: str | None = None,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> Generation:
        """Complete ``prompt``; with ``schema`` the output is JSON validated against it."""
        system = self._schema_instruction(system, schema)
        started = time.perf_counter()
        try:
            message = self._bound(schema, max_tokens).invoke(_messages(prompt, system))
        except _WIRE_ERRORS as exc:
            raise _translate_errors(exc, self.backend) from exc
        usage = getattr(message, "usage_metadata", None) or {}
        generation = Generation(
            text=message.text,
            backend=self.backend,
            model=self.model,
            seconds=round(time.perf_counter() - started, 3),
            input_tokens=usage.get("input_tokens"),
            output_tokens=usage.get("output_tokens"),
            finish_reason=message.response_metadata.get("finish_reason"),
        )
        if schema is not None:
            generation.data = parse_json_output(generation.text, schema)
        return generation

    def _schema_instruction(self, system: str | None, schema: dict[str, Any] | None) -> str | None:
        """Backends that cannot constrain output natively are asked for the schema in words."""
        if schema is None or self.supports_native_schema:
            return system
        instruction = "Reply with JSON only, matching this JSON schema:\n" + json.dumps(schema)
        return f"{system}\n\n{instruction}" if system else instruction

    def stream(
        self,
        prompt: Prompt,
        *,
        system: str | None = None,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> Iterator[str]:
        """Yield text pieces as the model produces them (constrained to ``schema`` if given)."""
        system = self._schema_instruction(system, schema)
        try:
            for chunk in self._bound(schema, max_tokens).stream(_messages(prompt, system)):
                if chunk.text:
                    yield chunk.text
        except _WIRE_ERRORS as exc:
            raise _translate_errors(exc, self.backend) from exc

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for this model: its own tokenizer when local, else tiktoken."""
        if isinstance(self.chat_model, ChatLocalLlama):
            return self.chat_model.get_num_tokens(text)
        return count_tokens(text, self.settings.home / "tiktoken")


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value: Any) -> Any:
    """Strings as UTF-8 can hold them: a lone surrogate (half a ``\\ud83d`` pair) → U+FFFD."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_encodable(v) for v in value]
    if isinstance(value, dict):
        return {str(_encodable(k)): _encodable(v) for k, v in value.items()}
    return value


def parse_json_output(text: str, schema: dict[str, Any]) -> Any:
    """Parse model output as JSON and validate it; a clear LLMOutputError otherwise."""
    candidate = text.strip()
    if candidate.startswith("```"):
        candidate = candidate.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise LLMOutputError(f"model output is not valid JSON ({exc.msg}): {text[:200]!r}") from exc
    except RecursionError as exc:
        raise LLMOutputError("model output nests too deeply to be an answer") from exc
    data = _encodable(data)
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        raise LLMOutputError(f"model output does not match the schema: {exc.message}") from exc
    return data


def get_llm(settings: Settings, backend: str | None = None) -> LLM:
    """The LLM for ``backend`` (default: ``settings.llm.backend``)."""
    name, chat_model = resolve_backend(backend or settings.llm.backend, settings)
    return LLM(chat_model, name, settings)
