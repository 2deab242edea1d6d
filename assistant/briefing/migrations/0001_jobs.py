"""On-demand briefing jobs (in the users' database), shared by every web worker."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "briefing_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("request_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("fix", sa.Text(), nullable=True),
        sa.Column("briefing_json", sa.Text(), nullable=True),
    )
    op.create_index("ix_briefing_jobs_requested_by", "briefing_jobs", ["requested_by"])
    op.create_index("ix_briefing_jobs_status", "briefing_jobs", ["status"])
