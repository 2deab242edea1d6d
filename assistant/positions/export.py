"""Positions as Markdown (a readable table, then each speaker's quotes) and CSV (one row a
quote, or one row a speaker without one), from the ``PositionsOut`` record."""

from __future__ import annotations

import csv
import io
from typing import Any

LABELS = {"supports": "supports", "opposes": "opposes", "mixed": "mixed",
          "neutral": "neutral", "undetermined": "undetermined",
          "no_statement": "no statement found"}  # fmt: skip
CSV_FIELDS = (
    "speaker", "name", "stance", "summary", "summary_verified", "quote_n", "quote",
    "translation", "quote_verified", "title", "published_at", "url", "doc_id",
)  # fmt: skip


def _cell(text: str | None) -> str:
    """Text in a Markdown table cell: one line, pipes escaped."""
    return " ".join((text or "").split()).replace("|", "\\|")


def to_markdown(report: dict[str, Any]) -> str:
    period = f"{report['since'] or '…'} – {report['until'] or '…'}"
    lines = [f"# Positions on {_cell(report['topic'])}", "",
             f"Period {period}" + (f", {report['kind']} documents" if report["kind"] else ""),
             "", "| speaker | stance | summary |", "|---|---|---|"]  # fmt: skip
    for p in report["positions"]:
        summary = _cell(p["summary"]) + ("" if p["summary_supported"] or not p["summary"]
                                         else " *(not verified)*")  # fmt: skip
        lines.append(f"| {_cell(p['name'])} | {LABELS[p['stance']]} | {summary} |")
    for p in report["positions"]:
        if not p["quotes"]:
            continue
        lines += ["", f"## {p['name']}", ""]
        for q in p["quotes"]:
            date = f", {q['published_at'][:10]}" if q["published_at"] else ""
            lines.append(f"> {_cell(q['quote'])}  ")
            if q["translation"]:
                lines.append(f"> *{_cell(q['translation'])}*  ")
            lines.append(
                f"> — [{q['n']}] {_cell(q['title'])}{date}"
                + ("" if q["verified"] else " *(not found again in the document)*")
            )
            lines.append("")
    lines += _disagreements_markdown(report.get("disagreements", []))
    licences = report.get("licences", [])
    if licences:  # what each stance label rests on, as measured
        lines += ["", "## Stance labels and their measurement", ""]
        lines += [f"- {_cell(lic['message'])}" for lic in licences]
    return "\n".join(lines).rstrip() + "\n"


def _disagreements_markdown(disagreements: list[dict[str, Any]]) -> list[str]:
    """Each fact the speakers' sentences state differently, every side with who says it."""
    if not disagreements:
        return []
    lines = ["", "## Where the sources disagree", ""]
    for d in disagreements:
        for side in d["sides"]:
            lines.append(f"- **{_cell(side['value'])}** ({_cell(', '.join(side['speakers']))}):"
                         f" “{_cell(side['sentence'])}”")  # fmt: skip
        lines.append("")
    return lines


def to_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for p in report["positions"]:
        base = {
            "speaker": p["speaker"],
            "name": p["name"],
            "stance": p["stance"],
            "summary": p["summary"] or "",
            "summary_verified": p["summary_supported"],
        }
        for q in p["quotes"] or [None]:
            row = dict(base)
            if q is not None:
                row |= {"quote_n": q["n"], "quote": q["quote"],
                        "translation": q["translation"] or "", "quote_verified": q["verified"],
                        "title": q["title"], "published_at": q["published_at"] or "",
                        "url": q["url"] or "", "doc_id": q["doc_id"]}  # fmt: skip
            writer.writerow({k: _spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def _spreadsheet_safe(value: Any) -> Any:
    """A cell that a spreadsheet would run as a formula (=, +, -, @) is quoted: quotes and
    titles come from documents, which are untrusted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
