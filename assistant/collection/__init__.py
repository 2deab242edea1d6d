"""Bringing documents in: the one ingest sequence (register → index → monitor) that the
CLI, web uploads and (to come) scheduled collection from sources share."""

from assistant.collection.service import Ingestion

__all__ = ["Ingestion"]
