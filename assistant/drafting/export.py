"""Exports of approved text, for a person to publish: JSON (for scripts) or Markdown.

Dragoman never posts to a platform; an export is the approved version exactly as frozen,
with its sources and who approved it when.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.core.errors import InputError
from assistant.drafting.workflow import DraftView

FORMATS = {"json": "application/json", "md": "text/markdown; charset=utf-8"}


def approval_of(view: DraftView) -> dict[str, Any]:
    approvals = [r for r in view.reviews if r["step"] == "approved"]
    last = approvals[-1] if approvals else {}
    return {
        "approved_by": last.get("by"),
        "approved_at": last.get("at"),
        "comment": last.get("comment"),
    }


def export_data(view: DraftView) -> dict[str, Any]:
    """The approved version (``view`` must be loaded at it) as a script reads it."""
    content = view.version.content
    return {
        "draft_id": view.id,
        "version": view.version.number,
        "platform": view.platform,
        **approval_of(view),
        "variants": {
            code: {
                "posts": v.posts,
                "lengths": v.lengths,
                "hashtags": v.hashtags,
                "translated": v.translated,
            }
            for code, v in content.variants.items()
        },
        "sources": [
            {k: p.get(k) for k in ("n", "title", "url", "source", "published_at", "doc_id")}
            for p in content.passages
        ],
    }


def render_export(view: DraftView, fmt: str) -> tuple[str, str]:
    """(body, media type) of the export in ``fmt`` (json | md)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}", fix="use json or md")
    data = export_data(view)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n", FORMATS[fmt]
    lines = [
        f"# Draft {view.id} — {view.platform}, version {data['version']}",
        "",
        f"Approved by {data['approved_by']} at {data['approved_at']}.",
        "",
    ]
    for code, variant in data["variants"].items():
        lines += [f"## {code}", ""]
        for i, post in enumerate(variant["posts"], start=1):
            if len(variant["posts"]) > 1:
                lines.append(f"Post {i}:")
            lines += ["```text", post, "```", ""]
    lines += ["## Sources", ""]
    lines += [
        f"{s['n']}. {s['title']}" + (f" — {s['url']}" if s["url"] else "") for s in data["sources"]
    ]
    return "\n".join(lines) + "\n", FORMATS[fmt]
