"""OpenAI-compatible endpoints: the credential policy and the client options that the chat
backend (:mod:`assistant.llm.openai_compat`) and the embedder share.

A key meant for the default host (``OPENAI_API_KEY`` in the environment, which the OpenAI
SDK would otherwise pick up silently) is never sent to a custom base URL.  A custom endpoint
gets ``DRAGOMAN_OPENAI_API_KEY`` when that is configured, and no ``Authorization`` header at
all otherwise — local servers (vLLM, Ollama, llama.cpp) need none.  The same holds for the
SDK's organisation and project headers.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from pydantic import SecretStr

from assistant.core.errors import BackendAuthError
from assistant.core.settings import DEFAULT_OPENAI_BASE_URL, Settings

# Sent to the SDK (which insists on a key) and removed on the wire before any request leaves.
_NO_KEY = "dragoman-no-key"
_SDK_IDENTITY_HEADERS = ("openai-organization", "openai-project")


def resolve_credentials(settings: Settings) -> tuple[str, str | None]:
    """Return ``(base_url, api_key or None)`` according to the credential policy."""
    base_url = settings.openai.base_url or DEFAULT_OPENAI_BASE_URL
    if settings.openai.api_key and settings.openai.api_key.get_secret_value():
        return base_url, settings.openai.api_key.get_secret_value()
    if base_url == DEFAULT_OPENAI_BASE_URL:
        default_key = os.environ.get("OPENAI_API_KEY")
        if default_key:
            return base_url, default_key
        raise BackendAuthError(
            "the openai backend has no API key for api.openai.com",
            fix="set DRAGOMAN_OPENAI_API_KEY=sk-..., or DRAGOMAN_OPENAI_BASE_URL for a "
            "local OpenAI-compatible server",
        )
    return base_url, None


def _strip_unconfigured_credentials(request: httpx.Request) -> None:
    if request.headers.get("authorization") == f"Bearer {_NO_KEY}":
        del request.headers["authorization"]
    for header in _SDK_IDENTITY_HEADERS:
        request.headers.pop(header, None)


async def _strip_unconfigured_credentials_async(request: httpx.Request) -> None:
    _strip_unconfigured_credentials(request)


def openai_client_options(settings: Settings) -> dict[str, Any]:
    """Connection options shared by the chat and embedding clients (credential policy applied)."""
    base_url, api_key = resolve_credentials(settings)
    custom_host = base_url != DEFAULT_OPENAI_BASE_URL
    hooks = {"request": [_strip_unconfigured_credentials]} if custom_host else {}
    async_hooks = {"request": [_strip_unconfigured_credentials_async]} if custom_host else {}
    timeout = httpx.Timeout(settings.llm.timeout_s, connect=settings.connect_timeout_s)
    return {
        "base_url": base_url,
        "api_key": SecretStr(api_key or _NO_KEY),
        "organization": None,
        "timeout": timeout,
        "max_retries": 1,
        "http_client": httpx.Client(timeout=timeout, event_hooks=hooks),
        "http_async_client": httpx.AsyncClient(timeout=timeout, event_hooks=async_hooks),
    }
