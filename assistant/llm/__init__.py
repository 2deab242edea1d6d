"""LLM backends: a registry of LangChain chat-model factories and a small client on top."""

from assistant.llm.client import LLM, Generation, get_llm
from assistant.llm.registry import available_backends, register_backend, resolve_backend

__all__ = [
    "LLM",
    "Generation",
    "available_backends",
    "get_llm",
    "register_backend",
    "resolve_backend",
]
