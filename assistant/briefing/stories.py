"""Stage 2 of a briefing: documents grouped into stories, stories ranked by salience.

Documents are embedded (title and lead) with the retrieval embedder, which is
multilingual, so coverage of one event in several languages lands in one story.  Known
duplicates join their original's story directly; the rest are grouped by average-linkage
clustering on cosine similarity, cut at a threshold calibrated on real pairs
(``evals/calibrate_stories.py`` → ``story_calibration.json``).

Salience weighs voices, not raw volume, each on a log scale where it counts: the original
items weighted by kind (policy 1, news 0.6, social 0.3; copies add nothing), the sources
(a social account counts 0.3 of an outlet), the governments speaking, language
diversity, novelty against the previous days' indexed documents, and the most official
kind present (policy > news > social).  A coordinated burst (``coordinated``: mostly
social posts from many accounts, most of them copies, within a few hours) is an alert,
never a top story.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from importlib.resources import files

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.briefing.model import Burst
from assistant.briefing.selection import BriefingWindow
from assistant.core.errors import ConfigError
from corpus.document import Document
from corpus.registry import DocFilters
from corpus.speakers import speakers_of
from retrieval.index import ChunkIndex

CALIBRATION_FILE = "story_calibration.json"
LEAD_CHARS = 400
MAX_AGGLOMERATIVE = 8000  # above this, greedy centroid clustering (memory is O(n²) below)
KIND_WEIGHT = {"policy": 1.0, "news": 0.6, "social": 0.3}
NOVELTY_DAYS = 3
SOCIAL_SOURCE_WEIGHT = 0.3  # a social account, against an outlet or a ministry
BURST_ACCOUNTS = 5  # a coordinated burst: at least this many accounts …
BURST_HOURS = 6  # … posting within this many hours …
BURST_COPIES = 0.5  # … most of it the same text


@lru_cache(maxsize=1)
def calibrated_threshold() -> float:
    """The shipped cosine threshold for "same story" (fitted on real pairs)."""
    try:
        text = files("assistant.briefing").joinpath(CALIBRATION_FILE).read_text("utf-8")
        return float(json.loads(text)["threshold"])
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"story calibration {CALIBRATION_FILE} is missing or invalid: {exc}",
            fix="reinstall dragoman or run `python evals/calibrate_stories.py`",
        ) from exc


def authority(doc: Document) -> tuple[float, int, str]:
    """Sort key: official first, then earliest, then by id (deterministic)."""
    return (-KIND_WEIGHT.get(doc.kind, 0.0), doc.published_ts or 0, doc.doc_id)


def lead_text(doc: Document) -> str:
    """What a document is about: its title and the start of its text."""
    body = doc.text[:LEAD_CHARS]
    return body if doc.title and body.startswith(doc.title) else f"{doc.title}\n{body}"


def embed_leads(embedder: Embeddings, docs: list[Document]) -> np.ndarray:
    if not docs:
        return np.zeros((0, 1))
    vectors = np.asarray(embedder.embed_documents([lead_text(d) for d in docs]), dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def cluster_vectors(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Groups of row indices whose average pairwise cosine similarity reaches ``threshold``."""
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    if n > MAX_AGGLOMERATIVE:
        return _greedy_clusters(vectors, threshold)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(pdist(vectors, metric="cosine"), 0.0, 2.0)
    labels = fcluster(linkage(distances, method="average"), t=1.0 - threshold, criterion="distance")
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: g[0])


