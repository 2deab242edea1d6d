"""Delivery of an archived briefing: by email (SMTP) and to a webhook.

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

from assistant.settings import Settings


@dataclass
class Delivery:
    channel: str  # "email" | "webhook"
    target: str
    ok: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def email_message(
    settings: Settings, recipients: list[str], subject: str, folder: Path, language: str
) -> EmailMessage:
    """Plain-text Markdown with the HTML as alternative and the PDF attached, if made."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
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
    if not settings.smtp_host:
        return Delivery("email", target, False, "DRAGOMAN_SMTP_HOST is not set")
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.delivery_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_user, password)
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
        return Delivery("webhook", url, False, f"{type(exc).__name__}: {exc}")
    if response.status_code >= 300:
        return Delivery(
            "webhook", url, False, f"HTTP {response.status_code}: {response.text[:200]}"
        )
    return Delivery("webhook", url, True)
