"""What the API answers when it fails: one error body for every status, documented in
``/openapi.json`` for every route (the shapes of successful answers are the routes'
``response_model``s)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """Every API error: the exception's name, what went wrong, how to fix it."""

    error: str = Field(description="DragomanError subclass, e.g. InputError, NotFoundError")
    message: str
    fix: str | None = None
    param: str | None = Field(default=None, description="The request parameter at fault")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# The statuses any authenticated API route can answer besides its success.
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Invalid input (a parameter the route could parse but not accept)"),
    401: _error("Not signed in: no session cookie or bearer token, or an expired one"),
    403: _error("Signed in, but the role does not allow this"),
    404: _error("No such item, or one above the caller's clearance (never told apart)"),
    413: _error("The request body is over the configured limit"),
    422: _error("The request does not match the route's schema"),
    429: _error("Rate limited: Retry-After says when to try again"),
    503: _error("Busy or a component is unavailable: Retry-After when it is the queue"),
}
