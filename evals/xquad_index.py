"""XQuAD's contexts in en/zh/es ingested and indexed through the real pipeline.

Built once per evaluation run in the run's scratch home, with the engine's own
registry and retrieval (so ``ask`` searches exactly this index).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import DocFilters
from evals.datasets import XQUAD_LANGUAGES, XQuAD, load_xquad
from retrieval.indexer import index_pending

if TYPE_CHECKING:
    from evals.harness import EvalContext


def xquad_source(language: str) -> str:
    return f"XQuAD ({language})"


def xquad_filters(language: str) -> DocFilters:
    """XQuAD's passages in one language: other suites may have ingested into the same home."""
    return DocFilters(language=language, source=xquad_source(language))


@dataclass
class XQuADIndex:
    data: dict[str, XQuAD]  # by language
    context_of: dict[str, str]  # doc_id → context id ("<article>-<paragraph>")


def build_xquad_index(ctx: EvalContext) -> XQuADIndex:
    engine = ctx.engine
    data = {}
    for language in XQUAD_LANGUAGES:
        xquad = load_xquad(ctx.corpora, language)
        ctx.use_dataset(f"xquad.{language}", xquad.path)
        data[language] = xquad
        path = ctx.settings.home / f"xquad-contexts.{language}.jsonl"
        rows = [{"id": cid, "text": text} for cid, text in xquad.contexts.items()]
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
        options = Options(kind="news", language=language, source=xquad_source(language))
        ingest(engine.registry, [str(path)], options)
    ctx.progress("indexing XQuAD", 0, 1)
    index_pending(engine.retrieval, engine.registry)
    ctx.progress("indexing XQuAD", 1, 1)
    if engine.retrieval.rerank:  # what `serve` fills in the background, filled before measuring
        engine.retrieval.rerank.fill(
            engine.retrieval.index, progress=lambda done, missing: ctx.progress(
                "re-ranking vectors", done, missing)
        )  # fmt: skip
    context_of = {}
    for language in XQUAD_LANGUAGES:  # other suites may share this home: XQuAD's own only
        filters = DocFilters(source=xquad_source(language), include_duplicates=True)
        for d in engine.registry.documents(filters, limit=100_000):
            context_of[d.doc_id] = d.origin.rsplit("#id=", 1)[1]
    return XQuADIndex(data, context_of)
