"""Process memory and on-disk sizes for the benchmarks (Linux /proc; no extra dependency)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

MB = 1024 * 1024


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _status_kb(current, "VmRSS")
        stack.extend(_children(current))
    return round(total / 1024, 1)


def self_rss_mb() -> float:
    return round(_status_kb(os.getpid(), "VmRSS") / 1024, 1)


def self_peak_rss_mb() -> float:
    return round(_status_kb(os.getpid(), "VmHWM") / 1024, 1)


def dir_size_mb(path: Path) -> float:
    """Bytes actually allocated on disk (sparse files count what they use), in MiB."""
    if path.is_file():
        return round(path.stat().st_blocks * 512 / MB, 1)
    total = sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())
    return round(total / MB, 1)


class RssSampler:
    """Samples a process tree's RSS every `interval` seconds; `.peak_mb` after `stop()`."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(tree_rss_mb(self.pid))
            self._stop.wait(self.interval)

    @property
    def peak_mb(self) -> float:
        return max(self.samples, default=0.0)
