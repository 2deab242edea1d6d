"""Monitoring's tables as of release 0.1.0 (in the registry's database): scored documents,
mentions, series, alerts, campaigns.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _monitor_alerts()
    _monitor_campaigns()
    _monitor_mentions()
    _monitor_scored()
    _monitor_series()


def _monitor_alerts() -> None:
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signal", sa.String(length=20), nullable=False),
        sa.Column("series_key", sa.String(length=200), nullable=False),
        sa.Column("watchlist", sa.String(length=64), nullable=False),
        sa.Column("clearance", sa.String(length=16), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("delivered_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signal", "series_key", "window_end"),
    )
    op.create_index(
        op.f("ix_monitor_alerts_window_end"), "monitor_alerts", ["window_end"], unique=False
    )


def _monitor_campaigns() -> None:
    op.create_table(
        "monitor_campaigns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("clearance", sa.String(length=16), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fingerprint"),
    )
    op.create_index(
        op.f("ix_monitor_campaigns_first_ts"), "monitor_campaigns", ["first_ts"], unique=False
    )


def _monitor_mentions() -> None:
    op.create_table(
        "monitor_mentions",
        sa.Column("doc_id", sa.String(length=40), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("clearance", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=True),
        sa.Column("published_ts", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("doc_id", "country", "topic"),
    )
    op.create_index(
        op.f("ix_monitor_mentions_published_ts"), "monitor_mentions", ["published_ts"], unique=False
    )


def _monitor_scored() -> None:
    op.create_table(
        "monitor_scored",
        sa.Column("doc_id", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("clearance", sa.String(length=16), nullable=False),
        sa.Column("published_ts", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("doc_id"),
    )


def _monitor_series() -> None:
    op.create_table(
        "monitor_series",
        sa.Column("granularity", sa.String(length=5), nullable=False),
        sa.Column("bucket_ts", sa.BigInteger(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("clearance", sa.String(length=16), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("sentiment_sum", sa.Float(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "granularity", "bucket_ts", "country", "topic", "kind", "language", "clearance"
        ),
    )


def downgrade() -> None:
    raise NotImplementedError("Dragoman's stores are migrated forward only (restore a backup)")
