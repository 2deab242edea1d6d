"""Named registries filled by decorators: readers, connectors (the way a plugin adds one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def registrar(table: dict[str, F]) -> Callable[[str], Callable[[F], F]]:
    """A decorator factory: ``@named("rss")`` files the function in ``table`` as ``rss``."""

    def named(name: str) -> Callable[[F], F]:
        def register(function: F) -> F:
            table[name] = function
            return function

        return register

    return named
