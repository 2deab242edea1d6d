"""What `/healthz` says of the servers Dragoman depends on: the Chroma server and the
inference server, when configured, asked through their own health routes.

Asked at most every ``KEPT_S``, in the background after the first time, so that a slow
server never slows `/healthz` (load balancers call it often). An inference server that is
busy generating may not answer within the timeout: that is reported as ``busy``, not down.
"""

from __future__ import annotations

import threading
import time

import httpx

from assistant.core.settings import Settings

KEPT_S = 10.0
TIMEOUT_S = 2.0
HEALTHY = ("ok", "busy")


class ServerHealth:
    def __init__(self, settings: Settings, backend: str) -> None:
        self.checks: dict[str, tuple[str, dict[str, str]]] = {}
        if settings.chroma_url:
            self.checks["index"] = (f"{settings.chroma_url.rstrip('/')}/api/v2/heartbeat", {})
        openai = settings.openai
        if backend == "openai" and openai.base_url:
            key = openai.api_key.get_secret_value() if openai.api_key else None
            headers = {"authorization": f"Bearer {key}"} if key else {}
            self.checks["inference"] = (f"{openai.base_url.rstrip('/')}/models", headers)
        self._states: dict[str, str] | None = None
        self._asked_at = 0.0
        self._lock = threading.Lock()
        self._asking = False

    def states(self) -> dict[str, str]:
        """Each configured server's state: ok, busy, or what is wrong."""
        if not self.checks:
            return {}
        if self._states is None:  # the first time, wait for the answer
            self._refresh()
        elif time.monotonic() - self._asked_at > KEPT_S:
            with self._lock:
                start, self._asking = not self._asking, True
            if start:
                threading.Thread(target=self._refresh, name="dragoman-health", daemon=True).start()
        return dict(self._states or {})

    def _refresh(self) -> None:
        try:
            self._states = {
                part: _ask(url, headers) for part, (url, headers) in self.checks.items()
            }
            self._asked_at = time.monotonic()
        finally:
            self._asking = False


def _ask(url: str, headers: dict[str, str]) -> str:
    try:
        response = httpx.get(url, headers=headers, timeout=TIMEOUT_S)
    except httpx.TimeoutException:
        return "busy"
    except httpx.HTTPError as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok" if response.status_code == 200 else f"answers HTTP {response.status_code}"
