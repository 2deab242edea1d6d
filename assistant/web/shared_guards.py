"""The load guards and the scheduler's lease when several web workers share one home
(`dragoman serve --workers N`): state in the users' database (PostgreSQL), not in process
memory.

- :class:`SharedRateLimiter`: the token buckets are rows, refilled and taken in one
  conditional UPDATE;
- :class:`SharedGate`: the queue's places are rows (a worker that dies leaves rows that
  expire), and the one generation slot is a PostgreSQL advisory lock every worker sees;
- :class:`SharedLock`: that lock, also for uploads' ingest;
- :class:`Lease`: the scheduled work (briefings) runs in the one worker holding the lease,
  renewed while it lives and taken over when it lapses.
"""

from __future__ import annotations

import math
import os
import threading
import time
import zlib
from typing import Any

from sqlalchemy import case, delete, func, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine

from assistant.accounts.store import LeaseRow, RateBucketRow, TicketRow
from assistant.core.database import advisory_key, lock_for_transaction
from assistant.core.errors import ConfigError, RateLimitedError, ServerBusyError
from assistant.core.memory import release_free_memory
from assistant.core.settings import Settings
from assistant.web.guards import GenerationGate, RateLimiter, Ticket

POLL_S = 0.05
MAX_POLL_S = 0.5
TICKET_LIFETIME_S = 900.0  # beyond any wait plus generation: the worker holding it is gone


def check_shareable(settings: Settings) -> None:
    """Several workers share one home only through servers: their shared state needs the
    users' database on PostgreSQL, and Chroma's local files belong to one process."""
    if not settings.web_url.startswith("postgresql"):
        raise ConfigError(
            "several web workers share sessions, rate limits, the generation queue and the "
            "scheduler through the users' database, which must then be PostgreSQL",
            fix="set DRAGOMAN_WEB_DATABASE_URL=postgresql+psycopg://… (docs/DEPLOY.md), "
            "or serve with one worker",
        )
    if not settings.chroma_url:
        raise ConfigError(
            "several web workers need the vector index on a Chroma server",
            fix="run `chroma run --path HOME/chroma` and set DRAGOMAN_CHROMA_URL "
            "(docs/DEPLOY.md), or serve with one worker",
        )


def worker_id() -> str:
    """This worker process, as the rows it writes name it."""
    return f"{os.uname().nodename}:{os.getpid()}"


class SharedRateLimiter(RateLimiter):
    """Token buckets per key in the database: ``per_minute`` requests, refilled continuously."""

    def __init__(
        self, engine: Engine, per_minute: int, what: str, refill_per_minute: float | None = None
    ) -> None:
        super().__init__(per_minute, what, refill_per_minute)
        self.engine = engine

    def _key(self, key: str) -> str:
        return f"{self.what}:{key}"[:200]

    def _refilled(self, now: float) -> Any:
        grown = RateBucketRow.tokens + (literal(now) - RateBucketRow.stamp) * self.rate
        return case((grown > self.capacity, self.capacity), else_=grown)

    def check(self, key: str) -> None:
        """Take one request from the key's bucket, or raise RateLimitedError."""
        now, row_key = time.time(), self._key(key)
        with self.engine.begin() as db:
            if self._take_one(db, row_key, now):
                return
            # no bucket yet (or an empty one): make it full unless another worker just did
            db.execute(
                pg_insert(RateBucketRow)
                .values(key=row_key, tokens=self.capacity, stamp=now)
                .on_conflict_do_nothing()
            )
            if self._take_one(db, row_key, now):
                self._forget_idle(db, row_key, now)
                return
            tokens = db.scalar(select(self._refilled(now)).where(RateBucketRow.key == row_key))
        wait = math.ceil((1.0 - float(tokens or 0.0)) / self.rate)
        raise RateLimitedError(self.refusal(), retry_after_s=wait)

    def _take_one(self, db: Connection, row_key: str, now: float) -> bool:
        """One conditional UPDATE: refill by the time passed, take one if there is one."""
        refilled = self._refilled(now)
        taken = db.execute(
            update(RateBucketRow)
            .where(RateBucketRow.key == row_key, refilled >= 1.0)
            .values(tokens=refilled - 1.0, stamp=now)
        )
        return bool(taken.rowcount)

    @staticmethod
    def _forget_idle(db: Connection, row_key: str, now: float) -> None:
        if zlib.crc32(row_key.encode()) % 64 == int(now) % 64:  # now and then
            db.execute(delete(RateBucketRow).where(RateBucketRow.stamp < now - 300))

    def refund(self, key: str) -> None:
        """Give one back (a sign-in that succeeded was charged before it was checked)."""
        now = time.time()
        refilled = self._refilled(now) + 1.0
        with self.engine.begin() as db:
            db.execute(
                update(RateBucketRow)
                .where(RateBucketRow.key == self._key(key))
                .values(tokens=case((refilled > self.capacity, self.capacity), else_=refilled),
                        stamp=now)
            )  # fmt: skip


