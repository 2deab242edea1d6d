"""`/api/ingest`: uploaded files through the same ingest pipeline as `dragoman ingest`.

Each file is ingested on its own (one ingest run each), so every file gets its own
result; a bad file fails alone and loses nothing already stored.  Indexing follows once
for the whole upload, on the retrieval the server answers from.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.accounts.accounts import User
from assistant.core.clearance import clearance_level
from assistant.core.errors import DragomanError, InputError, PermissionDeniedError
from assistant.core.memory import release_free_memory
from assistant.web.services import Services
from corpus.connectors import Options
from corpus.document import CLEARANCES, KINDS

logger = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
MAX_FILES = 50


@dataclass
class Upload:
    name: str
    data: bytes


@dataclass
class UploadOptions:
    kind: str | None = None
    source: str | None = None
    clearance: str = "public"
    language: str | None = None


def safe_name(name: str) -> str:
    """The file name without any directory part or unusual character."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._")
    return cleaned[:120] or "upload"


def upload_scope(user: User) -> str | None:
    """An upload's documents live in its uploader's namespace, unless an admin files them
    into the shared one (where `dragoman ingest` files): one analyst's ``cable.md`` is
    never another's."""
    return None if user.role == "admin" else f"upload:{user.username}"


def check_options(user: User, options: UploadOptions, files: int) -> None:
    if not files:
        raise InputError("no file uploaded", fix="send one or more `files` parts")
    if files > MAX_FILES:
        raise InputError(f"at most {MAX_FILES} files per upload, got {files}")
    if options.kind is not None and options.kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, got {options.kind!r}")
    if options.clearance not in CLEARANCES:
        raise InputError(f"clearance must be one of {', '.join(CLEARANCES)}")
    if clearance_level(options.clearance) > clearance_level(user.clearance):
        raise PermissionDeniedError(
            f"cannot file documents as {options.clearance!r} with {user.clearance!r} clearance"
        )


def ingest_uploads(
    services: Services, user: User, uploads: list[Upload], options: UploadOptions
) -> dict[str, Any]:
    """Store the files, ingest each, index the lot; per-file results and the index report.

    The ingest lock is held for one file at a time (and for the indexing), never for the
    whole upload, so one large upload does not stall everyone else's; an archive with more
    members than ``DRAGOMAN_UPLOAD_MAX_FILES`` is refused. The originals are kept only as
    long as ``DRAGOMAN_UPLOAD_KEEP_DAYS`` says (default: removed once ingested)."""
    check_options(user, options, len(uploads))
    settings = services.settings
    sweep_uploads(services.uploads_dir, settings.upload_keep_days)
    folder = services.uploads_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    ingest_options = Options(
        kind=options.kind,  # type: ignore[arg-type]
        source=options.source,
        clearance=options.clearance,  # type: ignore[arg-type]
        language=options.language,
        batch_size=settings.ingest_batch_size,
        scope=upload_scope(user),
        actor=f"web:{user.username}",
    )
    ingest_options = replace(
        ingest_options,
        limits=replace(ingest_options.limits, max_archive_members=settings.upload_max_files),
    )
    results = []
    try:
        for upload in uploads:
            path = _unique(folder, safe_name(upload.name))
            path.write_bytes(upload.data)
            with services.ingest_lock:
                results.append(_ingest_one(services, path, upload.name, ingest_options))
        with services.ingest_lock:
            result: dict[str, Any] = {"files": results, **services.ingestion.finish()}
    finally:
        if settings.upload_keep_days == 0:
            shutil.rmtree(folder, ignore_errors=True)
    release_free_memory(force=True)  # parsing, embedding and scoring freed a lot
    return result


def sweep_uploads(root: Path, keep_days: float, now: float | None = None) -> int:
    """Remove the upload folders older than ``keep_days`` (at least an hour old: one being
    ingested now is never swept); how many."""
    if not root.exists():
        return 0
    cutoff = (now or time.time()) - max(keep_days * 86400, 3600.0)
    removed = 0
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime <= cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def _unique(folder: Path, name: str) -> Path:
    path = folder / name
    counter = 1
    while path.exists():
        path = folder / f"{counter}-{name}"
        counter += 1
    return path


def _ingest_one(services: Services, path: Path, name: str, options: Options) -> dict[str, Any]:
    try:
        report = services.ingestion.register([str(path)], options)
    except DragomanError as exc:
        return {"file": name, "status": "failed", **exc.to_dict()}
    except Exception as exc:
        logger.exception("ingest of an uploaded file failed")
        message = "the file could not be ingested (the server log has the detail)"
        return {"file": name, "status": "failed", "error": type(exc).__name__, "message": message}
    failed = report.failed
    counts = {
        key: getattr(report, key)
        for key in ("added", "updated", "unchanged", "near_duplicates", "exact_duplicates")
    }
    status = "failed" if failed and not report.documents_seen else "ok"
    result: dict[str, Any] = {"file": name, "status": status, "run_id": report.run_id, **counts}
    if failed:
        result["errors"] = [f["error"] for f in failed]
    return result
