"""Calibration records (in the users' database, shared by the team)."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "calibration_records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("measured_at", sa.String(32), nullable=False),
        sa.Column("record_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_calibration_records_subject", "calibration_records", ["subject"])
