"""Built-in backends, registered through the same registry a plugin uses."""

from __future__ import annotations

import importlib

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.llm.local import ChatLocalLlama
from assistant.llm.openai_compat import build_chat_openai
from assistant.llm.registry import register_backend
from assistant.llm.weights import MODEL_SPECS, assemble


def _local(settings: Settings, profile: str) -> ChatLocalLlama:
    path = settings.llm.model_path or assemble(MODEL_SPECS[profile], settings.models_dir)
    if not path.is_file():
        raise ConfigError(f"DRAGOMAN_LLM_MODEL_PATH {path} is not a file", fix="point it at a GGUF")
    return ChatLocalLlama(
        model_path=path,
        weights_profile=profile,
        n_ctx=settings.llm.context_tokens,
        n_threads=settings.llm.threads,
        max_tokens=settings.llm.max_tokens,
        temperature=settings.llm.temperature,
        seed=settings.llm.seed,
        prompt_cache_mb=settings.llm.prompt_cache_mb,
    )


@register_backend("local", "Embedded Qwen2.5-Coder-1.5B-Instruct Q4_K_M via llama.cpp (default)")
def local_backend(settings: Settings, argument: str) -> BaseChatModel:
    return _local(settings, "local")


@register_backend("local-small", "Embedded Qwen2.5-0.5B-Instruct Q4 via llama.cpp (quick runs, CI)")
def local_small_backend(settings: Settings, argument: str) -> BaseChatModel:
    return _local(settings, "local-small")


@register_backend(
    "openai", "Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server)"
)
def openai_backend(settings: Settings, argument: str) -> BaseChatModel:
    return build_chat_openai(settings, model=argument or None)


@register_backend(
    "langchain",
    "Any LangChain chat model: langchain:<module>:<Class> or langchain:<provider>:<model>",
)
def langchain_backend(settings: Settings, argument: str) -> BaseChatModel:
    first, _, second = argument.partition(":")
    if not first or not second:
        raise ConfigError(
            f"langchain backend needs 'langchain:<module>:<Class>' or "
            f"'langchain:<provider>:<model>', got {argument!r}",
            fix="e.g. langchain:langchain_openai:ChatOpenAI or langchain:ollama:llama3",
        )
    kwargs = dict(settings.langchain_kwargs)
    try:
        module = importlib.import_module(first)
    except ImportError:
        module = None
    if module is not None and hasattr(module, second):
        cls = getattr(module, second)
        if not (isinstance(cls, type) and issubclass(cls, BaseChatModel)):
            raise ConfigError(f"{first}.{second} is not a LangChain chat model")
        model: BaseChatModel = cls(**kwargs)
        return model
    from langchain.chat_models import init_chat_model

    try:
        built: BaseChatModel = init_chat_model(second, model_provider=first, **kwargs)
    except (ImportError, ValueError) as exc:
        raise ConfigError(
            f"cannot build LangChain chat model {argument!r}: {exc}",
            fix="install the provider's langchain package or use langchain:<module>:<Class>",
        ) from exc
    return built
