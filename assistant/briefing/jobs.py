"""One briefing job, as `dragoman brief` and the scheduler run it: build, archive,
copy, deliver, and record every delivery's outcome in the manifest."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.briefing.contracts import BriefOut
from assistant.briefing.pipeline import Briefer, Briefing, BriefRequest, Progress
from assistant.core.errors import StoreError
from assistant.monitoring.chats import ChatMessage, deliver_chat
from assistant.monitoring.delivery import Delivery, email_message, post_webhook, send_email
from corpus.document import http_url


@dataclass
class Targets:
    """Where a briefing goes besides the archive."""

    emails: list[str] = field(default_factory=list)
    webhook: str | None = None
    out: Path | None = None
    chats: dict[str, str] = field(default_factory=dict)  # slack|teams → URL, telegram → chat id


@dataclass
class Outcome:
    briefing: Briefing
    deliveries: list[Delivery]
    copied: list[str]

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.deliveries)

    def to_dict(self) -> dict[str, Any]:
        manifest = self.briefing.manifest
        return BriefOut.shape({
            **manifest,
            "ok": self.ok,
            "folder": str(self.briefing.folder),
            "copied": self.copied,
            "deliveries": [d.to_dict() for d in self.deliveries],
            "stories_detail": [
                {"rank": s.rank, "headline": s.headline, "volume": s.volume,
                 "sources": s.sources, "languages": s.languages, "salience": s.salience,
                 "sentences": [
                     {"text": x.text, "citations": x.citations, "origin": x.origin,
                      "support_score": x.support_score} for x in s.sentences
                 ]}
                for s in self.briefing.analysis.stories
            ],
        })  # fmt: skip


def run_job(
    briefer: Briefer, request: BriefRequest, targets: Targets, progress: Progress
) -> Outcome:
    briefing = briefer.brief(request, progress)
    copied = _copy(briefing, targets.out) if targets.out else []
    deliveries = []
    if targets.emails:
        progress("sending email")
        deliveries.append(_email(briefer, briefing, targets.emails))
    if targets.webhook:
        progress("calling the webhook")
        deliveries.append(
            post_webhook(briefer.settings, targets.webhook, webhook_payload(briefing))
        )
    for channel, target in targets.chats.items():
        progress(f"posting to {channel}")
        deliveries.append(deliver_chat(briefer.settings, channel, target, chat_message(briefing)))
    if deliveries:
        briefer.archive.update_manifest(
            briefing.folder, {"deliveries": [d.to_dict() for d in deliveries]}
        )
    return Outcome(briefing, deliveries, copied)


def _email(briefer: Briefer, briefing: Briefing, recipients: list[str]) -> Delivery:
    manifest = briefing.manifest
    first = manifest["languages"][0]
    subject = f"Dragoman briefing {manifest['date']} — {manifest['watchlist']}"
    if manifest["empty"]:
        subject += " (no new items)"
    message = email_message(briefer.settings, recipients, subject, briefing.folder, first)
    return send_email(briefer.settings, message)


def webhook_payload(briefing: Briefing) -> dict[str, Any]:
    manifest = briefing.manifest
    first = manifest["languages"][0]
    markdown = briefing.folder / f"briefing.{first}.md"
    return {
        "event": "briefing.ready",
        "date": manifest["date"],
        "watchlist": manifest["watchlist"],
        "window": manifest["window"],
        "empty": manifest["empty"],
        "stories": len(briefing.analysis.stories),
        "headlines": manifest["headlines"],
        "languages": manifest["languages"],
        "files": manifest["files"],
        "fingerprint": manifest["fingerprint"],
        "markdown": markdown.read_text("utf-8") if markdown.exists() else None,
    }


def chat_message(briefing: Briefing) -> ChatMessage:
    """The briefing for a chat: its title, top stories with their first source's link, and
    how many alerts it carries."""
    manifest = briefing.manifest
    title = f"Dragoman briefing {manifest['date']} — {manifest['watchlist']}"
    analysis = briefing.analysis
    if manifest["empty"]:
        return ChatMessage(title + " (no new items)")
    lines = [f"{n}. {headline}" for n, headline in enumerate(manifest["headlines"], start=1)]
    alerts = len(analysis.alerts) + len(analysis.public_alerts)
    if alerts:
        lines.append(f"{alerts} early-warning alert{'s' if alerts > 1 else ''} in the briefing")
    links = [(p.title[:60], p.url) for p in analysis.passages[:3] if http_url(p.url)]
    return ChatMessage(title, lines, [(label, str(url)) for label, url in links])


def _copy(briefing: Briefing, out: Path) -> list[str]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        copied = []
        for name in briefing.manifest["files"]:
            if name.startswith("briefing."):
                shutil.copyfile(briefing.folder / name, out / name)
                copied.append(str(out / name))
    except OSError as exc:
        raise StoreError(f"cannot copy the briefing to {out}: {exc}") from exc
    return copied
