"""`dragoman search`, `dragoman reindex` and `dragoman rerank-vectors`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import (
    CountryOpt,
    DateOpt,
    JsonFlag,
    SpeakerOpt,
    choice,
    components,
    date_flag,
    emit_json,
    out,
    progress_line,
    speaker_flag,
)
from assistant.cli.corpus import run_indexing
from assistant.core.clearance import readable_levels
from corpus.document import CLEARANCES, KINDS
from retrieval.contracts import SearchOut


def search_command(
    query: Annotated[str, typer.Argument(help="The question or keywords, in any language.")],
    k: Annotated[int, typer.Option("--k", min=1, max=200)] = 10,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Only documents in this language")
    ] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    country: CountryOpt = None,
    speaker: SpeakerOpt = None,
    source: Annotated[str | None, typer.Option()] = None,
    since: DateOpt = None,
    until: DateOpt = None,
    clearance: Annotated[str, typer.Option(help="The caller's clearance")] = "public",
    mode: Annotated[str, typer.Option(help="hybrid | dense | lexical")] = "hybrid",
    understand_query: Annotated[
        bool,
        typer.Option(
            "--understand/--no-understand",
            help="Narrow to the speaker and source the query names (shown as chips)",
        ),
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Find passages (cross-lingual hybrid search), within the caller's clearance."""
    from retrieval.index import Filters
    from retrieval.understanding import Understood, understand

    parts = components()
    filters = Filters(
        kind=choice(kind, KINDS, "--kind"), language=lang, country=country, source=source,
        since=date_flag(since, "--since"), until=date_flag(until, "--until"),
        speaker=speaker_flag(speaker),
    )  # fmt: skip
    level = choice(clearance, CLEARANCES, "--clearance")
    sources = parts.registry.sources(readable_levels(level))
    understood = understand(query, sources=sources) if understand_query else Understood()
    results = parts.search().search(
        query, clearance=level, k=k, filters=filters,
        mode=choice(mode, ("hybrid", "dense", "lexical"), "--mode"), understood=understood,
    )  # fmt: skip
    if as_json:
        emit_json(SearchOut.shape(
            {"query": query, "understood": understood.to_dict(),
             "results": [r.to_dict() for r in results]}
        ))  # fmt: skip
        return
    chips = escape(" · ".join(chip["label"] for chip in understood.chips()))
    if chips:  # source names come from documents: escaped, never read as markup
        out.print(f"[dim]{chips} (--no-understand to search without)[/dim]")
    table = Table("#", "score", "lang", "date", "title", "passage")
    for rank, r in enumerate(results, 1):
        date = (r.published_at or "")[:10]
        table.add_row(
            str(rank), f"{r.score:.4f}", r.language, date, escape(r.title[:40]),
            escape(r.text[:160]),
        )  # fmt: skip
    out.print(table)


def reindex_command(as_json: JsonFlag = False) -> None:
    """Drop the vector and lexical indexes and rebuild them from the registry."""
    import shutil

    from retrieval.index import reset_index

    parts = components()
    reset_index(parts.settings)
    shutil.rmtree(parts.settings.home / "bm25", ignore_errors=True)
    documents = parts.registry.reset_index_state()
    report = run_indexing(parts, as_json)
    if as_json:
        emit_json({"documents": documents, "index": report})
    else:
        out.print(f"reindexed {report['documents_indexed']} documents as {report['chunks']} chunks")


def rerank_vectors_command(
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many chunks this run")
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="Only count the chunks that lack one")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Encode the chunks that lack a re-ranking vector (DRAGOMAN_RERANK_EMBEDDER).

    `serve` does this in the background; run it by hand after a large ingest (with the
    embedded Chroma, while `serve` is stopped). Interrupted, it resumes where it stopped."""
    from assistant.core.errors import ConfigError

    parts = components()
    rerank = parts.retrieval().rerank
    if rerank is None:
        raise ConfigError(
            "no re-ranking embedder is configured",
            fix="set DRAGOMAN_RERANK_EMBEDDER (default e5-small)",
        )
    with progress_line("re-ranking vectors", as_json) as show:
        report = rerank.fill(
            parts.retrieval().index, limit,
            lambda done, missing: show(f"re-ranking vectors: {done}/{missing} chunks"),
            dry_run=status,
        ).to_dict()  # fmt: skip
    if as_json:
        emit_json(report)
    else:
        out.print(
            f"{report['embedder']}: {report['written']} vectors written, {report['left']} left, "
            f"{report['removed']} removed"
        )
