"""The base of every output contract: what `--json` prints and the API answers.

A contract names every key its output has: a key missing or unknown fails loudly where the
output is made (``Contract.shape``), so the CLI, the API and ``/openapi.json`` cannot drift
apart. Features declare their contracts in their own ``contracts`` module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """An output's keys and types; extra keys are refused."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def shape(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` checked against the contract, as JSON-ready values with the same keys
        (keys with defaults that ``data`` leaves out stay out)."""
        return cls.model_validate(data).model_dump(mode="json", exclude_unset=True)
