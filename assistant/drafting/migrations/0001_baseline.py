"""Drafts of official posts as of release 0.1.0 (in the users' database): drafts, versions, reviews.

The tables are frozen in the TOML file of the same name.
"""

from pathlib import Path

from assistant.core.schema_snapshot import create_snapshot

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_snapshot(Path(__file__).with_suffix(".toml"))
