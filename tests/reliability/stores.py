"""Everything a home stores, comparable across runs (the reliability tests' yardstick)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from assistant.core.settings import load_settings
from retrieval.indexer import Retrieval
from tests.integration.test_corpus_store import dump


def state(home: Path) -> dict[str, object]:
    """Every store of a home, minus run bookkeeping and timestamps."""
    retrieval = Retrieval(load_settings(home=home))
    chunk_ids = sorted(retrieval.index.all_ids())
    chunks = []  # every chunk's text and metadata, by level and id
    vectors = {}
    for level, collection in sorted(retrieval.index.collections.items()):
        got = collection.get(include=["documents", "metadatas", "embeddings"])
        for cid, text, meta, vector in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        ):
            chunks.append((level, cid, text, json.dumps(meta, sort_keys=True)))
            vectors[cid] = np.asarray(vector, dtype=np.float32)
    with sqlite3.connect(home / "dragoman.db") as connection:
        series = [
            (*row[:-1], round(row[-1], 6))
            for row in connection.execute(
                "SELECT granularity, bucket_ts, country, topic, kind, language, clearance,"
                " volume, negative, sentiment_sum FROM monitor_series ORDER BY 1, 2, 3, 4, 5, 6, 7"
            )
        ]
        mentions = connection.execute(
            "SELECT doc_id, country, topic, kind, language, clearance, published_ts,"
            " round(score, 6), label FROM monitor_mentions ORDER BY 1, 2, 3"
        ).fetchall()
        scored = connection.execute(
            "SELECT doc_id, content_hash, clearance, published_ts FROM monitor_scored ORDER BY 1"
        ).fetchall()
        statuses = {s for (s,) in connection.execute("SELECT status FROM ingest_runs")}
    return {
        "documents": dump(home / "dragoman.db"),
        "chunks": chunk_ids,
        "chunk_contents": sorted(chunks),
        "vectors": vectors,
        "bm25_en": sorted(retrieval.lexical("en").ids),
        "series": series,
        "mentions": mentions,
        "scored": scored,
        "statuses_ok": statuses <= {"completed", "interrupted"},
    }


def assert_same_state(actual: dict[str, object], expected: dict[str, object]) -> None:
    """Equal stores; chunk vectors equal up to float noise (batching changes the last bits)."""
    plain = [k for k in expected if k != "vectors"]
    for key in plain:
        assert actual[key] == expected[key], f"{key} differs"
    got, want = actual["vectors"], expected["vectors"]
    assert isinstance(got, dict) and isinstance(want, dict) and got.keys() == want.keys()
    for cid, vector in want.items():
        assert np.allclose(got[cid], vector, atol=1e-4), f"vector of {cid} differs"
