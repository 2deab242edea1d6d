"""Where calibration records are kept: the team's database (the users' database, which
every worker and every colleague's process shares), a copy in the home
(``calibration/records.jsonl``, readable and portable), and the records of the embedded
models shipped with Dragoman (``shipped.jsonl``, measured by ``dragoman calibrate``)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant.accounts.store import Base, WebStore
from assistant.core.migrations import Schema
from assistant.licensing.records import CalibrationRecord

SHIPPED = Path(__file__).with_name("shipped.jsonl")
RELOAD_AFTER_S = 30.0  # a calibration finishing elsewhere is seen within this


class CalibrationRow(Base):
    __tablename__ = "calibration_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    measured_at: Mapped[str] = mapped_column(String(32))
    record_json: Mapped[str] = mapped_column(Text)


CALIBRATION_SCHEMA = Schema(
    "calibration", Path(__file__).parent / "migrations", tables=("calibration_records",)
)


def read_jsonl(path: Path) -> list[CalibrationRecord]:
    if not path.is_file():
        return []
    lines = path.read_text("utf-8").splitlines()
    return [CalibrationRecord.from_dict(json.loads(line)) for line in lines if line.strip()]


class RecordStore:
    """Add records; read the newest per (subject, kind, language)."""

    def __init__(self, home: Path, store: WebStore | None = None) -> None:
        self.file = home / "calibration" / "records.jsonl"
        self.store = store
        if store is not None:
            store.migrate(CALIBRATION_SCHEMA)
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str, str], CalibrationRecord] | None = None
        self._loaded_at = 0.0

    def add(self, records: list[CalibrationRecord]) -> None:
        if not records:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with self.file.open("a", encoding="utf-8") as sink:
            for record in records:
                sink.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        if self.store is not None:
            with self.store.session() as db, db.begin():
                db.add_all(
                    CalibrationRow(
                        subject=r.subject,
                        kind=r.kind,
                        language=r.language,
                        measured_at=r.measured_at,
                        record_json=json.dumps(r.to_dict(), ensure_ascii=False),
                    )
                    for r in records
                )
        with self._lock:
            self._latest = None

    def all(self) -> list[CalibrationRecord]:
        """Every record: shipped first, then the home's and the team's, oldest first."""
        found = read_jsonl(SHIPPED) + read_jsonl(self.file)
        if self.store is not None:
            with self.store.session() as db:
                rows = db.scalars(select(CalibrationRow).order_by(CalibrationRow.id)).all()
                found += [CalibrationRecord.from_dict(json.loads(r.record_json)) for r in rows]
        unique: dict[tuple[str, str, str, str], CalibrationRecord] = {}
        for record in (r for r in found if r.n > 0):  # a label never given measures nothing
            unique[(*record.key, record.run_id)] = record
        return sorted(unique.values(), key=lambda r: r.measured_at)

    def latest(self) -> dict[tuple[str, str, str], CalibrationRecord]:
        """The newest record of each (subject, kind, language), re-read now and then."""
        with self._lock:
            if self._latest is None or time.monotonic() - self._loaded_at > RELOAD_AFTER_S:
                self._latest = {r.key: r for r in self.all()}
                self._loaded_at = time.monotonic()
            return self._latest

    def subjects(self) -> set[str]:
        return {key[0] for key in self.latest()}
