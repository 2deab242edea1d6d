"""The ingest pipeline: walk → extract → normalise → deduplicate → store, in batches.

Idempotent: ids derive from source identities, and a document already stored with
the same content is counted ``unchanged``.  Crash-safe: the inputs are walked in a
fixed order and each batch is one transaction, so re-running after ``kill -9``
reaches exactly the state of an uninterrupted run.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.core.errors import InputError
from corpus.connectors import Options, extract
from corpus.connectors.documents import first_line_title
from corpus.countries import countries_in, country_name
from corpus.dedup import NearDuplicateIndex, from_bytes, signature, to_bytes
from corpus.document import (
    CLEARANCES,
    Document,
    Kind,
    RawRecord,
    content_hash,
    date_fields,
    http_url,
    make_doc_id,
    normalise_text,
    parse_date,
    scoped_identity,
)
from corpus.language import detect_language, normalise_language_code
from corpus.registry import Registry
from corpus.sources import SourceError, SourceFile, check_inputs, walk

FORMAT_KINDS: dict[str, Kind] = {
    "html": "news", "feed": "news",
    "tweets-js": "social", "telegram": "social", "mastodon": "social", "weibo": "social",
}  # fmt: skip
SETTABLE = ("title", "source", "author", "published_at", "language", "url", "platform")
ProgressFn = Callable[[int, int, str], None]  # (files done, documents done, current name)


@dataclass
class IngestReport:
    run_id: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    near_duplicates: int = 0
    exact_duplicates: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    documents_total: int = 0
    files: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["docs_per_s"] = round(self.documents_seen / self.seconds, 1) if self.seconds else None
        return data

    @property
    def documents_seen(self) -> int:
        return self.added + self.updated + self.unchanged


def filename_groups(source: SourceFile, options: Options) -> dict[str, str]:
    """Named groups of ``--filename-pattern`` matched on the file's name."""
    if not options.filename_pattern:
        return {}
    match = re.search(options.filename_pattern, source.identity.split("::")[-1])
    return {k: v for k, v in match.groupdict().items() if v is not None} if match else {}


