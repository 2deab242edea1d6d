"""The per-account ceiling on failed sign-ins: how many failed in a row, and when the
account was locked for it (an administrator lifts it: `dragoman users unlock NAME`)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_at", sa.DateTime(), nullable=True))
