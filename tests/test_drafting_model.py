"""Drafting on the real embedded 1.5B model (the product's default), real embedder, Chroma and
registry on real White House statements: the variants in en/fr/zh never exceed X's limit,
the facts are checked, the translations are real translations of the same message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.drafting.platforms import platform, x_length
from corpus.registry import DocFilters, Registry
from tests.conftest import REPO, cli_env, run_cli

pytestmark = pytest.mark.model
DEMO = REPO / "corpus" / "demo" / "whitehouse"
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> dict[str, object]:
    home = tmp_path_factory.mktemp("draft-model") / "home"
    home.mkdir()
    (home / "models").symlink_to(models_dir)
    env = cli_env(home)
    done = run_cli("ingest", str(DEMO), "--kind", "news", "--source", "The White House",
                   "--json", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    registry = Registry(f"sqlite:///{home / 'dragoman.db'}")
    [doc] = [d for d in registry.documents(DocFilters(), limit=100) if "Stockholm" in d.title]
    done = run_cli(
        "draft", "Welcome the outcome of the economic and trade talks in Stockholm",
        "--platform", "x", "--lang", "en,fr,zh", "--from-doc", doc.doc_id, "--json",
        env=env, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_variants_stay_within_the_x_limit_in_three_languages(
    drafted: dict[str, object], default_model: Path
) -> None:
    variants = drafted["variants"]
    assert isinstance(variants, dict) and list(variants) == ["en", "fr", "zh"]
    for code, variant in variants.items():
        assert variant["posts"], code
        for post in variant["posts"]:
            assert x_length(post) <= 280 and platform("x").fits(post), (code, post)
        assert variant["lengths"] == [x_length(p) for p in variant["posts"]]
    assert HAN.search(variants["zh"]["text"]), variants["zh"]["text"]  # a real translation
    en, fr = variants["en"]["sentences"], variants["fr"]["sentences"]
    assert [s["citations"] for s in fr] == [s["citations"] for s in en][: len(fr)]
    assert all(s["source"] is not None for s in fr)  # each translates an English sentence


def test_every_sentence_is_checked_against_the_document(
    drafted: dict[str, object], default_model: Path
) -> None:
    [passage] = drafted["passages"]  # type: ignore[misc]
    assert "Stockholm" in passage["title"] and passage["spans"]
    english = drafted["variants"]["en"]["sentences"]  # type: ignore[index]
    assert any(s["supported"] and s["citations"] == [1] for s in english), english
    flagged = {f["detail"].get("text") for f in drafted["flags"] if f["kind"] == "unsupported"}  # type: ignore[attr-defined]
    for sentence in english:  # every sentence the sources do not support is flagged
        assert sentence["supported"] or sentence["text"] in flagged
    assert drafted["stages"]["run_id"]  # type: ignore[index]
