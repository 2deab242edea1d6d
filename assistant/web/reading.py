"""A document's text for reading in the browser: its Markdown rendered (CommonMark, by
markdown-it), hard line breaks inside paragraphs reflowed, and nothing from the document
able to act in the page: raw HTML is shown as text, links only to http(s) and mailto,
images not loaded (a document must not make the reader's browser call anyone)."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": False})
    md.disable("image")

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        if not href.lower().startswith(_SAFE_SCHEMES):
            token.attrSet("href", "#")
        token.attrSet("rel", "noopener noreferrer nofollow")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    return md


_MD = _renderer()


def render_text(text: str) -> str:
    """HTML for a document's text (safe to put in a page as is)."""
    return str(_MD.render(text))
