"""A release's schema frozen as data, and the Alembic operations that create it.

Each owner's baseline revision (``0001``) creates the tables as they stood in release 0.1.0.
Those tables are written down once, in a TOML file beside the revision, one line a column::

    [users]
    columns = \"\"\"
    id Integer auto
    username String(64)
    last_login_at DateTime null
    \"\"\"
    primary_key = ["id"]
    indexes = ["clearance"]            # ix_<table>_<column>
    unique_indexes = ["username"]
    unique = [["type", "url"]]         # table constraints
    foreign_keys = ["user_id -> users.id", "conversation_id -> conversations.id cascade"]

Types: ``Integer``, ``BigInteger``, ``Float``, ``Boolean``, ``Text``, ``LargeBinary``,
``DateTime`` (always with its time zone) and ``String(N)``. A column is NOT NULL unless marked
``null``; ``auto`` marks an autoincrementing key. Later revisions are ordinary Alembic code.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

from assistant.core.errors import StoreError

_PLAIN_TYPES: dict[str, Any] = {
    "Integer": sa.Integer,
    "BigInteger": sa.BigInteger,
    "Float": sa.Float,
    "Boolean": sa.Boolean,
    "Text": sa.Text,
    "LargeBinary": sa.LargeBinary,
}
_COLUMN = re.compile(
    r"(?P<name>\w+) (?P<type>\w+)(?:\((?P<length>\d+)\))?(?P<flags>( null| auto)*)$"
)
_FOREIGN_KEY = re.compile(r"(?P<column>\w+) -> (?P<target>\w+\.\w+)(?P<cascade> cascade)?$")


def create_snapshot(path: Path) -> None:
    """Create every table of the snapshot at ``path``, in the order it lists them."""
    for table, spec in tomllib.loads(path.read_text(encoding="utf-8")).items():
        op.create_table(table, *_columns(spec["columns"]), *_constraints(spec))
        for column in spec.get("indexes", []):
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
        for column in spec.get("unique_indexes", []):
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=True)


def _columns(lines: str) -> list[sa.Column[Any]]:
    return [_column(line.strip()) for line in lines.splitlines() if line.strip()]


def _column(line: str) -> sa.Column[Any]:
    match = _COLUMN.match(line)
    if match is None:
        raise StoreError(f"cannot read the schema snapshot's column {line!r}")
    flags = match["flags"].split()
    return sa.Column(
        match["name"],
        _type(match["type"], match["length"]),
        nullable="null" in flags,
        autoincrement=True if "auto" in flags else "auto",
    )


def _type(name: str, length: str | None) -> Any:
    if name == "String" and length:
        return sa.String(length=int(length))
    if name == "DateTime":
        return sa.DateTime(timezone=True)
    if name in _PLAIN_TYPES and length is None:
        return _PLAIN_TYPES[name]()
    raise StoreError(f"the schema snapshot names an unknown column type {name!r}")


def _constraints(spec: dict[str, Any]) -> list[sa.Constraint]:
    found: list[sa.Constraint] = []
    for line in spec.get("foreign_keys", []):
        match = _FOREIGN_KEY.match(line)
        if match is None:
            raise StoreError(f"cannot read the schema snapshot's foreign key {line!r}")
        ondelete = "CASCADE" if match["cascade"] else None
        found.append(
            sa.ForeignKeyConstraint([match["column"]], [match["target"]], ondelete=ondelete)
        )
    found.append(sa.PrimaryKeyConstraint(*spec["primary_key"]))
    found.extend(sa.UniqueConstraint(*columns) for columns in spec.get("unique", []))
    return found
