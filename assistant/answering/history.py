"""Conversation history per user: conversations, their questions and verified answers
(tables in the users' database)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.accounts.store import Base, WebStore, utcnow
from assistant.core.errors import InputError, NotFoundError
from assistant.core.migrations import Schema
from assistant.grounding.stages import Turn
from prompts import render

MAX_TITLE = 200
HISTORY_TURNS = 4  # earlier exchanges given to the model for follow-up questions
WITHHELD = "withheld: a source this answer cited is no longer yours to read"

# Which of these documents the reader may read now (their clearance, at this moment).
Readable = Callable[[list[str]], Collection[str]]


def cited_documents(result: dict[str, Any]) -> list[str]:
    """Every document a saved answer cites, shows or names in a disagreement."""
    cited = [
        str(c.get("doc_id")) for key in ("citations", "sources") for c in result.get(key) or []
    ]
    for disagreement in result.get("disagreements") or []:
        cited += [str(d) for side in disagreement.get("sides", []) for d in side.get("doc_ids", [])]
    return list(dict.fromkeys(cited))


def withhold_unreadable(result: dict[str, Any], readable: Collection[str]) -> dict[str, Any]:
    """A saved answer as a reader may see it now: every passage from a document they may no
    longer read is taken out, and every sentence that cited one goes with it, and every quote
    of one (what was read from a document goes where it goes); ``withheld`` counts the
    sentences and quotes taken out."""
    numbers = [c for key in ("citations", "sources") for c in result.get(key) or []]
    gone = {int(c["n"]) for c in numbers if c.get("doc_id") not in readable}
    if all(doc_id in readable for doc_id in cited_documents(result)):
        return result
    shown = dict(result)
    for key in ("citations", "sources"):
        shown[key] = [c for c in result.get(key) or [] if c.get("doc_id") in readable]
    sentences = result.get("sentences") or []
    kept = [s for s in sentences if not gone & set(s.get("citations") or [])]
    shown["sentences"] = kept
    shown["disagreements"] = [
        d
        for d in result.get("disagreements") or []
        if all(doc in readable for side in d.get("sides", []) for doc in side.get("doc_ids", []))
    ]
    quotes = result.get("quotes") or []
    shown["quotes"] = [q for q in quotes if q.get("doc_id") in readable]
    shown["withheld"] = len(sentences) - len(kept) + len(quotes) - len(shown["quotes"])
    if shown["withheld"] or not (kept or shown["quotes"] or result.get("refused")):
        supported = [s for s in kept if s.get("supported", True)]  # what the answer showed
        text = " ".join(
            s["text"] + "".join(f"[{n}]" for n in s.get("citations") or []) for s in supported
        )
        if not text and shown["quotes"]:  # an answer made of the sources' own words
            language = result.get("language", "en")
            text = render(
                "answer_quotes.j2",
                part="answer",
                language=language,
                quotes=shown["quotes"],
                speaker=None,
                count=0,
                topic="",
            )
        shown["answer"] = f"{text} ({WITHHELD})" if text else f"({WITHHELD})"
        # a follow-up rewritten by the model may carry words of the withheld answer
        shown["retrieval_query"] = result.get("question", "")
    return shown


def _title_from(question: str) -> str:
    title = " ".join(question.split())
    return title if len(title) <= 60 else title[:59] + "…"


def _conversation(row: ConversationRow, messages: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "title": row.title,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
    if messages is not None:
        data["messages"] = messages
    return data


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MessageRow(Base):
    """One question and its verified answer (the whole ``AskResult`` as JSON)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


HISTORY_SCHEMA = Schema(
    "history", Path(__file__).parent / "migrations", tables=("conversations", "messages")
)


