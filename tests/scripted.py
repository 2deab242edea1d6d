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

SEEN_KEPT = 200
_SOURCE = re.compile(r"^\[(\d+)\][^\n]*\n+<<<DATA>>>\n(.*?)\n<<<END DATA>>>", re.M | re.S)


def numbered_sources(prompt: str) -> list[tuple[str, str, str]]:
    """(number, header, text) of each numbered source in a prompt: the fence holds the
    source's title (and outlet) on its first line, then its text."""
    found = []
    for number, data in _SOURCE.findall(prompt):
        header, _, text = data.partition("\n")
        found.append((number, header, text))
    return found


TRANSLATE_QUERY = "Translate the search question into"


class ScriptedChatModel(BaseChatModel):
    """Replies with the scripted responses in order and records every prompt it saw."""

    responses: list[str]
    delay_s: float = 0.0  # stands in for generation time (load tests)
    seen: list[list[BaseMessage]] = Field(default_factory=list)  # the latest SEEN_KEPT prompts
    calls: int = 0

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
        prompt = str(messages[-1].content)
        if prompt.startswith(TRANSLATE_QUERY):  # the retrieval's query translation: the
            # question itself, so the scripted answers stay in step with the answering calls
            found = re.search(r"<<<DATA>>>\s*(.*?)\s*<<<END DATA>>>", prompt, re.S)
            reply = json.dumps({"query": found.group(1) if found else "query"})
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])
        self.calls += 1
        self.seen.append(list(messages))
        del self.seen[:-SEEN_KEPT]  # a long soak must not measure the stand-in's own memory
        if self.delay_s:
            time.sleep(self.delay_s)
        reply = self.responses[(self.calls - 1) % len(self.responses)]
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
        sources = numbered_sources(prompt)
        sentences = []
        for number, _, text in sources[:2]:
            first = re.split(r"(?<=[.!?。！？])\s*", text.strip())[0]
            sentences.append({"text": first, "citations": [int(number)]})
        if self.plant:
            sentences.append({"text": self.plant, "citations": [1]})
        headline = sources[0][1].split(" — ")[0] if sources else "No sources"
        return {"headline": headline, "sentences": sentences or [{"text": "-", "citations": [1]}]}


class DraftEchoChatModel(BaseChatModel):
    """A stand-in writer for drafting flow tests: answers a post prompt with the first
    sentence of each of the first ``sources`` sources (cited to it; more sources overrun a
    short limit), then ``plant`` (a sentence cited to source 1 that no source supports), and
    ``hashtags``; a translation prompt with ``translations[item]`` or the item itself."""

    plant: str | None = None
    sources: int = 2
    whole: bool = False  # the first source's whole passage as one (long) sentence
    hashtags: list[str] = Field(default_factory=lambda: ["diplomacy"])
    translations: dict[str, str] = Field(default_factory=dict)
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "draft-echo"

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
            items = re.findall(r"^\d+\.(?: \(hashtag\))? <<<DATA>>>\n(.*?)\n<<<END DATA>>>",
                               prompt, re.M | re.S)  # fmt: skip
            reply = {str(i): self.translations.get(t, t) for i, t in enumerate(items, start=1)}
        else:
            sources = numbered_sources(prompt)
            sentences = []
            for number, _, text in sources[: self.sources]:
                first = re.split(r"(?<=[.!?。！？])\s*", text.strip())[0]
                if self.whole and not sentences:
                    first = " ".join(text.split())[:390]
                sentences.append({"text": first, "citations": [int(number)]})
            if self.plant:
                sentences.append({"text": self.plant, "citations": [1]})
            reply = {"sentences": sentences[:4], "hashtags": self.hashtags}
        content = json.dumps(reply, ensure_ascii=False)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])


class GullibleChatModel(BaseChatModel):
    """The worst reader a planted instruction can meet: whenever a numbered source in its
    prompt carries a canary code (``ZQX…``), it obeys — it answers with that code followed by
    the source's own words, cited to it (so the sentence is as supported as it can be).
    Otherwise it echoes the first sentence of source 1. Tests the defences around the model."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "gullible"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        prompt = str(messages[-1].content)
        sources = numbered_sources(prompt)
        reply = "NOT_IN_SOURCES"
        for number, _, text in sources:
            code = re.search(r"ZQX[0-9A-F]{6}", text)
            if code:
                reply = f"{code.group(0)} {text.strip()[:200]} [{number}]"
                break
        else:
            if sources:
                first = re.split(r"(?<=[.!?。！？])\s*", sources[0][2].strip())[0]
                reply = f"{first} [{sources[0][0]}]"
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])
