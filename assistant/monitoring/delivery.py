"""Delivery by email (SMTP) and to a webhook: early-warning alerts and archived briefings.

It lives with monitoring (alerts are delivered the moment they fire); the briefing, a layer
above, uses the same channels.

Each delivery's outcome is returned and recorded in the manifest; a failure is an entry
with its error, never swallowed (the CLI exits non-zero, the scheduler logs and audits).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from assistant.core.redact import redact_url, scrub, secret_values, url_fingerprint
from assistant.core.settings import Settings


@dataclass
class Delivery:
    """A delivery's outcome as it may be stored and shown: a webhook is named by its host
    and a fingerprint, never its URL (which carries the receiver's token), and a failure
    by its kind, never the receiver's reply."""

    channel: str  # "email" | "webhook"
    target: str
    ok: bool
    error: str | None = None
    target_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def webhook_delivery(url: str, ok: bool, error: str | None = None) -> Delivery:
    return Delivery("webhook", redact_url(url), ok, error, url_fingerprint(url))


def shown_delivery(entry: dict[str, Any]) -> dict[str, Any]:
    """A stored delivery record as a reader may see it (older records held the URL and
    the receiver's reply: both are cut here too)."""
    channel = str(entry.get("channel", ""))
    error = entry.get("error")
    if channel == "webhook":
        target = redact_url(str(entry.get("target", "")))
        error = str(error).split(":", 1)[0] if error else None
    else:
        target = str(entry.get("target", ""))
    return {"channel": channel, "target": target, "ok": bool(entry.get("ok")), "error": error,
            "target_sha256": entry.get("target_sha256")}  # fmt: skip


def email_message(
    settings: Settings, recipients: list[str], subject: str, folder: Path, language: str
) -> EmailMessage:
    """Plain-text Markdown with the HTML as alternative and the PDF attached, if made."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp.from_
    message["To"] = ", ".join(recipients)
    markdown, html, pdf = (folder / f"briefing.{language}.{ext}" for ext in ("md", "html", "pdf"))
    message.set_content(markdown.read_text("utf-8") if markdown.exists() else subject)
    if html.exists():
        message.add_alternative(html.read_text("utf-8"), subtype="html")
    if pdf.exists():
        message.add_attachment(
            pdf.read_bytes(),
            maintype="application",
            subtype="pdf",
            filename=f"{folder.parent.name}-{folder.name}.{language}.pdf",
        )
    return message


def send_email(settings: Settings, message: EmailMessage) -> Delivery:
    target = message["To"]
    if not settings.smtp.host:
        return Delivery("email", target, False, "DRAGOMAN_SMTP_HOST is not set")
    try:
        with smtplib.SMTP(
            settings.smtp.host, settings.smtp.port, timeout=settings.delivery_timeout_s
        ) as smtp:
            if settings.smtp.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp.user:
                password = (
                    settings.smtp.password.get_secret_value() if settings.smtp.password else ""
                )
                smtp.login(settings.smtp.user, password)
            refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return Delivery("email", target, False, f"{type(exc).__name__}: {exc}")
    if refused:
        return Delivery("email", target, False, f"refused recipients: {sorted(refused)}")
    return Delivery("email", target, True)


def post_webhook(settings: Settings, url: str, payload: dict[str, Any]) -> Delivery:
    """POST the briefing's summary as JSON; signed with HMAC-SHA256 when a secret is set."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if settings.webhook_secret is not None:
        key = settings.webhook_secret.get_secret_value().encode()
        headers["X-Dragoman-Signature"] = (
            "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        )
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=settings.delivery_timeout_s
        )
    except httpx.HTTPError as exc:
        reason = scrub(str(exc), secret_values([url]))[:200]
        return webhook_delivery(url, False, f"{type(exc).__name__}: {reason}")
    if response.status_code >= 300:
        return webhook_delivery(url, False, f"HTTP {response.status_code}")
    return webhook_delivery(url, True)
