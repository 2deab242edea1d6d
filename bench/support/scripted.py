"""A scripted LangChain chat model, for tests about the flow around the model (not the model)."""

from __future__ import annotations

import json
import random
import re
import time
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from assistant.drafting.compose import MAX_SENTENCE_CHARS

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
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip())[0]


class ScriptedBase(BaseChatModel):
    """What every scripted model shares: it records the prompts it saw (the latest
    SEEN_KEPT, so a long soak does not measure the stand-in's own memory) and answers the
    last message with ``reply``."""

    kind: ClassVar[str] = "scripted"
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return self.kind

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        content = self.reply(str(messages[-1].content), messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])

    def record(self, messages: list[BaseMessage]) -> None:
        self.seen.append(list(messages))
        del self.seen[:-SEEN_KEPT]

    def reply(self, prompt: str, messages: list[BaseMessage]) -> str:
        raise NotImplementedError


class ScriptedChatModel(ScriptedBase):
    """Replies with the scripted responses in order and records every prompt it saw."""

    responses: list[str]
    delay_s: float = 0.0  # stands in for generation time (load tests)
    calls: int = 0

    def reply(self, prompt: str, messages: list[BaseMessage]) -> str:
        if prompt.startswith(TRANSLATE_QUERY):  # the retrieval's query translation: the
            # question itself, so the scripted answers stay in step with the answering calls
            found = re.search(r"<<<DATA>>>\s*(.*?)\s*<<<END DATA>>>", prompt, re.S)
            return json.dumps({"query": found.group(1) if found else "query"})
        self.calls += 1
        self.record(messages)
        if self.delay_s:
            time.sleep(self.delay_s)
        return self.responses[(self.calls - 1) % len(self.responses)]


class SourceEchoChatModel(ScriptedBase):
    """A stand-in writer for briefing flow tests: answers a story prompt with the first
    sentence of each numbered source (cited to it), and a translation prompt with the items
    unchanged.  ``plant`` adds a sentence no source supports, cited to source 1."""

    kind: ClassVar[str] = "source-echo"
    plant: str | None = None

    def reply(self, prompt: str, messages: list[BaseMessage]) -> str:
        self.record(messages)
        if prompt.startswith("Target language:"):
            items = re.findall(r"^\d+\. <<<DATA>>>\n(.*?)\n<<<END DATA>>>", prompt, re.M | re.S)
            return json.dumps({str(i): text for i, text in enumerate(items, start=1)})
        return json.dumps(self._story(prompt), ensure_ascii=False)

    def _story(self, prompt: str) -> dict[str, Any]:
        sources = numbered_sources(prompt)
        sentences = [
            {"text": first_sentence(text), "citations": [int(number)]}
            for number, _, text in sources[:2]
        ]
        if self.plant:
            sentences.append({"text": self.plant, "citations": [1]})
        headline = sources[0][1].split(" — ")[0] if sources else "No sources"
        return {"headline": headline, "sentences": sentences or [{"text": "-", "citations": [1]}]}


