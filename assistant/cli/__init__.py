"""The `dragoman` command line: one module per command group, sharing :mod:`.common`.

Errors become exit codes and messages here only (the rest of the code raises
:class:`~assistant.core.errors.DragomanError`).
"""

from assistant.cli.main import app, main

__all__ = ["app", "main"]
