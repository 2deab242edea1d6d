"""What the API answers when it fails: one error body for every status, documented in
``/openapi.json`` for every route (the shapes of successful answers are the routes'
``response_model``s)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from fastapi import Query
from fastapi.routing import APIRoute
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import CoreSchema, core_schema

from assistant.core.errors import RangeError


class ContractRoute(APIRoute):
    """A route answering with its ``response_model``'s keys as the feature gave them: a key
    with a default that the output leaves out stays out (older stored records, a forecast
    that is not available), as in the CLI's ``--json``."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(path, endpoint, **kwargs)


class ReadingOut(BaseModel):
    """A document's text as safe HTML (Markdown rendered, cited ranges in ``<mark>``)."""

    doc_id: str
    html: str


class HealthOut(BaseModel):
    """Liveness and load (no authentication, nothing private)."""

    status: Literal["ok", "degraded"]
    version: str
    model_loaded: bool
    generation: dict[str, Any]
    # each part: "ok" or what is wrong (databases reached with one query; no private detail)
    parts: dict[str, str] = Field(default_factory=dict)
    workers: int = 1  # `serve --workers`: above 1, state is shared through the users' database
    # label kinds by licence status for this server's model (details: GET /api/licences)
    licences: dict[str, int] = Field(default_factory=dict)
    calibration: str = "idle"  # the background calibration: idle | running | done | failed


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
    502: _error("The model backend failed, or answered with output that could not be used"),
    503: _error("Busy or a component is unavailable: Retry-After when it is the queue"),
}
# Routes that change an item whose state may forbid the change (a draft already in review,
# a source URL already added) also answer 409.
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: _error("Not allowed in the item's current state, or it already exists"),
}


# Query parameters shared by the monitoring routes, typed so that /openapi.json states what
# each accepts (an empty value, as an HTML form sends it, means "not set").
_SPAN = r"^([1-9][0-9]{0,11}[hdw])?$"


def _calendar_date(text: str) -> str:
    date.fromisoformat(text)  # ValueError → 422: 2025-02-30 has the shape but is no date
    return text


# A calendar date as text, YYYY-MM-DD only (pydantic's own `date` also takes a number of
# seconds, so "0" would pass as 1970-01-01).
IsoDate = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    AfterValidator(_calendar_date),
    WithJsonSchema({"type": "string", "format": "date"}),
]
# A day a request may name for work to be done on it (a briefing): 1900–2999.
BoundedDate = Annotated[
    str,
    StringConstraints(pattern=r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"),
    AfterValidator(_calendar_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": "^(19|2[0-9])[0-9]{2}-"}),
]


def _day_text(value: object) -> object:
    """A request body's date: YYYY-MM-DD text within 1900–2999 (not a number of seconds,
    not a date-time), or a date the server made itself."""
    if isinstance(value, date):
        return value
    if not (
        isinstance(value, str) and re.fullmatch(r"(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}", value)
    ):
        raise ValueError("a date is written YYYY-MM-DD, between 1900 and 2999")
    return value


# A date in a JSON body (filters, a period of positions), parsed to a date.
BodyDate = Annotated[
    date,
    BeforeValidator(_day_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": "^(19|2[0-9])[0-9]{2}-"}),
]


def check_period(since: date | None, until: date | None) -> None:
    """A period that ends before it starts is the caller's error (422, naming ``until``)."""
    if since and until and until < since:
        raise RangeError(
            f"until ({until}) is earlier than since ({since})",
            fix="swap them, or leave one out",
            param="until",
        )


Since = Annotated[
    IsoDate | Annotated[str, StringConstraints(pattern=_SPAN)] | None,
    Query(description="30d, 12h, 2w (before until) or a date like 2025-07-01"),
]
Until = Annotated[
    IsoDate | Literal[""] | None, Query(description="a date like 2025-07-01 (to its end); now")
]
Country = Annotated[
    str | None, Query(pattern=r"^([A-Za-z]{3})?$", description="an ISO 3166 alpha-3 code, e.g. CHN")
]
Language = Annotated[
    str | None, Query(pattern=r"^([A-Za-z]{2})?$", description="an ISO 639-1 code, e.g. zh")
]
Kind = Literal["news", "social", "policy", ""] | None
Granularity = Literal["day", "hour"]


def errors_as_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Errors are JSON on every route, pages included: say so in the OpenAPI document (FastAPI
    files an HTML route's error models under text/html)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in "45" and "text/html" in content:
                    content["application/json"] = content.pop("text/html")
    return schema


def not_null(schema: dict[str, Any]) -> None:
    """An optional form field is sent, empty or left out, never null (multipart has no null;
    an empty field counts as left out): its schema is the non-null variant, an enum taking ""
    too (pass as ``Form(json_schema_extra=not_null)``)."""
    variants = schema.pop("anyOf", None)
    if variants:
        schema.update(next(v for v in variants if v.get("type") != "null"))
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], ""]


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(NAMES)]``: one of a set the code defines, validated and shown
    as an ``enum`` in /openapi.json."""

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> CoreSchema:
        return core_schema.literal_schema(list(self.values))


# Row numbers in the URL: bounded so that no number overflows the database's integers.
MAX_ROW_ID = 2**53
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]
VersionNumber = Annotated[int, Query(ge=1, le=100_000)]
OptionalVersion = Annotated[int | None, Query(ge=1, le=100_000)]
MARKDOWN: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/markdown": {}}, "description": "Markdown"}
}


def validation_error_body(request: Any, errors: Sequence[Any]) -> dict[str, Any]:
    """A 422's body: the first parameter at fault, named as the API names it, with what it
    expects (its documented description); every problem when there are several."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc'][1:]) or 'body'}: {err['msg']}" for err in errors
    )
    first: dict[str, Any] = dict(errors[0]) if errors else {"loc": ()}
    where: tuple[Any, ...] = tuple(first["loc"])  # (query|path|body, name, [variant...])
    name = str(where[1]) if len(where) > 1 else None
    expected = _description(request, name) if name else None
    if name and expected:
        message = f"{name} expects {expected}, got {first.get('input')!r}"
        if len(errors) > 1:
            message += f" (all problems: {problems})"
    else:
        message = f"invalid request: {problems}"
    return {"error": "InputError", "message": message, "fix": None, "param": name}


def _description(request: Any, name: str) -> str | None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    for field in getattr(dependant, "query_params", []) + getattr(dependant, "path_params", []):
        if field.alias == name:
            return getattr(field.field_info, "description", None)
    return None
