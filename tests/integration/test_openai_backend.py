"""The `openai` backend: a real OpenAI-compatible server on loopback, and the exact wire format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.core.errors import BackendAuthError, BackendUnavailableError, LLMOutputError
from assistant.core.settings import Settings, load_settings
from assistant.llm import get_llm
from bench.support.stubs import RecordingHandler, recording
from tests.conftest import free_port
from tests.integration.test_local_backend import CAPITAL_SCHEMA, EXTRACTION_PROMPT


def openai_settings(settings: Settings, base_url: str, **extra: Any) -> Settings:
    return load_settings(
        home=settings.home,
        llm_backend="openai",
        openai_base_url=base_url,
        openai_model="qwen-small",
        llm_max_tokens=64,
        **extra,
    )


@pytest.mark.model
def test_generates_through_a_real_llama_cpp_server(settings: Settings, llama_server: str) -> None:
    llm = get_llm(openai_settings(settings, llama_server))
    generation = llm.generate("Reply with the word Paris")
    assert generation.backend == "openai"
    assert generation.model == "qwen-small"
    assert "paris" in generation.text.lower()
    assert generation.input_tokens and generation.output_tokens


@pytest.mark.model
def test_streams_through_a_real_llama_cpp_server(settings: Settings, llama_server: str) -> None:
    llm = get_llm(openai_settings(settings, llama_server))
    pieces = list(llm.stream("List the numbers from one to ten, in words, separated by commas."))
    assert len(pieces) > 5
    assert "seven" in "".join(pieces).lower()


@pytest.mark.model
def test_json_schema_through_a_real_llama_cpp_server(settings: Settings, llama_server: str) -> None:
    llm = get_llm(openai_settings(settings, llama_server, openai_schema_mode="json_object"))
    generation = llm.generate(EXTRACTION_PROMPT, schema=CAPITAL_SCHEMA)
    assert "tokyo" in generation.data["capital"].lower()


class _Recorder(RecordingHandler):
    """Answers like an OpenAI server and records exactly what arrived."""

    def reply(self, body: Any) -> Any:
        return {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "recorded",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "Bonjour"}}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8},
        }  # fmt: skip


@pytest.fixture
def recorder() -> Iterator[str]:
    with recording(_Recorder) as url:
        yield url


def _headers(index: int = -1) -> dict[str, str]:
    return {k.lower(): v for k, v in _Recorder.requests[index]["headers"].items()}


def test_default_host_key_never_reaches_a_custom_base_url(
    settings: Settings, recorder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-default-host-secret")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-default-host")
    llm = get_llm(openai_settings(settings, recorder))
    assert llm.generate("Say hello in French", system="Be brief.").text == "Bonjour"
    request = _Recorder.requests[-1]
    headers = _headers()
    assert request["path"] == "/v1/chat/completions"
    assert "authorization" not in headers
    assert "openai-organization" not in headers
    assert "sk-default-host-secret" not in json.dumps(request)
    assert request["json"]["model"] == "qwen-small"
    assert request["json"]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello in French"},
    ]
    assert request["json"]["temperature"] == 0.0
    assert request["json"]["max_completion_tokens"] == 64


def test_configured_key_is_sent_to_the_custom_base_url(
    settings: Settings, recorder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-default-host-secret")
    llm = get_llm(openai_settings(settings, recorder, openai_api_key="sk-for-this-endpoint"))
    llm.generate("hi")
    assert _headers()["authorization"] == "Bearer sk-for-this-endpoint"


def test_schema_request_format_on_the_wire(settings: Settings, recorder: str) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    strict = get_llm(openai_settings(settings, recorder))
    legacy = get_llm(openai_settings(settings, recorder, openai_schema_mode="json_object"))
    for llm in (strict, legacy):
        with pytest.raises(LLMOutputError):  # the canned reply "Bonjour" is not JSON
            llm.generate("x", schema=schema)
    assert _Recorder.requests[0]["json"]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema, "strict": True},
    }
    assert _Recorder.requests[1]["json"]["response_format"] == {
        "type": "json_object",
        "schema": schema,
    }


def test_missing_key_for_the_default_host_names_the_fix(settings: Settings) -> None:
    with pytest.raises(BackendAuthError) as excinfo:
        get_llm(load_settings(home=settings.home, llm_backend="openai"))
    assert "DRAGOMAN_OPENAI_API_KEY" in str(excinfo.value)


def test_unreachable_endpoint_is_a_clear_error(settings: Settings) -> None:
    llm = get_llm(openai_settings(settings, f"http://127.0.0.1:{free_port()}/v1"))
    with pytest.raises(BackendUnavailableError, match="unreachable"):
        llm.generate("hi")