class SharedLock:
    """One holder at a time across threads, workers and machines: a PostgreSQL advisory
    lock on a connection of its own, released by the server if its holder dies."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.key = advisory_key(f"dragoman-{name}")
        self._held = threading.local()

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        pause = POLL_S
        while not self._try():
            if not blocking or (deadline is not None and time.monotonic() >= deadline):
                return False
            time.sleep(pause)
            pause = min(MAX_POLL_S, pause * 1.5)  # a long wait asks the server less often
        return True

    def _try(self) -> bool:
        connection = self.engine.connect()
        if connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}):
            connection.commit()
            self._held.connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        connection: Connection = self._held.connection
        self._held.connection = None
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            connection.commit()
        finally:
            connection.close()

    def __enter__(self) -> SharedLock:
        self.acquire()
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any, /) -> None:
        self.release()


class SharedGate(GenerationGate):
    """The generation queue across workers: at most ``queue`` waiting for one slot."""

    def __init__(self, engine: Engine, lock: SharedLock, queue: int, timeout_s: float) -> None:
        super().__init__(queue, timeout_s, slot=lock)
        self.engine = engine

    def _admitted_now(self, db: Connection) -> int:
        live = select(func.count()).select_from(TicketRow).where(TicketRow.expires_at > time.time())
        return int(db.scalar(live) or 0)

    def admit(self) -> Ticket:
        now = time.time()
        with self.engine.begin() as db:
            lock_for_transaction(db, "dragoman-generation-queue")
            admitted = self._admitted_now(db)
            if admitted > self.queue:
                self.refused += 1
                self._admitted = admitted
                raise ServerBusyError(
                    f"the model is busy ({admitted} requests admitted across the workers, "
                    f"{self.queue} may wait)",
                    retry_after_s=self.retry_after(),
                    fix="retry after the Retry-After interval",
                )
            row = db.execute(
                insert(TicketRow).values(
                    worker=worker_id(), admitted_at=now, expires_at=now + TICKET_LIFETIME_S
                )
            )
            key = row.inserted_primary_key[0] if row.inserted_primary_key else None
        self._admitted = admitted + 1
        return Ticket(self, waiting=admitted, key=key)

    def _finish(self, seconds: float | None, ticket: Ticket | None = None) -> None:
        if ticket is not None and ticket.key is not None:
            with self.engine.begin() as db:
                db.execute(delete(TicketRow).where(TicketRow.id == ticket.key))
                self._admitted = self._admitted_now(db)
        if seconds is not None:
            self.served += 1
            self._mean_s = 0.8 * self._mean_s + 0.2 * seconds
        release_free_memory()

    def stats(self) -> dict[str, Any]:
        with self.engine.connect() as db:
            self._admitted = self._admitted_now(db)
        return {**super().stats(), "shared": True}


class Lease:
    """Held by one worker at a time for ``ttl_s``; :meth:`held` renews it or takes it over."""

    def __init__(self, engine: Engine, name: str, ttl_s: float = 60.0) -> None:
        self.engine = engine
        self.name = name
        self.ttl_s = ttl_s

    def held(self) -> bool:
        """Whether this worker holds the lease now (renewed for ``ttl_s`` if so). Row locks
        settle a race: the loser's UPDATE sees the winner's row, its INSERT conflicts."""
        now, me = time.time(), worker_id()
        with self.engine.begin() as db:
            renewed = db.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name,
                       (LeaseRow.holder == me) | (LeaseRow.expires_at < now))
                .values(holder=me, expires_at=now + self.ttl_s)
            )  # fmt: skip
            if renewed.rowcount:
                return True
            taken = db.scalar(  # (an INSERT's rowcount is not reported here: RETURNING is)
                pg_insert(LeaseRow)
                .values(name=self.name, holder=me, expires_at=now + self.ttl_s)
                .on_conflict_do_nothing()
                .returning(LeaseRow.name)
            )
            return taken is not None