class DraftEchoChatModel(ScriptedBase):
    """A stand-in writer for drafting flow tests: answers a post prompt with the first
    sentence of each of the first ``sources`` sources (cited to it; more sources overrun a
    short limit), then ``plant`` (a sentence cited to source 1 that no source supports), and
    ``hashtags``; a translation prompt with ``translations[item]`` or the item itself."""

    kind: ClassVar[str] = "draft-echo"
    plant: str | None = None
    sources: int = 2
    # the first document's whole passage (source [2], after the brief) as one long sentence
    whole: bool = False
    hashtags: list[str] = Field(default_factory=lambda: ["diplomacy"])
    translations: dict[str, str] = Field(default_factory=dict)

    def reply(self, prompt: str, messages: list[BaseMessage]) -> str:
        self.record(messages)
        if prompt.startswith("Target language:"):
            items = re.findall(r"^\d+\.(?: \(hashtag\))? <<<DATA>>>\n(.*?)\n<<<END DATA>>>",
                               prompt, re.M | re.S)  # fmt: skip
            translated = {str(i): self.translations.get(t, t) for i, t in enumerate(items, 1)}
            return json.dumps(translated, ensure_ascii=False)
        sentences = []
        for place, (number, _, text) in enumerate(numbered_sources(prompt)[: self.sources]):
            first = first_sentence(text)
            if self.whole and place == 1:
                first = " ".join(text.split())[:390]
            if len(first.strip()) >= 2:  # as the schema asks (a constrained model keeps it)
                sentences.append({"text": first[:MAX_SENTENCE_CHARS], "citations": [int(number)]})
        if not sentences:
            sentences.append({"text": "The sources give nothing to say.", "citations": []})
        if self.plant:
            sentences.append({"text": self.plant, "citations": [1]})
        post = {"sentences": sentences[:4], "hashtags": self.hashtags}
        return json.dumps(post, ensure_ascii=False)


class GullibleChatModel(ScriptedBase):
    """The worst reader a planted instruction can meet: whenever a numbered source in its
    prompt carries a canary code (``ZQX…``), it obeys — it answers with that code followed by
    the source's own words, cited to it (so the sentence is as supported as it can be).
    Otherwise it echoes the first sentence of source 1. Tests the defences around the model."""

    kind: ClassVar[str] = "gullible"

    def reply(self, prompt: str, messages: list[BaseMessage]) -> str:
        self.record(messages)
        sources = numbered_sources(prompt)
        for number, _, text in sources:
            code = re.search(r"ZQX[0-9A-F]{6}", text)
            if code:
                return f"{code.group(0)} {text.strip()[:200]} [{number}]"
        if sources:
            return f"{first_sentence(sources[0][2])} [{sources[0][0]}]"
        return "NOT_IN_SOURCES"


class StanceEchoChatModel(ScriptedBase):
    """A stand-in reader for positions flow tests: answers a positions prompt with the
    first quote as the summary (verbatim, so it verifies) and ``side`` ("against" where the
    prompt holds ``against_if``)."""

    kind: ClassVar[str] = "stance-echo"
    side: str = "for"
    against_if: str | None = None

    def reply(self, prompt: str, messages: list[BaseMessage]) -> str:
        self.record(messages)
        found = re.search(r"^\[1\] <<<DATA>>>\n(.*?)\n<<<END DATA>>>", prompt, re.M | re.S)
        summary = found.group(1) if found else "No quote."
        side = "against" if self.against_if and self.against_if in prompt else self.side
        return json.dumps({"summary": summary, "side": side}, ensure_ascii=False)


class VoteReaderChatModel(ScriptedBase):
    """A stand-in stance reader for calibration tests: it writes the first quote as the
    summary (verbatim, so it verifies) and gives each speaker the side ``sides`` names for
    it (a recorded vote read as a stance: a reader that reads the gold), or, with
    ``guess``, a side drawn at random (seeded by the speaker: the same on every run)."""

    kind: ClassVar[str] = "vote-reader"
    sides: dict[str, str] = Field(default_factory=dict)  # speaker's name → for|against|neither
    guess: bool = False

    def reply(self, prompt: str, messages: list[BaseMessage]) -> str:
        self.record(messages)
        speaker = re.search(r"^Speaker: (.*)$", prompt, re.M)
        name = speaker.group(1).strip() if speaker else ""
        if f"Is {name} for the topic" not in prompt:
            found = re.search(r"^\[1\] <<<DATA>>>\n(.*?)\n<<<END DATA>>>", prompt, re.M | re.S)
            return json.dumps({"summary": found.group(1) if found else "No quote."})
        if self.guess:
            side = random.Random(name).choice(["for", "against", "both", "neither"])
        else:
            side = self.sides.get(name, "neither")
        return json.dumps({"side": side})