class History:
    """Every read and write is scoped to one user: another user's id is simply not found."""

    def __init__(self, store: WebStore) -> None:
        self.store = store
        store.migrate(HISTORY_SCHEMA)

    def _owned(self, db: Session, user_id: int, conversation_id: str) -> ConversationRow:
        row = db.get(ConversationRow, conversation_id)
        if row is None or row.user_id != user_id:
            raise NotFoundError(f"no conversation {conversation_id!r}")
        return row

    def conversations(
        self, user_id: int, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The user's conversations, newest first: ``limit`` of them from ``offset``."""
        page = (
            select(ConversationRow)
            .where(ConversationRow.user_id == user_id)
            .order_by(ConversationRow.updated_at.desc())
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        counts = (
            select(MessageRow.conversation_id, func.count().label("n"))
            .where(MessageRow.conversation_id.in_(select(page.c.id)))
            .group_by(MessageRow.conversation_id)
            .subquery()
        )
        query = (
            select(ConversationRow, counts.c.n)
            .join(page, page.c.id == ConversationRow.id)
            .outerjoin(counts, counts.c.conversation_id == ConversationRow.id)
            .order_by(ConversationRow.updated_at.desc())
        )
        with self.store.session() as db:
            return [_conversation(row, n or 0) for row, n in db.execute(query)]

    def create(self, user_id: int, title: str) -> dict[str, Any]:
        title = " ".join(title.split())[:MAX_TITLE] or "New conversation"
        row = ConversationRow(
            id="c_" + secrets.token_hex(8), user_id=user_id, title=title,
            created_at=utcnow(), updated_at=utcnow(),
        )  # fmt: skip
        with self.store.session() as db, db.begin():
            db.add(row)
        return _conversation(row, 0)

    def get(self, user_id: int, conversation_id: str, readable: Readable) -> dict[str, Any]:
        """The conversation with its answers as the reader may see them now (``readable``
        checks every cited document at the reader's clearance at this moment)."""
        with self.store.session() as db:
            row = self._owned(db, user_id, conversation_id)
            messages = db.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id)
                .order_by(MessageRow.id)
            ).all()
            data = _conversation(row, len(messages))
            saved = [
                {
                    "id": m.id,
                    "question": m.question,
                    "created_at": m.created_at.isoformat(),
                    "result": json.loads(m.result_json),
                }
                for m in messages
            ]
        allowed = readable([d for m in saved for d in cited_documents(m["result"])])
        for message in saved:
            message["result"] = withhold_unreadable(message["result"], allowed)
        data["messages"] = saved
        return data

    def rename(self, user_id: int, conversation_id: str, title: str) -> dict[str, Any]:
        title = " ".join(title.split())
        if not title or len(title) > MAX_TITLE:
            raise InputError(f"a title has 1–{MAX_TITLE} characters")
        with self.store.session() as db, db.begin():
            row = self._owned(db, user_id, conversation_id)
            row.title = title
            row.updated_at = utcnow()
            return _conversation(row)

    def delete(self, user_id: int, conversation_id: str) -> None:
        with self.store.session() as db, db.begin():
            row = self._owned(db, user_id, conversation_id)
            db.execute(delete(MessageRow).where(MessageRow.conversation_id == conversation_id))
            db.delete(row)

    def turns(self, user_id: int, conversation_id: str, readable: Readable) -> list[Turn]:
        """The last exchanges, oldest first, for understanding a follow-up question (an
        answer's sentences from documents the reader may no longer read left out)."""
        with self.store.session() as db:
            self._owned(db, user_id, conversation_id)
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id)
                .order_by(MessageRow.id.desc())
                .limit(HISTORY_TURNS)
            ).all()
        saved = [(r.question, json.loads(r.result_json)) for r in reversed(rows)]
        allowed = readable([d for _, result in saved for d in cited_documents(result)])
        turns = []
        for question, result in saved:
            shown = withhold_unreadable(result, allowed)
            turns.append(Turn(question, "" if shown is not result else result["answer"]))
        return turns

    def ensure(self, user_id: int, conversation_id: str | None, question: str) -> str:
        """The conversation to append to: the given one (if the user's), else a new one."""
        if conversation_id:
            with self.store.session() as db:
                self._owned(db, user_id, conversation_id)
            return conversation_id
        return str(self.create(user_id, _title_from(question))["id"])

    def append(self, user_id: int, conversation_id: str, result: dict[str, Any]) -> int:
        with self.store.session() as db, db.begin():
            row = self._owned(db, user_id, conversation_id)
            message = MessageRow(
                conversation_id=conversation_id, question=result["question"],
                result_json=json.dumps(result, ensure_ascii=False, default=str),
                created_at=utcnow(),
            )  # fmt: skip
            db.add(message)
            row.updated_at = utcnow()
            db.flush()
            return message.id

    def message(
        self, user_id: int, conversation_id: str, message_id: int, readable: Readable
    ) -> dict[str, Any]:
        """One saved answer as the reader may see it now."""
        with self.store.session() as db:
            self._owned(db, user_id, conversation_id)
            row = db.get(MessageRow, message_id)
            if row is None or row.conversation_id != conversation_id:
                raise NotFoundError(f"no message {message_id} in {conversation_id!r}")
            result = dict(json.loads(row.result_json))
        return withhold_unreadable(result, readable(cited_documents(result)))
