"""Alembic revisions of this owner's tables (run by :mod:`assistant.core.migrations`)."""
