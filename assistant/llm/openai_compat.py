"""The ``openai`` backend: any OpenAI-compatible endpoint through ``ChatOpenAI``.

The credential policy (no key meant for api.openai.com is ever sent to another host) is
:mod:`assistant.core.endpoints`, shared with the embedder.
"""

from __future__ import annotations

from langchain_openai import ChatOpenAI

from assistant.core.endpoints import openai_client_options
from assistant.core.settings import Settings


def build_chat_openai(settings: Settings, model: str | None = None) -> ChatOpenAI:
    return ChatOpenAI(
        model=model or settings.openai.model,
        temperature=settings.llm.temperature,
        max_completion_tokens=settings.llm.max_tokens,
        seed=settings.llm.seed,
        **openai_client_options(settings),
    )
