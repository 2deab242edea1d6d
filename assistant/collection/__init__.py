"""Bringing documents in: the one ingest sequence (register → index → monitor) shared by
`dragoman ingest`, web uploads and collection; sources collected on their schedules
(feeds with their articles, listing pages, Mastodon, Bluesky, Telegram, X, JSON APIs)."""

from assistant.collection.collector import Collector, CollectReport
from assistant.collection.service import Ingestion
from assistant.collection.sources import NewSource, add_source, describe
from assistant.collection.store import Source, SourceStore

__all__ = [
    "CollectReport", "Collector", "Ingestion", "NewSource", "Source", "SourceStore",
    "add_source", "describe",
]  # fmt: skip
