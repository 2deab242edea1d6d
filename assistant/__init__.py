"""Dragoman assistant: LLM backends, answering, verification, briefings, drafting,
monitoring, API/web/CLI."""

__version__ = "0.1.0"
