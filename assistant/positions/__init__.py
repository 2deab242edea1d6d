"""Positions: who said what on a topic, in their own words, and what changed."""

from assistant.positions.export import to_csv, to_markdown
from assistant.positions.pipeline import MAX_SPEAKERS, PositionsEngine, PositionsRequest

__all__ = ["MAX_SPEAKERS", "PositionsEngine", "PositionsRequest", "to_csv", "to_markdown"]
