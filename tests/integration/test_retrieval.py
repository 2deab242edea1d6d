"""Retrieval on the real embedder and real Chroma: chunking, search, filters, clearance,
server mode against `chroma run`, kill -9 convergence of the index."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings, load_settings
from bench.support import corpora
from bench.support.processes import chroma_server as running_chroma
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import DocFilters, Registry
from retrieval.chunking import Chunker, sentence_spans
from retrieval.index import ChunkIndex, Filters
from retrieval.indexer import Retrieval, index_pending
from retrieval.langchain_retriever import DragomanRetriever
from retrieval.search import HybridSearch
from tests.conftest import cli_env, run_cli

SECRET = "The ambassador's cable says the summit in Reykjavik will be cancelled on 14 March."


def test_chunking_respects_sentences_in_every_script(tmp_path: Path) -> None:
    zh = "中国外交部发言人表示，中方坚决反对。美国应当停止干涉！你同意吗？我们拭目以待。"
    ar = "قال المتحدث إن الصين ترفض ذلك. هل توافق؟ نحن ننتظر."
    ru = "Министр заявил: «Россия готова к диалогу». Переговоры пройдут в Женеве! Когда? В мае."
    assert [zh[a:b] for a, b in sentence_spans(zh)] == [
        "中国外交部发言人表示，中方坚决反对。",
        "美国应当停止干涉！",
        "你同意吗？",
        "我们拭目以待。",
    ]
    assert [ar[a:b] for a, b in sentence_spans(ar)] == [
        "قال المتحدث إن الصين ترفض ذلك.",
        "هل توافق؟",
        "نحن ننتظر.",
    ]
    assert [ru[a:b] for a, b in sentence_spans(ru)][1:] == [
        "Переговоры пройдут в Женеве!",
        "Когда?",
        "В мае.",
    ]
    chunker = Chunker(tmp_path / "tk", max_tokens=24, overlap_sentences=1)
    text = f"{ru}\n\n{zh}\n\n{ar}"
    chunks = chunker.chunk("doc_x", text)
    assert chunks == chunker.chunk("doc_x", text)  # deterministic
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.chunk_id == f"doc_x:{chunk.start}-{chunk.end}"
        assert len(chunker.encoding.encode(chunk.text)) <= 24 + 2  # whole sentences, in budget
    ends = {c.end for c in chunks}
    assert (
        text.index("干涉！") + 3 in ends or text.index("。美国") + 1 in ends
    )  # cut at sentence ends
    covered = set().union(*(range(c.start, c.end) for c in chunks))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_long_real_speech_chunks_within_budget(tmp_path: Path) -> None:
    [speech] = corpora.un_speeches(tmp_path, ("IDN",), 2019)
    text = speech.read_text(encoding="utf-8")
    chunker = Chunker(tmp_path / "tk", max_tokens=160)
    chunks = chunker.chunk("doc", text)
    assert len(chunks) > 5
    assert all(len(chunker.encoding.encode(c.text)) <= 160 for c in chunks)
    assert all(c.text[-1] in '.!?"”’)' or c.end == len(text.rstrip()) for c in chunks[:-1])


def _xquad(language: str, n: int) -> list[dict[str, str]]:
    with gzip.open(corpora.shared(f"xquad/xquad.{language}.json.gz"), "rt", encoding="utf-8") as f:
        data = json.load(f)
    items = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            qa = paragraph["qas"][0]
            items.append(
                {"id": qa["id"], "context": paragraph["context"], "question": qa["question"]}
            )
    return items[:n]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, Registry, HybridSearch]]:
    """A small real index: UN speeches (en), a PRC report (zh), XQuAD contexts (en), and
    three documents at each clearance."""
    root = tmp_path_factory.mktemp("world")
    settings = load_settings(home=root / "home")
    registry = Registry(settings.registry_url)
    un = root / "un"
    un.mkdir()
    corpora.un_speeches(un, ("CHN", "UKR", "BRA", "NOR"), 2023)
    ingest(registry, [str(un)], Options(kind="policy", source="UN General Debate",
                                        filename_pattern=corpora.UN_PATTERN), corpora.UN_TEMPLATES)  # fmt: skip
    prc = root / "prc.jsonl"
    prc.write_text(json.dumps(corpora.prc_reports(1)[0], ensure_ascii=False), encoding="utf-8")
    ingest(
        registry,
        [str(prc)],
        Options(kind="policy", mapping={"text": "content"}),
        {"published_at": "{year}-03-05"},
    )
    xquad = root / "xquad.jsonl"
    xquad.write_text(
        "\n".join(json.dumps({"id": i["id"], "text": i["context"]}) for i in _xquad("en", 40))
    )
    ingest(registry, [str(xquad)], Options(kind="news", source="XQuAD", language="en"))
    for clearance in ("public", "internal", "restricted"):
        secret = root / f"{clearance}.txt"
        secret.write_text(f"{SECRET} ({clearance} copy)\n\nIceland, Reykjavik.")
        ingest(
            registry,
            [str(secret)],
            Options(kind="policy", clearance=clearance, source=f"cable-{clearance}"),
        )
    retrieval = Retrieval(settings)
    report = index_pending(retrieval, registry)
    assert report.documents_indexed == 4 + 1 + 40 + 3 and report.chunks > 100
    yield settings, registry, HybridSearch(retrieval, registry)


def test_finds_the_right_speech(world: tuple[Settings, Registry, HybridSearch]) -> None:
    _, _, search = world
    results = search.search(
        "What did Norway say about the Sustainable Development Goals?", clearance="public", k=5
    )
    assert results and results[0].language == "en"
    assert any("Norway" in r.title for r in results)
    top = results[0]
    assert top.text and top.start < top.end and top.chunk_id.startswith(top.doc_id)


def test_cross_lingual_questions_find_english_contexts(
    world: tuple[Settings, Registry, HybridSearch],
) -> None:
    _, _, search = world
    english = {i["id"]: i["context"] for i in _xquad("en", 40)}
    hits = 0
    for item in _xquad("zh", 40):
        results = search.search(
            item["question"], clearance="public", k=5, filters=Filters(source="XQuAD")
        )
        hits += any(
            english[item["id"]][:80] in r.text or r.text[:80] in english[item["id"]]
            for r in results
        )
    assert hits >= 32, f"recall@5 zh→en {hits}/40"


def test_filters(world: tuple[Settings, Registry, HybridSearch]) -> None:
    _, registry, search = world

    def mentions(code: str, doc_id: str) -> bool:
        doc = registry.get(doc_id)
        return doc is not None and code in doc.countries_mentioned

    query = "economic development and international cooperation"
    cases = [
        (Filters(language="zh"), lambda r: r.language == "zh"),
        (Filters(kind="news"), lambda r: r.kind == "news"),
        (Filters(source="UN General Debate"), lambda r: r.source == "UN General Debate"),
        (
            Filters(since=20230101, until=20231231),
            lambda r: (r.published_at or "").startswith("2023"),
        ),
        (Filters(country="NOR", source="UN General Debate"), lambda r: mentions("NOR", r.doc_id)),
    ]
    for filters, holds in cases:
        results = search.search(query, clearance="public", k=8, filters=filters)
        assert results, filters
        assert all(holds(r) for r in results), (filters, [(r.title, r.language) for r in results])
    assert search.search(query, clearance="public", filters=Filters(until=19000101)) == []


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_clearance_is_enforced_inside_retrieval(
    world: tuple[Settings, Registry, HybridSearch], mode: str
) -> None:
    _, _, search = world
    targeted = [
        Filters(),
        Filters(country="ISL"),
        Filters(source="cable-restricted"),
        Filters(language="en"),
    ]
    for filters in targeted:
        public = search.search(
            SECRET + " (restricted copy)", clearance="public", k=50, filters=filters, mode=mode
        )
        assert all(
            r.source in (None, "cable-public")
            or not r.source.startswith("cable-")
            or r.source == "cable-public"
            for r in public
        )
        assert not any("restricted copy" in r.text or "internal copy" in r.text for r in public)
    internal = search.search(SECRET, clearance="internal", k=50, mode=mode)
    assert any("internal copy" in r.text for r in internal)
    assert not any("restricted copy" in r.text for r in internal)
    restricted = search.search(
        SECRET + " (restricted copy)", clearance="restricted", k=3, mode=mode
    )
    assert "restricted copy" in restricted[0].text


def test_langchain_retriever(world: tuple[Settings, Registry, HybridSearch]) -> None:
    _, _, search = world
    retriever = DragomanRetriever(search=search, clearance="public", k=4)
    documents = retriever.invoke(SECRET)
    assert len(documents) == 4
    assert all("restricted copy" not in d.page_content for d in documents)
    assert {"doc_id", "chunk_id", "title", "score"} <= set(documents[0].metadata)


def test_different_embedder_is_a_clear_error(
    world: tuple[Settings, Registry, HybridSearch],
) -> None:
    settings, _, _ = world
    with pytest.raises(ConfigError, match="dragoman reindex"):
        ChunkIndex(settings, "sentence-transformers:other", 384)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    with running_chroma(tmp_path / "server-data") as url:
        yield url


def test_server_mode_against_real_chroma_run(tmp_path: Path, chroma_server: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    corpora.un_speeches(data, ("JPN", "KEN"), 2022)
    env = cli_env(tmp_path / "home", DRAGOMAN_CHROMA_URL=chroma_server)
    ingested = run_cli("ingest", str(data), "--kind", "policy", "--filename-pattern", corpora.UN_PATTERN,
                       "--set", f"title={corpora.UN_TEMPLATES['title']}", "--json", env=env)  # fmt: skip
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["index"]["chunks"] > 20
    assert not (tmp_path / "home" / "chroma").exists()  # nothing went to the embedded store
    found = run_cli("search", "Kenya", "--k", "3", "--json", env=env)
    results = json.loads(found.stdout)["results"]
    assert {
        "chunk_id",
        "doc_id",
        "title",
        "url",
        "published_at",
        "language",
        "score",
        "text",
    } <= set(results[0])
    assert "Kenya" in results[0]["title"]
    count = httpx.get(
        f"{chroma_server}/api/v2/tenants/default_tenant/databases/default_database/collections"
    )
    names = {c["name"] for c in count.json()}
    assert {
        "dragoman_chunks_public",
        "dragoman_chunks_internal",
        "dragoman_chunks_restricted",
    } <= names


def _index_state(home: Path) -> tuple[list[str], dict[str, list[str]]]:
    settings = load_settings(home=home)
    retrieval = Retrieval(settings)
    ids = sorted(retrieval.index.all_ids())
    lexical = {lang: sorted(retrieval.lexical(lang).ids) for lang in ("en",)}
    return ids, lexical


def test_kill_9_during_indexing_converges(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    names = corpora.member_names("ungdc-2015-2024.tar.gz", "Session 72 - 2017/")[:40]
    corpora.extract_members("ungdc-2015-2024.tar.gz", names, data)
    args = ["ingest", str(data), "--kind", "policy", "--json"]
    assert run_cli(*args, env=cli_env(tmp_path / "clean")).returncode == 0
    expected = _index_state(tmp_path / "clean")
    crash = tmp_path / "crash"
    for delay in (4.0, 6.0, 8.0, 10.0):
        process = subprocess.Popen([sys.executable, "-m", "assistant", *args], env=cli_env(crash),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = run_cli(*args, env=cli_env(crash))
    assert final.returncode == 0, final.stderr
    ids, lexical = _index_state(crash)
    assert ids == expected[0] and len(ids) == len(set(ids)) > 100
    assert lexical == expected[1] and lexical["en"] == ids


def test_search_cli_rejects_bad_flags(tmp_path: Path) -> None:
    result = run_cli("search", "x", "--clearance", "cosmic", "--json", env=cli_env(tmp_path))
    assert (
        result.returncode == 2
        and "--clearance must be one of" in json.loads(result.stdout)["message"]
    )


def test_translated_lexical_rankings_take_their_own_weight(
    world: tuple[Settings, Registry, HybridSearch], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question translated into Chinese ranks the PRC report for BM25 at
    DRAGOMAN_FUSION_TRANSLATION_WEIGHT; at 0 the translation changes nothing."""
    settings, _, search = world
    question = "What target for economic growth did the government set for this year?"
    translated = {"zh": "政府提出的今年经济增长预期目标是多少？"}

    def found(weight: float, translations: dict[str, str]) -> list[str]:
        changed = settings.model_copy(update={"fusion_translation_weight": weight})
        monkeypatch.setattr(search.retrieval, "settings", changed)
        results = search.search(question, clearance="public", k=8, translations=translations)
        return [r.chunk_id for r in results]

    plain = found(1.0, {})
    with_translation = found(1.0, translated)
    _, registry, _ = world
    prc = tuple(d.doc_id for d in registry.documents(DocFilters(language="zh"), limit=10))
    assert prc and with_translation != plain
    assert sum(c.startswith(prc) for c in with_translation) > sum(c.startswith(prc) for c in plain)
    assert found(0.0, translated) == plain

    # a ranking weighed 0 adds no candidates at the bottom either: over the Chinese chunks
    # BM25 finds nothing for an English question without its translation
    def chinese_bm25(weight: float) -> list[str]:
        found(weight, {})  # sets the weight
        results = search.search(question, clearance="public", k=8, mode="lexical",
                                filters=Filters(language="zh"), translations=translated)  # fmt: skip
        return [r.chunk_id for r in results]

    assert chinese_bm25(1.0) and chinese_bm25(0.0) == []
