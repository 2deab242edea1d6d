"""The backend registry: names → factories of LangChain chat models.

Built-in backends register through :func:`register_backend`, exactly as a
plugin would; plugins are packages exposing a ``dragoman.backends`` entry point
whose object is called with ``register_backend``.

A backend spec is either a registered name (``local``) or ``name:argument``
(``langchain:langchain_openai:ChatOpenAI``), the argument going to the factory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings

BackendFactory = Callable[[Settings, str], BaseChatModel]


@dataclass(frozen=True)
class Backend:
    name: str
    factory: BackendFactory
    description: str


_BACKENDS: dict[str, Backend] = {}
_plugins_loaded = False


def register_backend(
    name: str, description: str = ""
) -> Callable[[BackendFactory], BackendFactory]:
    """Decorator: register ``factory(settings, argument) -> BaseChatModel`` under ``name``."""

    def decorator(factory: BackendFactory) -> BackendFactory:
        _BACKENDS[name] = Backend(name, factory, description or (factory.__doc__ or "").strip())
        return factory

    return decorator


def unregister_backend(name: str) -> None:
    _BACKENDS.pop(name, None)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    import assistant.llm.builtins  # noqa: F401  (registers the built-ins)

    for entry in entry_points(group="dragoman.backends"):
        entry.load()(register_backend)


def available_backends() -> list[Backend]:
    _load_plugins()
    return sorted(_BACKENDS.values(), key=lambda b: b.name)


def resolve_backend(spec: str, settings: Settings) -> tuple[str, BaseChatModel]:
    """Return ``(backend name, chat model)`` for a spec such as ``local`` or ``langchain:m:C``."""
    _load_plugins()
    name, _, argument = spec.partition(":")
    backend = _BACKENDS.get(spec) or _BACKENDS.get(name)
    if backend is None:
        known = ", ".join(sorted(_BACKENDS))
        raise ConfigError(
            f"unknown LLM backend {spec!r} (known: {known})",
            fix="set DRAGOMAN_LLM_BACKEND or --backend to one of them",
        )
    if backend.name == spec:
        argument = ""
    return backend.name, backend.factory(settings, argument)
