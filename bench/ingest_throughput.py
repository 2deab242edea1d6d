"""Ingest throughput on the real corpora: parse only (walk + extract + normalise: language,
countries, dates) and full ingest (plus dedup and the SQLite registry).

    python bench/ingest_throughput.py [--crud-files N] [--json]

Prints one row per corpus: documents, seconds, docs/s for each mode.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from _repo import ROOT

from bench.support.report import print_table
from corpus.connectors import Options, extract
from corpus.ingest import Ingestor, filename_groups, ingest
from corpus.registry import Registry
from corpus.sources import SourceFile, walk

SHARED = ROOT.parent / "shared" / "corpora"
UN = dict(
    options=Options(kind="policy", filename_pattern=r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"),
    templates={"title": "{country_name} — UN General Debate, session {session} ({year})",
               "published_at": "{year}-09-20"},
)  # fmt: skip
CRUD_PATTERN = r"^(?:\[\s*)?(?P<published_at>[^，\]]*?)\s*\]?\s*，正文：(?P<text>.+)$"


def corpora(crud_files: int) -> dict[str, dict[str, Any]]:
    crud_options = Options(kind="news", line_pattern=CRUD_PATTERN, date_default="2023-01-01",
                           timezone="Asia/Shanghai", language="zh")  # fmt: skip
    return {
        "UN General Debate (en, txt in tar.gz)": {"inputs": [SHARED / "ungdc-2015-2024.tar.gz"], **UN},
        "White House (en, Markdown in tar.gz)": {
            "inputs": [SHARED / "whitehouse-2024-2026.tar.gz"], "options": Options(kind="policy"),
            "templates": {},
        },
        "PRC reports (zh, JSONL.gz)": {
            "inputs": [SHARED / "prc-government-work-reports.jsonl.gz"],
            "options": Options(kind="policy", mapping={"text": "content"}), "templates": {},
        },
        f"CRUD-RAG news (zh, {crud_files} of 37 line files)": {
            "inputs": [SHARED / "crud-rag-news-zh-2023.tar.gz"], "options": crud_options,
            "templates": {}, "max_files": crud_files,
        },
    }  # fmt: skip


def parse_only(spec: dict[str, Any]) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        ingestor = Ingestor(Registry(f"sqlite:///{tmp}/r.db"), spec["options"], spec["templates"])
        started, count, files = time.perf_counter(), 0, 0
        for item in walk([str(p) for p in spec["inputs"]], spec["options"].limits):
            if not isinstance(item, SourceFile):
                continue
            files += 1
            if files > spec.get("max_files", 10**9):
                break
            fmt, records = extract(item, spec["options"])
            groups = filename_groups(item, spec["options"])
            count += sum(1 for r in records if ingestor.normalise(r, item, fmt, groups))
        return count, time.perf_counter() - started


def full_ingest(spec: dict[str, Any]) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        inputs = [str(p) for p in spec["inputs"]]
        if "max_files" in spec:  # extract the first N member files to a directory
            import tarfile

            with tarfile.open(inputs[0]) as archive:
                members = [m for m in archive if m.isfile()][: spec["max_files"]]
                archive.extractall(tmp, members=members, filter="data")
            inputs = [str(Path(tmp) / "80000_docs")]
        started = time.perf_counter()
        report = ingest(
            Registry(f"sqlite:///{tmp}/r.db"), inputs, spec["options"], spec["templates"]
        )
        return report.documents_seen, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crud-files", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for name, spec in corpora(args.crud_files).items():
        n_parse, t_parse = parse_only(spec)
        n_full, t_full = full_ingest(spec)
        rows.append({"corpus": name, "documents": n_parse, "parse_s": round(t_parse, 2),
                     "parse_docs_per_s": round(n_parse / t_parse, 1), "ingest_s": round(t_full, 2),
                     "ingest_docs_per_s": round(n_full / t_full, 1)})  # fmt: skip
    if args.json:
        print(
            json.dumps({"machine": platform.platform(), "rows": rows}, ensure_ascii=False, indent=2)
        )
        return
    headers = ("corpus", "documents", "parse only s", "parse docs/s", "full ingest s",
               "ingest docs/s")  # fmt: skip
    keys = ("corpus", "documents", "parse_s", "parse_docs_per_s", "ingest_s", "ingest_docs_per_s")
    print_table(headers, [[r[k] for k in keys] for r in rows])


if __name__ == "__main__":
    main()
