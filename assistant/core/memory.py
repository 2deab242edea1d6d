"""Keeping a long-running process's resident memory level: glibc's allocator, tamed.

A server thread that embeds, runs llama.cpp or renders a PDF allocates and frees hundreds
of megabytes; glibc gives each thread its own arena (up to 8 per core) and returns freed
pages to the system only when asked.  `dragoman serve` therefore caps the arenas at start
and trims free memory after heavy work.  Elsewhere (musl, macOS) both are no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)
M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENAS = 2
TRIM_INTERVAL_S = 5.0
_last_trim = 0.0
_trim_lock = threading.Lock()


@lru_cache(maxsize=1)
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (call before worker threads start); True if applied."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def release_free_memory(force: bool = False) -> bool:
    """Return freed heap pages to the system (at most every few seconds unless ``force``)."""
    global _last_trim
    libc = _libc()
    if libc is None:
        return False
    with _trim_lock:
        now = time.monotonic()
        if not force and now - _last_trim < TRIM_INTERVAL_S:
            return False
        _last_trim = now
    libc.malloc_trim(0)
    return True
