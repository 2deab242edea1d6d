"""A calibration run in the background: `serve` starts one for a backend that has no
records, so that its labels licence themselves when it ends (``dragoman calibrate`` in a
child process: the suites live above the web app, and a failure there cannot take the
server down). One per home at a time; its state is a file every worker reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOG_KEPT = 4000  # characters of the child's error output kept in the state


class BackgroundCalibration:
    def __init__(self, home: Path) -> None:
        self.folder = home / "calibration"
        self.state_file = self.folder / "background.json"
        self.log_file = self.folder / "background.log"
        self.child: subprocess.Popen[bytes] | None = None  # the one this process started

    def state(self) -> dict[str, Any]:
        """``status``: idle | running | done | failed, with the backend, times and error."""
        try:
            state: dict[str, Any] = json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError):
            return {"status": "idle"}
        if state.get("status") == "running" and not _alive(int(state.get("pid") or 0)):
            state.update(status="failed", error="the calibration process is gone")
        return state

    def start(self, backend: str, limit: int | None, env: dict[str, str] | None = None) -> bool:
        """Start ``dragoman calibrate --backend B``; False when one is running already."""
        if self.state().get("status") == "running":
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "assistant", "calibrate", "--backend", backend, "--json"]
        if limit is not None:
            command += ["--limit", str(limit)]
        log = self.log_file.open("w", encoding="utf-8")
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=log, env={**os.environ, **(env or {})}
        )
        self.child = child
        started = _now()
        running = {"status": "running", "backend": backend, "pid": child.pid}
        self._write({**running, "started_at": started, "limit": limit})
        waiter = threading.Thread(
            target=self._wait, args=(child, backend, started, log), daemon=True
        )
        waiter.start()
        return True

    def stop(self) -> None:
        """End the calibration this process started (the server is stopping: the next
        start calibrates again if the records are still missing)."""
        child = self.child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    def _wait(self, child: subprocess.Popen[bytes], backend: str, started: str, log: Any) -> None:
        output = child.communicate()[0]
        log.close()
        state: dict[str, Any] = {"backend": backend, "started_at": started}
        state.update(finished_at=_now(), pid=child.pid)
        if child.returncode == 0:
            try:
                found = json.loads(output or b"{}")
            except ValueError:  # a stray line on stdout: the records are written all the same
                found = {}
            state.update(status="done", run_id=found.get("run_id"))
            state.update(records=len(found.get("records", [])))
        else:
            error = self.log_file.read_text("utf-8", errors="replace")[-LOG_KEPT:]
            state.update(status="failed", error=error.strip() or f"exit {child.returncode}")
        self._write(state)

    def _write(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False), "utf-8")
        tmp.replace(self.state_file)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
