"""What the drafting routes do, outside the routes: request bodies and the work behind them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool

from assistant.accounts.accounts import User
from assistant.drafting.checks import passages_of
from assistant.drafting.diffing import version_diff
from assistant.drafting.editing import edited_content
from assistant.drafting.export import render_export
from assistant.drafting.model import LANGUAGES, MAX_DOCS, MAX_INSTRUCTION, TONES, DraftRequest
from assistant.drafting.platforms import PLATFORM_NAMES
from assistant.web.contracts import OneOf
from assistant.web.guards import Ticket
from assistant.web.services import Services


class DraftIn(BaseModel):
    instruction: str = Field(min_length=1, max_length=MAX_INSTRUCTION)
    platform: Annotated[str, OneOf(PLATFORM_NAMES)] = "x"
    languages: list[Annotated[str, OneOf(LANGUAGES)]] = Field(
        default_factory=lambda: ["en"],
        min_length=1,
        max_length=6,
        json_schema_extra={"uniqueItems": True},
    )
    tone: Annotated[str, OneOf(tuple(TONES))] = "formal"
    doc_ids: list[str] = Field(default_factory=list, max_length=MAX_DOCS)
    thread: StrictBool = False


class EditIn(BaseModel):
    based_on: int = Field(ge=1, le=100_000, description="The version the edit starts from")
    texts: dict[Annotated[str, OneOf(LANGUAGES)], str] = Field(
        min_length=1, description="New text per language (one the draft was written in: else 409)"
    )


class ReviewIn(BaseModel):
    version: int = Field(ge=1, le=100_000, description="The version the reviewer read")
    comment: str = Field(default="", max_length=2000)
    acknowledge: bool = Field(default=False, description="The warnings were read")
    resolved: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list,
        max_length=200,
        description="The ids of the fidelity warnings acknowledged one by one",
    )


class ExportIn(BaseModel):
    format: Literal["json", "md"] = "json"


class CountIn(BaseModel):
    platform: Annotated[str, OneOf(PLATFORM_NAMES)]
    text: str = Field(max_length=70000)


def create_draft(
    services: Services, user: User, body: DraftIn, ticket: Ticket, client: str | None
) -> dict[str, Any]:
    """Generate (holding the model's turn for the whole draft) and enter the workflow."""
    request = DraftRequest(**body.model_dump(), reader_clearance=user.clearance)
    request.check()
    drafter = services.drafter()
    drafter.platform(request.platform)  # an unknown platform is refused before the queue
    content = ticket.run(lambda: drafter.draft(request))
    return services.drafts.create(user, content, client).to_dict()


def edit_draft(
    services: Services, user: User, draft_id: int, body: EditIn, client: str | None
) -> dict[str, Any]:
    """A new version from the edited texts, checked like generated text."""
    desk = services.drafts
    current = desk.get(draft_id).version.content
    drafter = services.drafter()
    content = edited_content(
        current,
        body.texts,
        drafter.platform(current.platform),
        drafter.verifier(passages_of(current)),
        drafter.terms,
    )
    return desk.edit(user, draft_id, content, body.based_on, client).to_dict()


def export_draft(
    services: Services, user: User, draft_id: int, fmt: str, client: str | None
) -> tuple[str, str, str]:
    """(body, media type, file name) of the approved version; the export is recorded."""
    view = services.drafts.exported(user, draft_id, fmt, client)
    approved = services.drafts.get(draft_id, view.approved_version)
    body, media_type = render_export(approved, fmt)
    return body, media_type, f"draft-{draft_id}-v{approved.version.number}.{fmt}"


def diff_versions(services: Services, draft_id: int, old: int, new: int) -> dict[str, Any]:
    desk = services.drafts
    before, after = desk.get(draft_id, old), desk.get(draft_id, new)
    return {
        "draft_id": draft_id,
        "from": old,
        "to": new,
        "languages": version_diff(before.version.content, after.version.content),
    }
