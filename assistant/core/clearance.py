"""Clearance levels, lowest first: the one ordering every reader check uses.

A reader cleared for a level reads that level and every level below it; a document's
clearance is checked against the reader's at the moment it is read (search, answer,
briefing, draft, export).
"""

from __future__ import annotations

from typing import Literal

from assistant.core.errors import InputError

Clearance = Literal["public", "internal", "restricted"]
CLEARANCES: tuple[Clearance, ...] = ("public", "internal", "restricted")
CLEARANCE_LEVEL: dict[str, int] = {name: level for level, name in enumerate(CLEARANCES)}


def clearance_level(clearance: str) -> int:
    """The level's rank (0 = public); an unknown name is the caller's input error."""
    if clearance not in CLEARANCE_LEVEL:
        raise InputError(f"unknown clearance {clearance!r}", fix=f"one of {', '.join(CLEARANCES)}")
    return CLEARANCE_LEVEL[clearance]


def readable_levels(clearance: str) -> list[str]:
    """The levels a reader with ``clearance`` may read, lowest first."""
    return list(CLEARANCES[: clearance_level(clearance) + 1])
