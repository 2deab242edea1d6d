"""Delivery where duty officers read: Slack and Microsoft Teams incoming webhooks and a
Telegram bot, each in its own message format (a title, the top lines, links).

A delivery is retried (3 attempts, 1 s then 2 s apart) when the receiver cannot be reached,
answers 5xx or 429; the outcome is a :class:`Delivery` that names the receiver by host and
fingerprint, never by its URL or token (both are secrets), and the error by its kind."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from assistant.core.redact import redact_url, url_fingerprint
from assistant.core.settings import Settings
from assistant.monitoring.delivery import Delivery

CHANNELS = ("slack", "teams", "telegram")
ATTEMPTS = 3
MAX_LINES = 10


@dataclass(frozen=True)
class ChatMessage:
    """What a chat delivery says: a title, up to ten lines, links (label, URL)."""

    title: str
    lines: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


def slack_payload(message: ChatMessage) -> dict[str, Any]:
    """Slack Block Kit: a header, the lines as a bulleted section, the links."""
    escape = _slack_escape
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}}
    ]
    if message.lines:
        text = "\n".join(f"• {escape(line)}" for line in message.lines[:MAX_LINES])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    if message.links:
        links = " · ".join(f"<{url}|{escape(label)}>" for label, url in message.links)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    return {"text": message.title, "blocks": blocks}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_payload(message: ChatMessage) -> dict[str, Any]:
    """A Teams message holding an Adaptive Card (the format Teams workflows accept)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": message.title,
         "wrap": True},
        *({"type": "TextBlock", "text": f"• {line}", "wrap": True}
          for line in message.lines[:MAX_LINES]),
    ]  # fmt: skip
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": label, "url": url}
                    for label, url in message.links],
    }  # fmt: skip
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
    return {"type": "message", "attachments": [attachment]}


def telegram_payload(message: ChatMessage, chat_id: str) -> dict[str, Any]:
    """Bot API ``sendMessage`` in HTML mode (everything from a document escaped)."""
    lines = [f"<b>{html.escape(message.title)}</b>"]
    lines += [f"• {html.escape(line)}" for line in message.lines[:MAX_LINES]]
    lines += [f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'
              for label, url in message.links]  # fmt: skip
    return {"chat_id": chat_id, "text": "\n".join(lines)[:4096], "parse_mode": "HTML",
            "disable_web_page_preview": True}  # fmt: skip


def deliver_chat(
    settings: Settings, channel: str, target: str, message: ChatMessage,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:  # fmt: skip
    """Send ``message`` to a Slack or Teams webhook URL, or a Telegram chat id."""
    if channel == "telegram":
        token = settings.telegram_bot_token
        if token is None:
            return Delivery("telegram", f"chat {target}", False,
                            "no bot token: set DRAGOMAN_TELEGRAM_BOT_TOKEN")  # fmt: skip
        url = f"{settings.telegram_api}/bot{token.get_secret_value()}/sendMessage"
        payload, shown = telegram_payload(message, target), f"chat {target}"
    else:
        payload = slack_payload(message) if channel == "slack" else teams_payload(message)
        url, shown = target, redact_url(target)
    error = _post_with_retries(settings, url, payload, sleep)
    return Delivery(channel, shown, error is None, error,
                    url_fingerprint(url) if channel != "telegram" else None)  # fmt: skip


def _post_with_retries(
    settings: Settings, url: str, payload: dict[str, Any], sleep: Callable[[float], None]
) -> str | None:
    """None when delivered; else the last error's kind (never the receiver's reply)."""
    error = None
    for attempt in range(ATTEMPTS):
        if attempt:
            sleep(float(attempt))
        try:
            response = httpx.post(url, json=payload, timeout=settings.delivery_timeout_s)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__} after {attempt + 1} attempts"
            continue
        if response.status_code < 300:
            return None
        error = f"HTTP {response.status_code} after {attempt + 1} attempts"
        if response.status_code < 500 and response.status_code != 429:
            return error  # the receiver refused it: retrying will not help
    return error


def alerts_message(alerts: list[dict[str, Any]], public_url: str | None = None) -> ChatMessage:
    """New early-warning alerts for a chat: one line each (series, signal, observed against
    the baseline, volume, window); with the web app's address, links to each alert's first
    documents in the Library (the reader signs in; clearance is checked there)."""
    lines = []
    links: list[tuple[str, str]] = []
    for number, alert in enumerate(alerts, start=1):
        series = alert.get("series", {})
        where = " / ".join(str(series.get(k)) for k in ("country", "topic", "kind")
                           if series.get(k) not in (None, "*"))  # fmt: skip
        signal = "negative share" if alert.get("signal") == "negative_share" else "volume"
        start = str(alert.get("window", {}).get("start", ""))[:16].replace("T", " ")
        lines.append(
            f"{number}. {where or 'all'}: {signal} {alert.get('observed'):.3g} against "
            f"{alert.get('baseline'):.3g} (z {alert.get('z', 0):.1f}), "
            f"{alert.get('volume')} items since {start} UTC"
        )
        documents = document_links(alert, public_url)[:2]
        links += [(f"alert {number}, document {n}", url) for n, url in enumerate(documents, 1)]
    count = len(alerts)
    return ChatMessage(f"Dragoman: {count} new early-warning alert{'s' if count > 1 else ''}",
                       lines, links[:6])  # fmt: skip


def document_links(alert: dict[str, Any], public_url: str | None) -> list[str]:
    """The Library pages of an alert's documents (none without the web app's address)."""
    if not public_url:
        return []
    return [f"{public_url}/library/{quote(str(d), safe='')}" for d in alert.get("doc_ids") or []]
