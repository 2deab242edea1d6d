"""How a benchmark prints its rows: a Markdown table, as bench/RESULTS.md quotes them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
