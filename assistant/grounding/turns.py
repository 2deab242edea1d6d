"""How a model call waits its turn: at once by default; the web app queues it instead.
(Kept apart from generation so that what only schedules model calls need not load them.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_now(work: Callable[[], T]) -> T:
    """The default LLM turn: run the work at once (the web app queues it instead)."""
    return work()
