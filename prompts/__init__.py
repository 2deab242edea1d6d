"""Prompt templates: Jinja2 files in this package, rendered with StrictUndefined.

A missing variable is an error, never an empty string.  Untrusted text (documents,
posts) must be passed through the ``data`` filter, which fences it so that the
model is told it is data, not instructions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, UndefinedError

from assistant.core.errors import ConfigError

_FENCE = "<<<DATA>>>", "<<<END DATA>>>"


def fence_data(text: str) -> str:
    """Delimit untrusted text; any fence markers inside it are neutralised."""
    cleaned = text.replace(_FENCE[0], "<<DATA>>").replace(_FENCE[1], "<<END DATA>>")
    return f"{_FENCE[0]}\n{cleaned}\n{_FENCE[1]}"


def squash_whitespace(text: str) -> str:
    """Runs of whitespace as one space: hard-wrapped sources cost fewer prompt tokens."""
    return " ".join(text.split())


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("prompts", "."),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["data"] = fence_data
    env.filters["squash"] = squash_whitespace
    return env


def render(template: str, **variables: Any) -> str:
    """Render ``prompts/<template>`` (e.g. ``"oneshot_system.j2"``) strictly."""
    try:
        return environment().get_template(template).render(**variables).strip()
    except TemplateNotFound as exc:
        raise ConfigError(f"prompt template {template!r} not found") from exc
    except UndefinedError as exc:
        raise ConfigError(f"prompt template {template!r}: {exc.message}") from exc
