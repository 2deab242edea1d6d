"""The backend registry: built-ins, a scripted model registered like a plugin, LangChain models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.core.errors import ConfigError, LLMOutputError
from assistant.core.settings import Settings, load_settings
from assistant.llm import available_backends, get_llm, register_backend
from assistant.llm.registry import unregister_backend
from bench.support.scripted import ScriptedChatModel


@pytest.fixture
def scripted() -> Iterator[ScriptedChatModel]:
    model = ScriptedChatModel(responses=['{"capital": "Tokyo"}', "not json"])

    @register_backend("scripted", "test double")
    def factory(settings: Settings, argument: str) -> ScriptedChatModel:
        return model

    yield model
    unregister_backend("scripted")


def test_builtins_are_registered() -> None:
    names = {b.name for b in available_backends()}
    assert {"local", "local-small", "openai", "langchain"} <= names


def test_scripted_model_through_the_real_registry(scripted: ScriptedChatModel) -> None:
    llm = get_llm(load_settings(), "scripted")
    assert llm.backend == "scripted"
    generation = llm.generate("Capital of Japan?", system="Be brief.")
    assert generation.text == '{"capital": "Tokyo"}'
    assert [m.type for m in scripted.seen[0]] == ["system", "human"]


def test_schema_on_a_model_without_native_support_is_prompted_and_validated(
    scripted: ScriptedChatModel,
) -> None:
    schema = {
        "type": "object",
        "properties": {"capital": {"type": "string"}},
        "required": ["capital"],
    }
    llm = get_llm(load_settings(), "scripted")
    assert llm.generate("Capital of Japan?", schema=schema).data == {"capital": "Tokyo"}
    assert '"required": ["capital"]' in scripted.seen[0][0].text  # schema given in the prompt
    with pytest.raises(LLMOutputError, match="not valid JSON"):
        llm.generate("again", schema=schema)


def test_langchain_module_class_spec() -> None:
    settings = load_settings(langchain_kwargs={"responses": ["Bonjour tout le monde"]})
    spec = "langchain:langchain_core.language_models.fake_chat_models:FakeListChatModel"
    llm = get_llm(settings, spec)
    assert llm.backend == "langchain"
    assert llm.generate("Say hello in French").text == "Bonjour tout le monde"


def test_langchain_spec_errors_are_clear() -> None:
    with pytest.raises(ConfigError, match="langchain:<module>:<Class>"):
        get_llm(load_settings(), "langchain:justone")
    with pytest.raises(ConfigError, match="not a LangChain chat model"):
        get_llm(load_settings(), "langchain:json:JSONDecoder")
    with pytest.raises(ConfigError, match="cannot build LangChain chat model"):
        get_llm(load_settings(), "langchain:no_such_provider_xyz:some-model")


def test_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="unknown LLM backend 'nope'"):
        get_llm(load_settings(), "nope")
