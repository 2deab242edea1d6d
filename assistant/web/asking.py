"""Questions over HTTP: request models, the generation job, and its server-sent events.

Events of a streamed answer (``text/event-stream``)::

    event: queued   data: {"position": 2}              (only when waiting for the model)
    event: evidence data: {"sources": [...CitationOut]} (the passages found, before the draft;
                                                        again if the translated search changes them)
    event: token    data: {"text": "..."}              (the draft, as it is generated)
    event: result   data: {...ConversationAnswerOut}   (verified)
    event: error    data: {"error", "message", "fix", "status"}
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from datetime import date
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from assistant.accounts.accounts import User
from assistant.answering.contracts import ConversationAnswerOut
from assistant.answering.pipeline import EvidenceSink
from assistant.core.errors import DragomanError
from assistant.grounding.generation import TokenSink
from assistant.grounding.stages import Turn
from assistant.web.contracts import BodyDate, check_period
from assistant.web.guards import Ticket
from assistant.web.services import Services
from corpus.registry import DocFilters

SPEAKER_PATTERN = r"^([A-Za-z]{3}|@[\w.-]{1,64})$"  # an alpha-3 code or an @handle


def _speaker(value: str | None) -> str | None:
    return value if not value or value.startswith("@") else value.upper()


class FiltersIn(BaseModel):
    kind: Literal["news", "social", "policy"] | None = None
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    speaker: str | None = Field(default=None, pattern=SPEAKER_PATTERN)
    source: str | None = Field(default=None, max_length=300)
    since: BodyDate | None = None
    until: BodyDate | None = None

    def to_filters(self) -> DocFilters:
        """The filters the registry reads (a period ending before it starts refused: 422)."""
        check_period(self.since, self.until)
        return DocFilters(
            kind=self.kind, language=self.language,
            country=self.country.upper() if self.country else None, source=self.source,
            since=_yyyymmdd(self.since), until=_yyyymmdd(self.until),
            speaker=_speaker(self.speaker),
        )  # fmt: skip


def _yyyymmdd(value: date | None) -> int | None:
    return int(value.strftime("%Y%m%d")) if value else None


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    conversation_id: str | None = Field(default=None, max_length=40)
    language: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}$",
        description="Answer language, ISO 639-1 (default: the question's)",
    )
    k: int | None = Field(default=None, ge=1, le=20)
    filters: FiltersIn = Field(default_factory=FiltersIn)
    stream: StrictBool = Field(
        default=False, description="Server-sent events instead of one JSON (true or false)"
    )
    ignore: list[Literal["speaker", "source", "period"]] = Field(
        default_factory=list, max_length=3,
        description="Understood filters (chips) the analyst removed",
    )  # fmt: skip


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


class AskJob:
    """One admitted question: answered in a worker thread that holds the model's slot."""

    def __init__(
        self,
        services: Services,
        user: User,
        request: AskIn,
        conversation_id: str,
        history: list[Turn],
        ticket: Ticket,
    ) -> None:
        self.services = services
        self.user = user
        self.request = request
        self.conversation_id = conversation_id
        self.history = history
        self.ticket = ticket

    def answer(
        self, on_token: TokenSink | None = None, on_evidence: EvidenceSink | None = None
    ) -> dict[str, Any]:
        """Run the pipeline with the user's clearance; save it to the conversation."""
        result = self.services.engine().ask(
            self.request.question, history=self.history, language=self.request.language,
            clearance=self.user.clearance, filters=self.request.filters.to_filters(),
            k=self.request.k, on_token=on_token, ignore=set(self.request.ignore),
            on_evidence=on_evidence,
        )  # fmt: skip
        payload = result.to_dict()
        payload["conversation_id"] = self.conversation_id
        payload["message_id"] = self.services.history.append(
            self.user.id, self.conversation_id, payload
        )
        return ConversationAnswerOut.shape(payload)

    def run_blocking(self) -> dict[str, Any]:
        return self.ticket.run(self.answer)

    def start_stream(self) -> AsyncIterator[str]:
        """Start generating now (the slot is released even if nobody reads); stream events."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def emit(event: str, data: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (event, data))

        def work() -> None:
            try:
                answer = partial(
                    self.answer,
                    on_token=lambda text: emit("token", text),
                    on_evidence=lambda sources: emit("evidence", {"sources": sources}),
                )
                emit("result", self.ticket.run(answer))
            except DragomanError as exc:
                emit("error", {**exc.to_dict(), "status": exc.http_status})
            except Exception:
                emit("error", {"error": "InternalError", "message": "the answer failed",
                               "fix": "see the server log", "status": 500})  # fmt: skip
                raise
            finally:
                emit("end", None)

        threading.Thread(target=work, name="dragoman-ask", daemon=True).start()
        return self._events(queue)

    async def _events(self, queue: asyncio.Queue[tuple[str, Any]]) -> AsyncIterator[str]:
        if self.ticket.waiting:
            yield sse("queued", {"position": self.ticket.waiting})
        yield sse("start", {"conversation_id": self.conversation_id})
        while True:
            event, data = await queue.get()
            if event == "end":
                return
            yield sse(event, {"text": data} if event == "token" else data)
