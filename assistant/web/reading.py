"""A document's text for reading in the browser: its Markdown rendered (CommonMark, by
markdown-it), hard line breaks inside paragraphs reflowed, and nothing from the document
able to act in the page: raw HTML is shown as text, links only to http(s) and mailto,
images not loaded (a document must not make the reader's browser call anyone).

Cited passages (character offsets into the text) are highlighted: markers are put into the
text before rendering and become ``<mark>`` around each piece of text they enclose, so a
highlight that spans paragraphs or emphasis never breaks the page's structure."""

from __future__ import annotations

import re
from collections.abc import Sequence
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


_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: a document's own are replaced
_EMPHASIS = "*_`~"
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_MARKER = re.compile(f"([{_OPEN}{_CLOSE}])")
_BLOCK_START = re.compile(r"[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]|\d{1,9}[.)][ \t]|>[ \t]?)*")


def render_text(text: str, marks: Sequence[tuple[int, int]] = ()) -> str:
    """HTML for a document's text (safe to put in a page as is), with the character ranges
    ``marks`` highlighted."""
    clean = text.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd")
    if not marks:
        return str(_MD.render(clean))
    return _highlight(str(_MD.render(_with_markers(clean, marks))))


def _with_markers(text: str, marks: Sequence[tuple[int, int]]) -> str:
    pieces, at = [], 0
    for start, end in sorted((max(0, a), min(len(text), b)) for a, b in marks):
        start = max(start, at)
        if start >= end:
            continue
        if start == 0 or text[start - 1] == "\n":  # keep a heading or list item one
            start = min(end, start + len(_BLOCK_START.match(text, start)[0]))  # type: ignore[index]
        while start < end and text[start] in _EMPHASIS:  # and **bold** bold: a marker
            start += 1  # beside its asterisks would stop them opening or closing it
        while end > start and text[end - 1] in _EMPHASIS:
            end -= 1
        pieces += [text[at:start], _OPEN, text[start:end], _CLOSE]
        at = end
    return "".join([*pieces, text[at:]])


def _highlight(html: str) -> str:
    out, inside = [], False
    for part in _TAG_OR_TEXT.split(html):
        if part.startswith("<"):
            out.append(part.replace(_OPEN, "").replace(_CLOSE, ""))
            continue
        for piece in _MARKER.split(part):
            if piece in (_OPEN, _CLOSE):
                inside = piece == _OPEN
            elif piece:
                out.append(f'<mark class="cited">{piece}</mark>' if inside else piece)
    return "".join(out)
