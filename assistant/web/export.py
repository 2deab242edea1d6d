"""Answers as portable text: the verified answer with [n] markers and its references."""

from __future__ import annotations

from typing import Any


def reference_line(citation: dict[str, Any]) -> str:
    parts = [f"[{citation['n']}] {citation['title']}"]
    if citation.get("source"):
        parts.append(str(citation["source"]))
    if citation.get("published_at"):
        parts.append(str(citation["published_at"])[:10])
    if citation.get("url"):
        parts.append(str(citation["url"]))
    quote = " ".join(str(citation.get("quote", "")).split())
    line = ", ".join(parts)
    return f"{line}\n    “{quote}”" if quote else line


def message_markdown(result: dict[str, Any]) -> str:
    """One answer: question, verified text with [n], then the numbered references."""
    lines = [f"Q: {result['question']}", "", str(result["answer"])]
    if result.get("citations"):
        lines += ["", "Sources:"] + [reference_line(c) for c in result["citations"]]
    unverified = [s["text"] for s in result.get("sentences", []) if not s.get("supported")]
    if unverified and not result.get("refused"):
        lines += ["", f"({len(unverified)} unverified sentence(s) withheld)"]
    return "\n".join(lines) + "\n"


def conversation_markdown(conversation: dict[str, Any]) -> str:
    blocks = [f"# {conversation['title']}", ""]
    for message in conversation.get("messages", []):
        blocks += [message_markdown(message["result"]), "---", ""]
    return "\n".join(blocks)