def _greedy_clusters(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """One pass in input order: join the closest centroid at or above ``threshold``."""
    groups: list[list[int]] = []
    sums: list[np.ndarray] = []
    for index, vector in enumerate(vectors):
        if sums:
            centroids = np.asarray(sums)
            centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
            scores = centroids @ vector
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                groups[best].append(index)
                sums[best] = sums[best] + vector
                continue
        groups.append([index])
        sums.append(vector.copy())
    return groups


@dataclass
class Cluster:
    """One story before summarising: its documents (duplicates included) and its rank."""

    members: list[Document]
    centroid: np.ndarray
    salience: float = 0.0
    parts: dict[str, float] | None = None

    @property
    def story_id(self) -> str:
        ids = "\n".join(sorted(d.doc_id for d in self.members))
        return "story_" + hashlib.sha256(ids.encode()).hexdigest()[:16]

    @property
    def originals(self) -> list[Document]:
        return [d for d in self.members if d.duplicate_of is None] or self.members[:1]

    @property
    def sources(self) -> list[str]:
        counts = Counter(d.source or "unknown" for d in self.members)
        return [s for s, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    @property
    def languages(self) -> list[str]:
        return sorted({d.language for d in self.members})

    @property
    def countries(self) -> list[str]:
        counts = Counter(c for d in self.members for c in d.countries_mentioned)
        return [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def group_stories(
    documents: list[Document], embedder: Embeddings, threshold: float
) -> list[Cluster]:
    """Stories of the window: duplicates with their originals, the rest clustered."""
    present = {d.doc_id for d in documents}
    heads = [d for d in documents if d.duplicate_of is None or d.duplicate_of not in present]
    copies: dict[str, list[Document]] = {}
    for doc in documents:
        if doc.duplicate_of is not None and doc.duplicate_of in present:
            copies.setdefault(doc.duplicate_of, []).append(doc)
    vectors = embed_leads(embedder, heads)
    clusters = []
    for group in cluster_vectors(vectors, threshold):
        members = [m for i in group for m in (heads[i], *copies.get(heads[i].doc_id, []))]
        centroid = vectors[group].mean(axis=0)
        clusters.append(Cluster(members, centroid / (np.linalg.norm(centroid) or 1.0)))
    return clusters


def rank_stories(
    clusters: list[Cluster],
    window: BriefingWindow,
    index: ChunkIndex | None,
    clearance: str,
    limit: int,
) -> list[Cluster]:
    """The ``limit`` most salient stories, most salient first (ties: stable by story id);
    coordinated bursts are left out (:func:`bursts` reports them as alerts)."""
    clusters = [c for c in clusters if not coordinated(c)]
    for cluster in clusters:
        cluster.parts = _base_parts(cluster)
        cluster.salience = sum(cluster.parts.values())
    shortlist = sorted(clusters, key=lambda c: (-c.salience, c.story_id))[: limit * 3]
    for cluster in shortlist:
        novelty = _novelty(cluster, window, index, clearance)
        assert cluster.parts is not None
        cluster.parts["novelty"] = round(1.5 * novelty, 4)
        cluster.salience = round(sum(cluster.parts.values()), 4)
    return sorted(shortlist, key=lambda c: (-c.salience, c.story_id))[:limit]


def _base_parts(cluster: Cluster) -> dict[str, float]:
    originals = cluster.originals
    weighted = sum(KIND_WEIGHT.get(d.kind, 0.0) for d in originals)
    social = {d.author or d.source for d in cluster.members if d.kind == "social"}
    outlets = {d.source for d in cluster.members if d.kind != "social"}
    sources = len(outlets) + SOCIAL_SOURCE_WEIGHT * len(social)
    speakers = {s for d in originals for s in speakers_of(d) if not s.startswith("@")}
    return {
        "volume": round(math.log2(1 + weighted), 4),
        "sources": round(math.log2(1 + sources), 4),
        "speakers": round(math.log2(1 + len(speakers)), 4),
        "languages": round(0.5 * math.log2(len(cluster.languages)), 4),
        "official": max(KIND_WEIGHT.get(d.kind, 0.0) for d in cluster.members),
    }


def coordinated(cluster: Cluster) -> bool:
    """Mostly social posts, from ``BURST_ACCOUNTS`` accounts or more, within
    ``BURST_HOURS``, most of them copies of one another: amplification, not news."""
    social = [d for d in cluster.members if d.kind == "social"]
    if len(social) < 0.8 * len(cluster.members):
        return False
    if len({d.author or d.source for d in social}) < BURST_ACCOUNTS:
        return False
    times = [d.published_ts for d in social if d.published_ts]
    if not times or max(times) - min(times) > BURST_HOURS * 3600:
        return False
    texts = Counter(" ".join(d.text.casefold().split())[:200] for d in social)
    copies = sum(d.duplicate_of is not None for d in social) + len(social) - len(texts)
    return copies >= BURST_COPIES * len(social)


def _novelty(
    cluster: Cluster, window: BriefingWindow, index: ChunkIndex | None, clearance: str
) -> float:
    """1 − the best similarity to anything indexed in the previous days (1: nothing like it)."""
    if index is None:
        return 1.0
    start = window.start.date()
    since = int((start - timedelta(days=NOVELTY_DAYS)).strftime("%Y%m%d"))
    until = int((start - timedelta(days=1)).strftime("%Y%m%d"))
    hits = index.query(
        cluster.centroid.tolist(), 1, clearance, DocFilters(since=since, until=until)
    )
    if not hits or hits[0].distance is None:
        return 1.0
    return float(min(1.0, max(0.0, hits[0].distance)))


def bursts(clusters: list[Cluster]) -> list[Burst]:
    """The window's coordinated bursts, largest first."""
    found = []
    for cluster in clusters:
        if not coordinated(cluster):
            continue
        social = [d for d in cluster.members if d.kind == "social"]
        times = [d.published_ts for d in social if d.published_ts]
        lead = min(social, key=authority)
        found.append(
            Burst(
                accounts=len({d.author or d.source for d in social}),
                items=len(cluster.members),
                hours=round((max(times) - min(times)) / 3600, 1),
                countries=cluster.countries[:3],
                text=lead.title or lead.text[:120],
                doc_ids=sorted(d.doc_id for d in cluster.members),
            )
        )
    return sorted(found, key=lambda b: (-b.accounts, b.doc_ids))