def assigned_fields(
    groups: dict[str, str], record: RawRecord, templates: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Filename groups plus ``--set field=template`` rendered over the groups and the
    record's own fields (``--set published_at={year}-03-05``); returns the values and
    the templates this record lacks a placeholder for."""
    values = {k: str(v) for k, v in record.metadata.items() if isinstance(v, str | int)}
    values.update(record.fields)
    values.update(groups)
    if "country" in values:
        values["country_name"] = country_name(values["country"])
    assigned, missing = dict(groups), []
    for name, template in templates.items():
        try:
            assigned[name] = string.Formatter().vformat(template, (), values)
        except (KeyError, IndexError):
            missing.append(name)
    return assigned, missing


class Ingestor:
    """One ingest run over a registry."""

    def __init__(self, registry: Registry, options: Options, templates: dict[str, str]) -> None:
        unknown = set(templates) - set(SETTABLE)
        if unknown:
            raise InputError(f"--set cannot assign {sorted(unknown)}", fix=f"one of {SETTABLE}")
        self.registry = registry
        self.options = options
        self.templates = templates
        try:
            self.zone: tzinfo = ZoneInfo(options.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(
                f"unknown --timezone {options.timezone!r}", fix="e.g. Asia/Shanghai"
            ) from exc
        self.date_default = parse_date(options.date_default) if options.date_default else None
        if self.date_default is not None:
            self.date_default = self.date_default.replace(tzinfo=None)
        # Duplicates are linked only within one clearance level: a document must never be
        # hidden behind an original that some of its readers are not cleared to see.
        self.near: dict[str, NearDuplicateIndex] = {
            c: NearDuplicateIndex(options.near_dup_threshold) for c in CLEARANCES
        }
        for doc_id, clearance, data in registry.signatures():
            self.near[clearance].add(doc_id, from_bytes(data))
        self.pending: list[tuple[Document, bytes | None]] = []
        self.batch_hashes: dict[tuple[str, str], str] = {}

    def run(self, inputs: list[str], progress: ProgressFn | None = None) -> IngestReport:
        check_inputs(inputs)
        return self._recorded(inputs, lambda report: self._walk(inputs, report, progress))

    def run_records(self, label: str, records: Iterable[RawRecord], fmt: str) -> IngestReport:
        """Store records read by a collector (no files): the same normalisation,
        de-duplication, versions and batches as files; ``label`` names the run's input."""
        origin = SourceFile(label, label.rstrip("/").rsplit("/", 1)[-1] or label, b"", label)

        def take(report: IngestReport) -> None:
            for record in records:
                report.files += 1
                document = self.normalise(record, origin, fmt, {})
                if document is not None:
                    self._accept(document, report)
                if len(self.pending) >= self.options.batch_size:
                    self._flush(report)

        return self._recorded([label], take)

    def _recorded(self, inputs: list[str], body: Callable[[IngestReport], None]) -> IngestReport:
        """Run ``body`` as one recorded run: flushed at the end, never left "running"."""
        started = time.perf_counter()
        report = IngestReport(self.registry.start_run(inputs, self._options_record()))
        try:
            body(report)
            self._flush(report)
        except BaseException:
            # Whatever stops the run (a store error, Ctrl-C), it is never left "running".
            self.registry.abandon_run(report.run_id, self._counts(report), report.failed)
            raise
        report.documents_total = self.registry.count()
        report.seconds = round(time.perf_counter() - started, 3)
        self.registry.finish_run(report.run_id, self._counts(report), report.failed, report.seconds)
        return report

    def _walk(self, inputs: list[str], report: IngestReport, progress: ProgressFn | None) -> None:
        for item in walk(inputs, self.options.limits):
            report.files += 1
            if isinstance(item, SourceError):
                report.failed.append({"path": item.path, "error": item.error})
            else:
                self._ingest_file(item, report)
            if progress:
                progress(report.files, report.documents_seen, getattr(item, "name", ""))

    def _options_record(self) -> dict[str, Any]:
        record = asdict(self.options)
        record["set"] = self.templates
        return record

    @staticmethod
    def _counts(report: IngestReport) -> dict[str, Any]:
        data = report.to_dict()
        data["failed"] = len(report.failed)
        return {k: v for k, v in data.items() if k != "run_id"}

    def _ingest_file(self, source: SourceFile, report: IngestReport) -> None:
        where = source.path or source.identity
        try:
            fmt, records = extract(source, self.options)
            groups = filename_groups(source, self.options)
            documents = [self.normalise(r, source, fmt, groups) for r in records]
            self._check_templates_rendered(documents)
        except InputError as exc:
            report.failed.append({"path": where, "error": str(exc)})
            return
        except Exception as exc:  # noqa: BLE001 - a connector's bug or missing library fails its file alone
            report.failed.append({"path": where, "error": f"{type(exc).__name__}: {exc}"})
            return
        for document in documents:
            if document is not None:
                self._accept(document, report)
        if len(self.pending) >= self.options.batch_size:
            self._flush(report)

    def normalise(
        self, record: RawRecord, source: SourceFile, fmt: str, groups: dict[str, str]
    ) -> Document | None:
        text = normalise_text(record.text)
        if not text:
            return None
        assigned, missing = assigned_fields(groups, record, self.templates)
        if missing:
            record.metadata["unrendered_set"] = missing
        values = {name: getattr(record, name) for name in SETTABLE}
        values.update({k: v for k, v in assigned.items() if k in SETTABLE and v})
        published = _lenient_date(values["published_at"], record, self.date_default, self.zone)
        language = self.options.language or values["language"]
        language = normalise_language_code(language) if language else detect_language(text)
        title = values["title"] or first_line_title(text, PurePosixPath(source.name).stem)
        countries = list(dict.fromkeys(
            [c.upper() for c in record.countries]
            + ([assigned["country"].upper()] if _is_alpha3(assigned.get("country")) else [])
            + countries_in(f"{title}\n{text}")
        ))  # fmt: skip
        published_date, published_ts = date_fields(published)
        metadata = {**record.metadata, "format": fmt}
        if values["url"] and not http_url(values["url"]):
            metadata["url_dropped"] = "not an http(s) URL"
        metadata.update({k: v for k, v in assigned.items() if k not in SETTABLE})
        identity = scoped_identity(record.identity, self.options.clearance, self.options.scope)
        return Document(
            doc_id=make_doc_id(identity),
            kind=self.options.kind or record.kind or FORMAT_KINDS.get(fmt, "policy"),
            title=normalise_text(str(title))[:500],
            text=text,
            url=http_url(values["url"]),
            source=self.options.source or values["source"],
            author=values["author"],
            platform=values["platform"],
            published_at=published,
            published_date=published_date,
            published_ts=published_ts,
            language=language,
            countries_mentioned=countries,
            clearance=self.options.clearance,
            content_hash=content_hash(text),
            origin=identity,
            metadata=metadata,
        )

    def _check_templates_rendered(self, documents: list[Document | None]) -> None:
        """A --set template that renders for no record of a file is a mistake, not data."""
        unrendered = [set(d.metadata.get("unrendered_set", ())) for d in documents if d]
        always = set.intersection(*unrendered) if unrendered else set()
        if always:
            name = sorted(always)[0]
            raise InputError(
                f"--set {name}={self.templates[name]!r} names a placeholder that is neither a "
                "--filename-pattern group nor a field of any record in this file"
            )

    def _accept(self, doc: Document, report: IngestReport) -> None:
        """Classify a document (unchanged / duplicate / new) and queue it for writing."""
        stored = self.registry.existing([doc.doc_id]).get(doc.doc_id)
        if stored is not None and stored.clearance != doc.clearance:
            # An id from before clearance was part of the identity, filed at another level:
            # never touch it (nor say it exists); this document takes the explicit id.
            doc.origin = scoped_identity(doc.origin, doc.clearance, explicit=True)
            doc.doc_id = make_doc_id(doc.origin)
            stored = self.registry.existing([doc.doc_id]).get(doc.doc_id)
        queued = next((d for d, _ in self.pending if d.doc_id == doc.doc_id), None)
        if queued is not None or (stored is not None and _same(stored, doc)):
            report.unchanged += 1
            return
        minhash = signature(doc.text, doc.language)
        key = (doc.clearance, doc.content_hash)
        exact = self.batch_hashes.get(key) or self.registry.original_with_hash(*key)
        if exact and exact != doc.doc_id:
            doc.duplicate_of, doc.duplicate_kind = exact, "exact"
            report.exact_duplicates += 1
        else:
            near = self.near[doc.clearance].original_of(minhash, exclude=doc.doc_id)
            if near:
                doc.duplicate_of, doc.duplicate_kind = near, "near"
                report.near_duplicates += 1
        if stored is not None:
            report.updated += 1
        else:
            report.added += 1
        if doc.duplicate_of is None:
            self.near[doc.clearance].add(doc.doc_id, minhash)
            self.batch_hashes.setdefault(key, doc.doc_id)
        self.pending.append((doc, to_bytes(minhash) if doc.duplicate_of is None else None))

    def _flush(self, report: IngestReport) -> None:
        if self.pending:
            self.registry.write_batch(self.pending, report.run_id, self.options.actor)
            self.pending = []
            self.batch_hashes = {}


def _is_alpha3(code: str | None) -> bool:
    return bool(code) and country_name(str(code)) != str(code)


def _same(stored: Document, new: Document) -> bool:
    ignore = {"duplicate_of", "duplicate_kind"}
    return stored.model_dump(exclude=ignore) == new.model_dump(exclude=ignore)


def _lenient_date(
    value: Any, record: RawRecord, default: datetime | None, zone: tzinfo
) -> datetime | None:
    try:
        return parse_date(value, default, zone)
    except InputError:
        record.metadata["unparsed_date"] = str(value)
        return None


def ingest(
    registry: Registry,
    inputs: list[str],
    options: Options,
    templates: dict[str, str] | None = None,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Run one ingest and return its report."""
    return Ingestor(registry, options, templates or {}).run(inputs, progress)
