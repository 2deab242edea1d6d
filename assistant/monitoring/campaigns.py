"""Coordinated amplification: bursts of near-identical posts from many accounts.

Social posts of a period are grouped by MinHash-LSH (the corpus's near-duplicate
signatures, Jaccard ≥ ``threshold`` confirmed on the signatures); within each group a
sliding time window finds the densest burst; a burst with at least ``min_accounts``
distinct accounts within ``window_minutes`` is a campaign.  Each campaign is reported with
its accounts (posts per account), timing (first, last, posts per minute) and text (the
earliest post and how many variants), and stored once (a re-scan finds the same burst).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from datasketch import MinHash, MinHashLSH
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.monitoring.store import CampaignRow
from corpus.dedup import NUM_PERM, from_bytes, signature
from corpus.document import CLEARANCES, Document
from corpus.registry import DocFilters, Registry


@dataclass(frozen=True)
class CampaignRules:
    threshold: float = 0.7
    window_minutes: int = 60
    min_accounts: int = 5


def _account(doc: Document) -> str:
    return (doc.author or doc.source or "unknown").strip().lower()


def _signature(doc: Document, stored: dict[str, bytes]) -> MinHash:
    data = stored.get(doc.doc_id)
    return from_bytes(data) if data else signature(doc.text, doc.language)


def near_identical_groups(
    docs: list[Document], signatures: list[MinHash], threshold: float
) -> list[list[int]]:
    """Indexes of ``docs`` grouped by near-identity (union-find over LSH candidates whose
    estimated Jaccard is at least ``threshold``); groups of one are left out."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    parent = list(range(len(docs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, sig in enumerate(signatures):
        for j in lsh.query(sig):
            if sig.jaccard(signatures[int(j)]) >= threshold:
                parent[root(i)] = root(int(j))
        lsh.insert(str(i), sig)
    groups: dict[int, list[int]] = {}
    for i in range(len(docs)):
        groups.setdefault(root(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def densest_burst(posts: list[Document], window_s: int) -> list[Document]:
    """The posts (time-ordered) of the window of ``window_s`` with the most accounts."""
    posts = sorted(posts, key=lambda d: (d.published_ts or 0, d.doc_id))
    best: list[Document] = []
    best_accounts = 0
    left = 0
    for right, post in enumerate(posts):
        while (post.published_ts or 0) - (posts[left].published_ts or 0) > window_s:
            left += 1
        burst = posts[left : right + 1]
        accounts = len({_account(d) for d in burst})
        if accounts > best_accounts:
            best, best_accounts = burst, accounts
    return best


def describe(burst: list[Document], group_size: int, level: str) -> dict[str, Any]:
    first, last = burst[0].published_ts or 0, burst[-1].published_ts or 0
    accounts = Counter(_account(d) for d in burst)
    minutes = max((last - first) / 60, 1.0)
    return {
        "fingerprint": hashlib.sha256(f"{burst[0].doc_id}|{level}".encode()).hexdigest(),
        "clearance": level,
        "first": datetime.fromtimestamp(first, UTC).isoformat(),
        "last": datetime.fromtimestamp(last, UTC).isoformat(),
        "first_ts": first,
        "last_ts": last,
        "posts": len(burst),
        "posts_per_minute": round(len(burst) / minutes, 2),
        "accounts": [{"account": a, "posts": n} for a, n in accounts.most_common()],
        "account_count": len(accounts),
        "text": burst[0].text,
        "variants": len({d.content_hash for d in burst}),
        "similar_posts_in_period": group_size,
        "language": burst[0].language,
        "countries": sorted({c for d in burst for c in d.countries_mentioned}),
        "doc_ids": [d.doc_id for d in burst],
    }


class CampaignDetector:
    def __init__(self, registry: Registry, rules: CampaignRules | None = None) -> None:
        self.registry = registry
        self.rules = rules or CampaignRules()

    def detect(self, since_ts: int, until_ts: int) -> list[dict[str, Any]]:
        """Campaigns among social posts published in [since, until), per clearance level;
        new ones are stored.  Returns every campaign found (``"new"`` says which)."""
        found = []
        for level in CLEARANCES:
            posts = self.registry.in_window(
                since_ts, until_ts, DocFilters(kind="social", include_duplicates=True), [level]
            )
            found += self._detect_level(posts, level)
        return found

    def _detect_level(self, posts: list[Document], level: str) -> list[dict[str, Any]]:
        if len(posts) < self.rules.min_accounts:
            return []
        stored = self.registry.minhashes([d.doc_id for d in posts])
        signatures = [_signature(d, stored) for d in posts]
        campaigns = []
        for group in near_identical_groups(posts, signatures, self.rules.threshold):
            burst = densest_burst([posts[i] for i in group], self.rules.window_minutes * 60)
            if len({_account(d) for d in burst}) >= self.rules.min_accounts:
                campaign = describe(burst, len(group), level)
                campaign["new"] = self._store(campaign)
                campaigns.append(campaign)
        return sorted(campaigns, key=lambda c: (c["first_ts"], c["fingerprint"]))

    def _store(self, campaign: dict[str, Any]) -> bool:
        with Session(self.registry.engine) as db, db.begin():
            exists = db.scalar(
                select(CampaignRow.id).where(CampaignRow.fingerprint == campaign["fingerprint"])
            )
            if exists is not None:
                return False
            db.add(
                CampaignRow(
                    fingerprint=campaign["fingerprint"],
                    detected_at=datetime.now(UTC),
                    first_ts=campaign["first_ts"],
                    last_ts=campaign["last_ts"],
                    clearance=campaign["clearance"],
                    posts=campaign["posts"],
                    accounts=campaign["account_count"],
                    detail_json=json.dumps(campaign, ensure_ascii=False),
                )
            )
        return True


def list_campaigns(
    registry: Registry, clearances: list[str], since_ts: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = select(CampaignRow).where(CampaignRow.clearance.in_(clearances))
    if since_ts is not None:
        query = query.where(CampaignRow.last_ts >= since_ts)
    query = query.order_by(CampaignRow.first_ts.desc()).limit(limit)
    with Session(registry.engine) as db:
        found = [{"id": r.id, **json.loads(r.detail_json)} for r in db.scalars(query)]
    cited = sorted({d for c in found for d in c["doc_ids"]})
    visible = registry.readable(cited, clearances)
    return [c for c in found if set(c["doc_ids"]) <= visible]
