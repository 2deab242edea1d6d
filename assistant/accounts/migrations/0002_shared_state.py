"""What several web workers share: rate-limit buckets, the generation queue's tickets and
the scheduler's lease (`dragoman serve --workers N`)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

FLOAT, WORKER = sa.Float(), sa.String(64)
# table: (its key and the key's type, the other columns (all NOT NULL), the column indexed)
TABLES = {
    "rate_buckets": (("key", sa.String(200)), {"tokens": FLOAT, "stamp": FLOAT}, "stamp"),
    "generation_tickets": (
        ("id", sa.Integer()),
        {"worker": WORKER, "admitted_at": FLOAT, "expires_at": FLOAT},
        "expires_at",
    ),
    "leases": (("name", sa.String(64)), {"holder": WORKER, "expires_at": FLOAT}, None),
}


def upgrade() -> None:
    for table, ((key, key_type), columns, indexed) in TABLES.items():
        others = [sa.Column(name, kind, nullable=False) for name, kind in columns.items()]
        op.create_table(table, sa.Column(key, key_type, primary_key=True), *others)
        if indexed:
            op.create_index(f"ix_{table}_{indexed}", table, [indexed])
