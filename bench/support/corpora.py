"""Real samples from ../shared/corpora for the tests (read only, extracted to tmp dirs)."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from datetime import UTC, date, datetime
from pathlib import Path

from bench.support.processes import SHARED
from evals.datasets import CRUD_FILE, crud_lines

UN_PATTERN = r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"
UN_TEMPLATES = {
    "title": "{country_name} — UN General Debate, session {session} ({year})",
    "published_at": "{year}-09-20",
}
CRUD_LINE_PATTERN = r"^(?:\[\s*)?(?P<published_at>[^，\]]*?)\s*\]?\s*，正文：(?P<text>.+)$"


def shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        raise FileNotFoundError(
            f"real corpus {path} is missing: CI must run with ../shared beside the clone"
        )
    return path


def extract_members(archive: str, names: list[str], target: Path) -> list[Path]:
    with tarfile.open(shared(archive)) as tar:
        members = {m.name.removeprefix("./"): m for m in tar if m.isfile()}
        out = []
        for name in names:
            data = tar.extractfile(members[name])
            assert data is not None
            path = target / Path(name).name
            path.write_bytes(data.read())
            out.append(path)
    return out


def member_names(archive: str, prefix: str = "", suffix: str = "") -> list[str]:
    with tarfile.open(shared(archive)) as tar:
        return sorted(
            m.name.removeprefix("./")
            for m in tar
            if m.isfile()
            and m.name.removeprefix("./").startswith(prefix)
            and m.name.endswith(suffix)
        )


def whitehouse_month(root: Path, month: str) -> Path:
    """The White House releases of ``month`` (YYYY-MM), as files in ``root/files``."""
    files = root / "files"
    files.mkdir()
    archive = "whitehouse-2024-2026.tar.gz"
    names = [n for n in member_names(archive) if f"/{month}/" in n]
    extract_members(archive, names, files)
    return files


def un_speeches(target: Path, countries: tuple[str, ...], year: int = 2015) -> list[Path]:
    session = year - 1945
    names = [f"Session {session} - {year}/{c}_{session}_{year}.txt" for c in countries]
    return extract_members("ungdc-2015-2024.tar.gz", names, target)


def un_year(target: Path, year: int) -> list[Path]:
    """Every UN General Debate speech of ``year``, as files in ``target``."""
    names = member_names("ungdc-2015-2024.tar.gz", f"Session {year - 1945} - {year}/")
    return extract_members("ungdc-2015-2024.tar.gz", names, target)


def xlmt_texts(language_dir: str, n: int) -> list[str]:
    with tarfile.open(shared("sentiment/xlmt-train-val.tar.gz")) as tar:
        handle = tar.extractfile(f"./{language_dir}/val_text.txt")
        assert handle is not None
        lines = handle.read().decode("utf-8").splitlines()
    return [line for line in lines if len(line) > 40][:n]


def weibo_rows(n: int) -> list[tuple[str, str]]:
    with gzip.open(shared("sentiment/weibo-senti-dev.csv.gz"), "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split(",", 1) for line in f][1:]
    return [(label, text) for label, text in rows if len(text) > 20][:n]


def prc_reports(n: int) -> list[dict[str, str]]:
    with gzip.open(shared("prc-government-work-reports.jsonl.gz"), "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [r for r in rows if r.get("year")][:n]


CRUD_DENSE = ("2023-07-24", "2023-08-18")  # the days CRUD-RAG covers densely
_CRUD_RECORD = re.compile(r"^(?:\[\s*)?(?P<date>[^，\]]*?)\s*\]?\s*，正文：(?P<text>.+)$")
_CRUD_WHEN = re.compile(r"2023\D(\d{1,2})\D(\d{1,2})\D*?(?:\s+(\d{1,2})[:：](\d{2}))?")


def crud_records() -> list[tuple[datetime, str]]:
    """CRUD-RAG articles with a full date (and hour when given), in the dense period."""
    first, last = (date.fromisoformat(d) for d in CRUD_DENSE)
    found = []
    for line in crud_lines(shared(CRUD_FILE)):
        record = _CRUD_RECORD.match(line)
        when = _CRUD_WHEN.match(record.group("date").strip()) if record else None
        if not record or not when:
            continue
        month, day, hour = int(when.group(1)), int(when.group(2)), when.group(3)
        moment = datetime(2023, month, day, int(hour or 0), tzinfo=UTC)
        if first <= moment.date() <= last:
            found.append((moment, record.group("text")))
    return found
