"""Monitoring tables, in the registry's database.

- ``monitor_scored``: which documents (at which content hash) are in the series;
- ``monitor_mentions``: one row per document × target country (``*`` = the document
  itself) × topic (``*`` = any), with its sentiment: what alerts cite;
- ``monitor_series``: per day and per hour × country × topic × source kind × language ×
  clearance: volume, sentiment sum, negatives — updated incrementally, in the same
  transaction as the mentions, so a crash never leaves them out of step;
- ``monitor_alerts`` and ``monitor_campaigns``: what early warning and amplification
  detection found.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import BigInteger, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from assistant.core.migrations import Schema, upgrade

ANY = "*"
GRANULARITIES = {"day": 86_400, "hour": 3_600}


class MonitorBase(DeclarativeBase):
    pass


class ScoredRow(MonitorBase):
    """What a document's contribution was computed from: any change (text, clearance,
    date, kind, language) makes it pending again."""

    __tablename__ = "monitor_scored"

    doc_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    clearance: Mapped[str] = mapped_column(String(16))
    published_ts: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MentionRow(MonitorBase):
    __tablename__ = "monitor_mentions"

    doc_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    country: Mapped[str] = mapped_column(String(8), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    clearance: Mapped[str] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(String(300))
    published_ts: Mapped[int] = mapped_column(BigInteger, index=True)
    score: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(10))


class SeriesRow(MonitorBase):
    __tablename__ = "monitor_series"

    granularity: Mapped[str] = mapped_column(String(5), primary_key=True)
    bucket_ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    country: Mapped[str] = mapped_column(String(8), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    clearance: Mapped[str] = mapped_column(String(16), primary_key=True)
    volume: Mapped[int] = mapped_column(Integer, default=0)
    sentiment_sum: Mapped[float] = mapped_column(Float, default=0.0)
    negative: Mapped[int] = mapped_column(Integer, default=0)


class AlertRow(MonitorBase):
    __tablename__ = "monitor_alerts"
    __table_args__ = (UniqueConstraint("signal", "series_key", "window_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signal: Mapped[str] = mapped_column(String(20))  # volume | negative_share
    series_key: Mapped[str] = mapped_column(String(200))
    watchlist: Mapped[str] = mapped_column(String(64))
    clearance: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_end: Mapped[int] = mapped_column(BigInteger, index=True)
    detail_json: Mapped[str] = mapped_column(Text)
    delivered_json: Mapped[str] = mapped_column(Text, default="{}")


class CampaignRow(MonitorBase):
    __tablename__ = "monitor_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_ts: Mapped[int] = mapped_column(BigInteger, index=True)
    last_ts: Mapped[int] = mapped_column(BigInteger)
    clearance: Mapped[str] = mapped_column(String(16))
    posts: Mapped[int] = mapped_column(Integer)
    accounts: Mapped[int] = mapped_column(Integer)
    detail_json: Mapped[str] = mapped_column(Text)


MONITORING_SCHEMA = Schema(
    "monitoring", Path(__file__).parent / "migrations",
    tables=("monitor_scored", "monitor_mentions", "monitor_series", "monitor_alerts",
            "monitor_campaigns"),
)  # fmt: skip


def create_tables(engine: Engine) -> None:
    upgrade(engine, MONITORING_SCHEMA)


def bucket_of(ts: int, granularity: str) -> int:
    step = GRANULARITIES[granularity]
    return ts - ts % step
