"""The one exception tree of Dragoman.

Everything the packages raise on purpose derives from :class:`DragomanError`.
Each error carries a human message and, where there is one, ``fix`` — the
action that resolves it.  The CLI and the HTTP API convert these to messages
and status codes at the edges only (``assistant.cli`` and the web app); core
code never prints or exits.

    DragomanError
    ├── ConfigError            settings invalid or incomplete (exit 2 / HTTP 500)
    ├── ModelError             embedded model weights
    │   ├── ModelMissingError      a part package is not installed
    │   └── ModelIntegrityError    assembled weights fail the sha256 check
    ├── BackendError           an LLM backend failed
    │   ├── BackendUnavailableError   cannot reach / load the backend (HTTP 503)
    │   ├── BackendAuthError          missing or rejected credentials
    │   └── LLMOutputError            output violates the requested JSON schema
    ├── TokenizerError         tiktoken files cannot be seeded or loaded
    ├── EmbedderError          embedder cannot load or embed
    ├── StoreError             a storage component (Chroma, registry) failed
    ├── InputError             bad user input (file, flag, request)  (HTTP 400)
    │   ├── NotFoundError          no such thing, or not within the caller's clearance (404)
    │   ├── RequestTooLargeError   a request body over its limit (413)
    │   └── ConflictError          not allowed in the item's current state (409)
    ├── AuthError              not signed in, or a bad password / token / CSRF token (401)
    │   └── PermissionDeniedError  signed in, but the role does not allow it (403)
    └── BusyError              try again later: Retry-After says when
        ├── RateLimitedError       this user's request rate is over its limit (429)
        └── ServerBusyError        the generation queue is full (503)
"""

from __future__ import annotations

import re
from typing import Any


class DragomanError(Exception):
    """Base class of every error Dragoman raises on purpose."""

    exit_code = 1
    http_status = 500

    def __init_subclass__(
        cls, *, exit_code: int | None = None, http_status: int | None = None, **kwargs: Any
    ) -> None:
        """``class NotFoundError(InputError, http_status=404)``: what the edges answer."""
        super().__init_subclass__(**kwargs)
        cls.exit_code = cls.exit_code if exit_code is None else exit_code
        cls.http_status = cls.http_status if http_status is None else http_status

    def __init__(self, message: str, *, fix: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.param = param  # the request parameter at fault, by its API name ("since")

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message

    def to_dict(self) -> dict[str, str | None]:
        found = {"error": type(self).__name__, "message": self.message, "fix": self.fix}
        return found | ({"param": self.param} if self.param else {})

    def message_for_cli(self) -> str:
        """The message with its parameter named as the CLI's flag (``since`` → ``--since``)."""
        if not self.param:
            return self.message
        name = self.param
        return re.sub(
            rf"(?<![\w-]){re.escape(name)}\b", f"--{name.replace('_', '-')}", self.message
        )


class ConfigError(DragomanError, exit_code=2):
    """Settings are invalid, incomplete or unsafe for the environment."""


class ModelError(DragomanError):
    """The embedded model's weights cannot be provided."""


class ModelMissingError(ModelError):
    """A package carrying part of the weights is not installed."""


class ModelIntegrityError(ModelError):
    """Assembled weights do not match the expected sha256."""


class BackendError(DragomanError, http_status=502):
    """An LLM backend failed."""


class BackendUnavailableError(BackendError, http_status=503):
    """The backend cannot be reached or loaded."""


class BackendAuthError(BackendError):
    """Credentials for the backend are missing or rejected."""


class LLMOutputError(BackendError):
    """The model's output does not satisfy the requested JSON schema."""


class TokenizerError(DragomanError):
    """Token counting files cannot be seeded or loaded offline."""


class EmbedderError(DragomanError):
    """An embedder cannot be loaded or fails to embed."""


class StoreError(DragomanError, http_status=503):
    """A storage component (vector store, registry) failed."""


class InputError(DragomanError, exit_code=2, http_status=400):
    """Bad input from the user: a file, a flag, a request."""


class NotFoundError(InputError, http_status=404):
    """No such item — or one above the caller's clearance (never told apart)."""


class RequestTooLargeError(InputError, http_status=413):
    """A request body is over the configured limit."""


class RangeError(InputError, http_status=422):
    """A requested range (a period, a count) is beyond its documented cap."""


class ConflictError(InputError, http_status=409):
    """The request does not fit the item's current state (a draft already approved, or
    changed since the caller read it)."""


class AuthError(DragomanError, exit_code=2, http_status=401):
    """Not authenticated: no session, a bad password, token or CSRF token."""


class PermissionDeniedError(AuthError, http_status=403):
    """Authenticated, but the user's role does not grant the action."""


class BusyError(DragomanError, http_status=503):
    """The request was refused for load; ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, *, retry_after_s: int, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.retry_after_s = max(1, retry_after_s)


class RateLimitedError(BusyError, http_status=429):
    """This user's request rate is over the limit."""


class ServerBusyError(BusyError, http_status=503):
    """The embedded model's bounded queue is full (or the wait in it ran out)."""
