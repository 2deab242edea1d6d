"""Conversation history per user: list, open, rename, delete, export (audited)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from assistant.answering.contracts import (
    ConversationDetailOut,
    ConversationOut,
    ConversationsOut,
)
from assistant.web.auth import CurrentUser, Exporter, ServicesDep, client_of, readable_now
from assistant.web.contracts import API_ERRORS, MARKDOWN, ContractRoute, RowId
from assistant.web.export import conversation_markdown, message_markdown

router = APIRouter(
    prefix="/api/conversations",
    tags=["conversations"],
    responses=API_ERRORS,
    route_class=ContractRoute,
)


class TitleIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


@router.get("", response_model=ConversationsOut)
def list_conversations(
    principal: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The caller's conversations, newest first (at most 500 a page)."""
    return {"conversations": services.history.conversations(principal.user.id, limit, offset)}


@router.post("", status_code=201, response_model=ConversationOut)
def create_conversation(
    body: TitleIn, principal: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return services.history.create(principal.user.id, body.title)


@router.get("/{conversation_id}", response_model=ConversationDetailOut)
def get_conversation(
    conversation_id: str, principal: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """One conversation with every question and verified answer."""
    return services.history.get(
        principal.user.id, conversation_id, readable_now(services, principal)
    )


@router.patch("/{conversation_id}", response_model=ConversationOut)
def rename_conversation(
    conversation_id: str, body: TitleIn, principal: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return services.history.rename(principal.user.id, conversation_id, body.title)


@router.delete("/{conversation_id}", status_code=204)
def delete_conversation(
    conversation_id: str, principal: CurrentUser, services: ServicesDep
) -> None:
    services.history.delete(principal.user.id, conversation_id)


@router.get(
    "/{conversation_id}/export", response_model=None,
    responses={200: {"model": ConversationDetailOut, "content": {"text/markdown": {}}}},
)  # fmt: skip
def export_conversation(
    conversation_id: str,
    principal: Exporter,
    services: ServicesDep,
    request: Request,
    format: Literal["markdown", "json"] = "markdown",
) -> PlainTextResponse | dict[str, Any]:
    """The conversation with its citations, as Markdown or JSON (audited as an export)."""
    conversation = services.history.get(
        principal.user.id, conversation_id, readable_now(services, principal)
    )
    services.audit.record(
        principal.user.username, "export", conversation_id, {"format": format},
        client_of(request),
    )  # fmt: skip
    if format == "json":
        return conversation
    return PlainTextResponse(
        conversation_markdown(conversation), media_type="text/markdown; charset=utf-8"
    )


@router.get("/{conversation_id}/messages/{message_id}/export", responses=MARKDOWN)
def export_message(
    conversation_id: str,
    message_id: RowId,
    principal: Exporter,
    services: ServicesDep,
    request: Request,
) -> PlainTextResponse:
    """One answer with its numbered references ("copy with citations"; audited)."""
    result = services.history.message(
        principal.user.id, conversation_id, message_id, readable_now(services, principal)
    )
    services.audit.record(
        principal.user.username, "export", f"{conversation_id}/{message_id}",
        {"format": "markdown"}, client_of(request),
    )  # fmt: skip
    return PlainTextResponse(message_markdown(result), media_type="text/markdown; charset=utf-8")
