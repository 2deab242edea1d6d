"""A scripted LangChain chat model, for tests about the flow around the model (not the model)."""

from __future__ import annotations

import json
import re
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


class SourceEchoChatModel(BaseChatModel):
    """A stand-in writer for briefing flow tests: answers a story prompt with the first
    sentence of each numbered source (cited to it), and a translation prompt with the items
    unchanged.  ``plant`` adds a sentence no source supports, cited to source 1."""

    plant: str | None = None
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "source-echo"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        prompt = str(messages[-1].content)
        if prompt.startswith("Target language:"):
            items = re.findall(r"^\d+\. <<<DATA>>>\n(.*?)\n<<<END DATA>>>", prompt, re.M | re.S)
            reply = json.dumps({str(i): text for i, text in enumerate(items, start=1)})
        else:
            reply = json.dumps(self._story(prompt), ensure_ascii=False)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])

    def _story(self, prompt: str) -> dict[str, Any]:
        sources = re.findall(r"^\[(\d+)\] (.*?)\n\n<<<DATA>>>\n(.*?)\n<<<END DATA>>>", prompt,
                             re.M | re.S)  # fmt: skip
        sentences = []
        for number, _, text in sources[:2]:
            first = re.split(r"(?<=[.!?。！？])\s*", text.strip())[0]
            sentences.append({"text": first, "citations": [int(number)]})
        if self.plant:
            sentences.append({"text": self.plant, "citations": [1]})
        headline = sources[0][1].split(" — ")[0] if sources else "No sources"
        return {"headline": headline, "sentences": sentences or [{"text": "-", "citations": [1]}]}
