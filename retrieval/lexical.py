"""Lexical search: one BM25 index (bm25s) per language, persisted under DRAGOMAN_HOME/bm25.

Scores are only ever compared within one language — the query's — because BM25 scores
of different vocabularies are not commensurable, and mixing them hurts cross-lingual
recall.  Chinese is tokenised with jieba (search mode), other languages by words.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path

import bm25s
import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_NO_SPACES = {"zh", "ja"}


def tokenize(text: str, language: str) -> list[str]:
    if language in _NO_SPACES:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        return [
            t for t in (w.strip().casefold() for w in jieba.cut_for_search(text)) if _WORD.match(t)
        ]
    return [w.casefold() for w in _WORD.findall(text)]


class LexicalIndex:
    """BM25 over the chunks of one language."""

    def __init__(self, root: Path, language: str) -> None:
        self.language = language
        self.path = root / language
        self.ids: list[str] = []
        self._bm25: bm25s.BM25 | None = None
        self._stamp: tuple[int, int] | None = None
        self._load()

    def _on_disk(self) -> tuple[int, int] | None:
        try:
            status = (self.path / "ids.json").stat()
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns

    def _load(self) -> None:
        """Read the index from disk (again when another process rebuilt it: web workers)."""
        stamp = self._on_disk()
        if stamp is None or stamp == self._stamp:
            return
        try:
            ids = json.loads((self.path / "ids.json").read_text())
            bm25 = bm25s.BM25.load(str(self.path / "bm25")) if ids else None
        except FileNotFoundError:  # swapped by a rebuild this instant: the next search reads it
            return
        self.ids, self._bm25, self._stamp = ids, bm25, stamp

    def rebuild(self, ids: list[str], texts: list[str]) -> None:
        """Build from the language's full chunk set and swap it in atomically."""
        staging = self.path.with_name(f".{self.language}.building")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        bm25 = bm25s.BM25()
        if ids:
            bm25.index([tokenize(t, self.language) or ["∅"] for t in texts], show_progress=False)
            bm25.save(str(staging / "bm25"))
        (staging / "ids.json").write_text(json.dumps(ids))
        old = self.path.with_name(f".{self.language}.old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(staging, self.path)
        shutil.rmtree(old, ignore_errors=True)
        self.ids, self._bm25, self._stamp = ids, (bm25 if ids else None), self._on_disk()

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        self._load()
        tokens = tokenize(query, self.language)
        if self._bm25 is None or not tokens or not self.ids:
            return []
        docs, scores = self._bm25.retrieve([tokens], k=min(n, len(self.ids)), show_progress=False)
        return [
            (self.ids[int(i)], float(s))
            for i, s in zip(np.ravel(docs), np.ravel(scores), strict=True)
            if s > 0
        ]

    def __len__(self) -> int:
        return len(self.ids)
