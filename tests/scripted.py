"""A scripted LangChain chat model, for tests about the flow around the model (not the model)."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedChatModel(BaseChatModel):
    """Replies with the scripted responses in order and records every prompt it saw."""

    responses: list[str]
    delay_s: float = 0.0  # stands in for generation time (load tests)
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        if self.delay_s:
            time.sleep(self.delay_s)
        reply = self.responses[(len(self.seen) - 1) % len(self.responses)]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])
