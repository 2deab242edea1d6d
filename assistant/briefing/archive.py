"""The briefing archive: ``DRAGOMAN_HOME/briefings/<date>/<watchlist>/``.

A run writes everything into a fresh folder beside the target and then swaps it in, so a
failed run leaves the previous one untouched.  A second briefing for the same date and
watchlist never overwrites the first: the earlier one is kept whole under
``versions/<n>/`` of the new one, and the manifest says which version is current and
lists the earlier ones.  ``manifest.json`` names the inputs' fingerprint, files,
deliveries and any failure.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.briefing.contracts import BriefingEntryOut
from assistant.core.errors import InputError, NotFoundError, RangeError, StoreError
from assistant.monitoring.delivery import shown_delivery
from corpus.document import CLEARANCES

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


MAX_LISTING = 500  # briefings one listing returns at most
# what a reader sees of a manifest (never the raw file: it records deliveries' targets)
SHOWN_KEYS = (
    "date",
    "watchlist",
    "window",
    "clearance",
    "languages",
    "formats",
    "files",
    "documents",
    "stories",
    "empty",
    "headlines",
    "untranslated",
    "backend",
    "model",
    "generated_at",
    "version",
    "earlier_versions",
    "licences",
)


def shown_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's reader-facing fields; deliveries without URLs or receivers' replies."""
    shown = {key: manifest[key] for key in SHOWN_KEYS if key in manifest}
    shown["files"] = [f for f in shown.get("files", []) if f != "manifest.json"]
    shown["deliveries"] = [shown_delivery(d) for d in manifest.get("deliveries", [])]
    return BriefingEntryOut.shape(shown)


def check_name(name: str) -> str:
    if not _NAME.match(name) or ".." in name:
        raise InputError(f"invalid watchlist name {name!r}", fix="letters, digits, _ . - only")
    return name


@dataclass
class Archive:
    root: Path

    def folder(self, date: str, watchlist: str) -> Path:
        if not _DATE.match(date):
            raise InputError(f"invalid briefing date {date!r}", fix="YYYY-MM-DD")
        return self.root / date / check_name(watchlist)

    def replace(self, date: str, watchlist: str, files: dict[str, bytes]) -> Path:
        """Write ``files`` (relative name → bytes) as the current briefing; an earlier one
        for the date and watchlist is kept as a version of it (never overwritten)."""
        target = self.folder(date, watchlist)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{watchlist}.", dir=target.parent))
        earlier: list[dict[str, Any]] = []
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            if target.exists():
                earlier = self._keep_versions(target, staging / "versions")
            staging.rename(target)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StoreError(f"cannot write the briefing to {target}: {exc}") from exc
        if "manifest.json" in files:
            self.update_manifest(target, {"version": len(earlier) + 1, "earlier_versions": earlier})
        return target

    def _keep_versions(self, target: Path, versions: Path) -> list[dict[str, Any]]:
        """Move the current briefing and its own earlier versions under ``versions``."""
        versions.mkdir()
        old_versions = target / "versions"
        if old_versions.is_dir():
            for child in old_versions.iterdir():
                child.rename(versions / child.name)
            old_versions.rmdir()
        number = 1 + sum(1 for child in versions.iterdir() if child.name.isdigit())
        target.rename(versions / str(number))
        return [self._version_entry(versions / str(n), n) for n in range(1, number + 1)]

    def _version_entry(self, folder: Path, number: int) -> dict[str, Any]:
        try:
            manifest = self.manifest(folder)
        except StoreError:
            manifest = {}
        files = sorted(
            p.name for p in folder.iterdir() if p.is_file() and p.name != "manifest.json"
        )
        return {
            "version": number,
            "generated_at": manifest.get("generated_at"),
            "clearance": manifest.get("clearance"),
            "files": files,
        }

    def update_manifest(self, folder: Path, changes: dict[str, Any]) -> dict[str, Any]:
        manifest = self.manifest(folder)
        manifest.update(changes)
        temporary = folder / ".manifest.json.tmp"
        temporary.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        temporary.replace(folder / "manifest.json")
        return manifest

    @staticmethod
    def manifest(folder: Path) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((folder / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"briefing manifest in {folder} is unreadable: {exc}") from exc
        return data

    def listing(
        self, clearance: str, limit: int = MAX_LISTING, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Archived briefings the clearance may read, newest first, as readers see them
        (:func:`shown_manifest`); at most ``limit`` (≤ MAX_LISTING) from ``offset``."""
        if not 1 <= limit <= MAX_LISTING or offset < 0:
            raise RangeError(f"limit must be 1–{MAX_LISTING} and offset ≥ 0")
        readable = set(CLEARANCES[: CLEARANCES.index(clearance) + 1])
        found = []
        for manifest_path in sorted(self.root.glob("*/*/manifest.json"), reverse=True):
            if manifest_path.parent.name.startswith("."):
                continue  # staging or replaced folders of a run in progress
            manifest = self.manifest(manifest_path.parent)
            if manifest.get("clearance") in readable:
                shown = shown_manifest(manifest)
                if shown.get("earlier_versions"):  # a reader learns nothing of one above
                    shown["earlier_versions"] = [  # their clearance, not even that it exists
                        v for v in shown["earlier_versions"] if v.get("clearance") in readable
                    ]
                found.append(shown)
            if len(found) >= offset + limit:
                break
        return found[offset:]

    def file(
        self, date: str, watchlist: str, name: str, clearance: str, version: int | None = None
    ) -> Path:
        """One file of an archived briefing (of one of its earlier ``version``s), if the
        clearance may read it (a name that could not be one is simply not found)."""
        if not (_DATE.match(date) and _NAME.match(watchlist)) or ".." in watchlist:
            raise NotFoundError(f"no briefing file {date}/{watchlist}/{name}")
        folder = self.folder(date, watchlist)
        if version is not None:
            folder = folder / "versions" / str(int(version))
        if (
            not _FILE.match(name)
            or name == "manifest.json"
            or not (folder / "manifest.json").exists()
        ):
            raise NotFoundError(f"no briefing file {date}/{watchlist}/{name}")
        manifest = self.manifest(folder)
        readable = CLEARANCES[: CLEARANCES.index(clearance) + 1]
        if manifest.get("clearance") not in readable or not (folder / name).is_file():
            raise NotFoundError(f"no briefing file {date}/{watchlist}/{name}")
        return folder / name
