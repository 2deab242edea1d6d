"""The home's files are the owner's alone: restricted text (``dragoman.db``), password hashes
(``web.db``), the index, uploads and runs.

Every process that opens a home makes what it creates private whatever the umask it was
started with (:func:`private_files`: umask 077, the home itself 0700); a home made more open
by hand or by an older release is found by :func:`exposed` (``dragoman doctor`` warns) and
closed by :func:`close_up` (``dragoman doctor --fix-permissions``).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
MAX_LISTED = 20
LOW_DISK_BYTES = 64 * 1024 * 1024


def low_disk(home: Path, least: int = LOW_DISK_BYTES) -> str | None:
    """What is wrong with the disk holding ``home`` (nearly full, or not writable), if
    anything."""
    try:
        free = shutil.disk_usage(home).free
    except OSError:
        return None
    if free < least:
        return f"the disk holding {home} has {free // (1024 * 1024)} MB free"
    if not os.access(home, os.W_OK):
        return f"{home} is not writable"
    return None


def private_files(home: Path | None = None) -> None:
    """From now on this process creates files 0600 and folders 0700; ``home`` is created
    0700 if missing (and closed if this process just created it)."""
    os.umask(OWNER_ONLY_UMASK)
    if home is None:
        return
    try:
        if not home.exists():
            home.mkdir(parents=True, mode=0o700)
            home.chmod(0o700)
    except OSError:
        return  # reported where the home is first written, with what is wrong


def exposed(home: Path, limit: int = MAX_LISTED) -> list[str]:
    """Paths under ``home`` (the home first) that another local user could read or enter,
    at most ``limit`` of them."""
    found: list[str] = []
    if not home.exists():
        return found
    for path in [home, *_walk(home)]:
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if stat.S_ISLNK(mode):
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            found.append(f"{path} ({stat.filemode(mode)})")
            if len(found) >= limit:
                break
    return found


def close_up(home: Path) -> int:
    """Take every permission of group and others away under ``home``; how many paths
    changed."""
    changed = 0
    for path in [home, *_walk(home)]:
        try:
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not mode & (stat.S_IRWXG | stat.S_IRWXO):
                continue
            path.chmod(stat.S_IMODE(mode) & 0o700)
            changed += 1
        except OSError:
            continue
    return changed


def _walk(home: Path) -> list[Path]:
    paths: list[Path] = []
    for root, dirs, files in os.walk(home, followlinks=False):
        paths += [Path(root, d) for d in dirs] + [Path(root, f) for f in files]
    return paths
