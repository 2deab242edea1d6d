"""Walk ingest inputs — files, directories, .tar.gz/.zip archives, URLs — under hard limits.

Yields :class:`SourceFile` items in a deterministic order, or :class:`SourceError`
for an input that cannot be read (too large, a decompression bomb, a truncated
archive…), so the caller reports it and carries on with the rest.
"""

from __future__ import annotations

import gzip
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from assistant.core.errors import InputError
from assistant.core.fetch import FetchError, FetchPolicy, GuardedClient


@dataclass(frozen=True)
class Limits:
    """Hard limits on what one input may cost."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_archive_members: int = 200_000
    max_archive_bytes: int = 4 * 1024 * 1024 * 1024
    max_ratio: float = 100.0
    max_line_chars: int = 1_000_000
    # a URL is fetched through the checked client: the address policy after DNS and on
    # every redirect, a total deadline; private addresses only where the settings allow
    fetch: FetchPolicy = field(default_factory=lambda: FetchPolicy(timeout_s=30.0))


@dataclass(frozen=True)
class SourceFile:
    """One file's bytes and the identity its documents derive their ids from."""

    identity: str
    name: str
    data: bytes
    path: str = ""  # where it was read from, for reports (a path, archive::member or URL)


@dataclass(frozen=True)
class SourceError:
    path: str
    error: str


SourceItem = SourceFile | SourceError
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def walk(inputs: list[str], limits: Limits) -> Iterator[SourceItem]:
    """Every file under the inputs, archives opened, in a stable order."""
    for raw in inputs:
        if raw.startswith(("http://", "https://")):
            yield _fetch(raw, limits)
            continue
        path = Path(raw)
        if not path.exists():
            yield SourceError(raw, "no such file or directory")
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = child.relative_to(path)
                if not any(part.startswith(".") for part in rel.parts):
                    yield from _open_file(child, f"{path.name}/{rel.as_posix()}", limits)
        else:
            yield from _open_file(path, path.name, limits)


def _open_file(path: Path, identity: str, limits: Limits) -> Iterator[SourceItem]:
    size = path.stat().st_size
    if size == 0:
        yield SourceError(str(path), "empty file")
        return
    if path.name.lower().endswith(_ARCHIVE_SUFFIXES):
        yield from _walk_archive(path, identity, limits)
        return
    if path.name.lower().endswith(".gz"):
        yield _gunzip(path, identity, limits)
        return
    if size > limits.max_file_bytes:
        yield SourceError(
            str(path), f"file is {_mb(size)}, over the {_mb(limits.max_file_bytes)} limit"
        )
        return
    yield SourceFile(identity, path.name, path.read_bytes(), str(path))


def _walk_archive(path: Path, identity: str, limits: Limits) -> Iterator[SourceItem]:
    budget = min(limits.max_archive_bytes, int(path.stat().st_size * limits.max_ratio) + 1)
    try:
        if path.name.lower().endswith(".zip"):
            yield from _walk_zip(path, identity, limits, budget)
        else:
            yield from _walk_tar(path, identity, limits, budget)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, gzip.BadGzipFile, OSError) as exc:
        yield SourceError(str(path), f"unreadable archive: {type(exc).__name__}: {exc}")


def _walk_tar(path: Path, identity: str, limits: Limits, budget: int) -> Iterator[SourceItem]:
    """Members in archive order (fixed for a given archive), streamed: a truncated archive
    yields what precedes the cut, then its error."""
    declared, count = 0, 0
    with tarfile.open(path, mode="r:*") as archive:
        for member in archive:  # headers arrive as the stream is read: stop early on a bomb
            if not member.isfile():
                continue
            name = member.name.removeprefix("./")
            declared += member.size
            count += 1
            if count > limits.max_archive_members:
                yield SourceError(
                    str(path),
                    f"archive has over {limits.max_archive_members} files: the rest refused",
                )
                return
            if declared > budget:
                yield SourceError(str(path), "archive expands beyond the decompression limit")
                return
            if any(part.startswith(".") for part in name.split("/")):
                continue
            where = f"{path}::{name}"
            if member.size > limits.max_file_bytes:
                yield SourceError(where, f"member is {_mb(member.size)}, over the file limit")
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                yield SourceFile(f"{identity}::{name}", Path(name).name, handle.read(), where)


def _gunzip(path: Path, identity: str, limits: Limits) -> SourceItem:
    """A single gzip-compressed file (``.jsonl.gz``), decompressed under the limits."""
    cap = min(limits.max_file_bytes, int(path.stat().st_size * limits.max_ratio) + 1)
    try:
        with gzip.open(path) as handle:
            data = handle.read(cap + 1)
    except (OSError, EOFError) as exc:
        return SourceError(str(path), f"unreadable gzip file: {type(exc).__name__}: {exc}")
    if len(data) > cap:
        return SourceError(str(path), "expands beyond the decompression limit: refused")
    return SourceFile(identity.removesuffix(".gz"), path.name.removesuffix(".gz"), data, str(path))


def _walk_zip(path: Path, identity: str, limits: Limits, budget: int) -> Iterator[SourceItem]:
    spent = 0
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_archive_members:
            yield SourceError(str(path), f"archive has over {limits.max_archive_members} files")
            return
        for info in sorted(infos, key=lambda i: i.filename):
            where = f"{path}::{info.filename}"
            if any(part.startswith(".") for part in info.filename.split("/")):
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.max_file_bytes or ratio > limits.max_ratio:
                yield SourceError(
                    where, f"member expands to {_mb(info.file_size)} (ratio {ratio:.0f}:1): refused"
                )
                continue
            spent += info.file_size
            if spent > budget:
                yield SourceError(str(path), "archive expands beyond the decompression limit")
                return
            data = _read_capped(archive.open(info), limits.max_file_bytes)
            yield SourceFile(f"{identity}::{info.filename}", Path(info.filename).name, data, where)


def _read_capped(handle: IO[bytes], cap: int) -> bytes:
    """Read at most ``cap`` bytes; a member that lies about its size is refused."""
    data = handle.read(cap + 1)
    if len(data) > cap:
        raise zipfile.BadZipFile("member larger than its declared size")
    return data


def _fetch(url: str, limits: Limits) -> SourceItem:
    policy = limits.fetch
    client = GuardedClient(replace(policy, max_bytes=min(policy.max_bytes, limits.max_file_bytes)))
    try:
        response = client.get(url)
    except FetchError as exc:
        return SourceError(url, f"cannot fetch: {exc}")
    finally:
        client.close()
    if response.status >= 400:
        return SourceError(url, f"cannot fetch: HTTP {response.status}")
    name = url.rstrip("/").rsplit("/", 1)[-1] or "index"
    return SourceFile(url, name, response.body, url)


def check_inputs(inputs: list[str]) -> None:
    if not inputs:
        raise InputError("nothing to ingest", fix="give files, directories, archives or URLs")
