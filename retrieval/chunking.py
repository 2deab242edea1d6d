"""Sentence- and paragraph-aware chunking for every script, budgeted in tokens.

Sentences end at ``. ! ?`` followed by space (Latin, Cyrillic), at ``。！？`` (CJK, no
space needed), at ``؟ ۔`` (Arabic, Urdu) and at paragraph breaks.  Chunks are runs of
whole sentences up to ``max_tokens`` (cl100k tokens), overlapping by whole sentences;
a sentence longer than the budget is cut at token boundaries.  Every chunk keeps
its ``start``/``end`` offsets in the document text, so a citation can highlight the
exact passage, and a deterministic id derived from the document and the offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.core.tokens import get_encoding

_SENTENCE_END = re.compile(
    r"(?<=[.!?…])[\"'”’»)\]]*\s+(?=\S)"  # Latin, Cyrillic: punctuation, closing quotes, space
    r"|(?<=[。！？；])[”’」』）]*"  # CJK: no space after the full stop
    r"|(?<=[؟۔])\s*"  # Arabic question mark, Urdu full stop
    r"|\n\s*\n"  # paragraph break
)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence, whitespace trimmed, in order."""
    spans, cursor = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > cursor:
            spans.append((cursor, match.start() if match.group(0).isspace() else match.end()))
            cursor = match.end()
    spans.append((cursor, len(text)))
    trimmed = []
    for start, end in spans:
        segment = text[start:end]
        left = len(segment) - len(segment.lstrip())
        right = len(segment.rstrip())
        if right > left:
            trimmed.append((start + left, start + right))
    return trimmed


class Chunker:
    """Deterministic chunker; the same text and settings always give the same chunks."""

    def __init__(self, tiktoken_dir: Path, max_tokens: int = 160, overlap_sentences: int = 1):
        if max_tokens < 16:
            raise ValueError("max_tokens must be at least 16")
        self.encoding = get_encoding(tiktoken_dir)
        self.max_tokens = max_tokens
        self.overlap = overlap_sentences

    def _units(self, text: str) -> list[tuple[int, int, int]]:
        """Sentences as (start, end, tokens); over-long sentences cut at token boundaries."""
        units = []
        for start, end in sentence_spans(text):
            tokens = self.encoding.encode(text[start:end], disallowed_special=())
            if len(tokens) <= self.max_tokens:
                units.append((start, end, len(tokens)))
                continue
            cursor = start
            for i in range(0, len(tokens), self.max_tokens):
                piece = self.encoding.decode(tokens[i : i + self.max_tokens])
                found = text.find(piece.strip(), cursor)
                piece_end = (
                    found + len(piece.strip()) if found >= 0 else min(end, cursor + len(piece))
                )
                units.append(
                    (cursor, max(piece_end, cursor + 1), min(self.max_tokens, len(tokens) - i))
                )
                cursor = max(piece_end, cursor + 1)
        return units

    def chunk(self, doc_id: str, text: str) -> list[Chunk]:
        units = self._units(text)
        chunks: list[Chunk] = []
        first = 0
        while first < len(units):
            last, budget = first, units[first][2]
            while last + 1 < len(units) and budget + units[last + 1][2] <= self.max_tokens:
                last += 1
                budget += units[last][2]
            start, end = units[first][0], units[last][1]
            chunks.append(
                Chunk(f"{doc_id}:{start}-{end}", doc_id, len(chunks), start, end, text[start:end])
            )
            if last + 1 >= len(units):
                break
            following = max(last + 1 - self.overlap, first + 1)
            carried = sum(u[2] for u in units[following : last + 1])
            if carried + units[last + 1][2] > self.max_tokens:
                following = last + 1  # the overlap would leave no room: start afresh
            first = following
        return chunks
