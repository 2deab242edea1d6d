"""Who spoke on a topic, and what they said, word for word.

A speaker is matched on who speaks in a document (``corpus.speakers``), never on whom it
mentions. Its quotes are sentences of its own passages that address the topic, read as
answering reads a question's (``grounding.evidence.Topic``): a passage that names a
country the topic names, in any language the country index knows (Ukraine, 乌克兰,
Ucrania), or holds two thirds of the topic's words in its language (or a translation's);
of it, the sentences that hold one of them. A speaker none of whose passages address the
topic has made no statement on it, whatever the dense search returned for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.grounding.context import SentenceUnit
from assistant.grounding.evidence import Topic, sentence_on_topic
from assistant.grounding.injection import looks_like_instruction
from assistant.grounding.stages import Passage
from corpus.registry import DocFilters, Registry
from corpus.speakers import speaker_of
from retrieval.chunking import sentence_spans
from retrieval.search import HybridSearch, SearchResult

MAX_DOCUMENTS = 20_000  # documents read to list the speakers of a period
MIN_QUOTE_CHARS = 25  # a shorter sentence ("Ukraine.") says nothing quotable
MAX_QUOTE_CHARS = 600


@dataclass
class Candidates:
    """A speaker's sentences that mention the topic, in the search results they come from."""

    results: list[SearchResult]
    sentences: list[SentenceUnit]


def speakers_in(registry: Registry, filters: DocFilters, levels: list[str]) -> Counter[str]:
    """Documents per speaker among those the filters select and the reader may see."""
    documents = registry.documents(
        replace(filters, speaker=None), limit=MAX_DOCUMENTS, clearance_levels=levels
    )
    return Counter(s for s in (speaker_of(d) for d in documents) if s)


def candidates(
    search: HybridSearch,
    topic: str,
    speaker: str,
    *,
    filters: DocFilters,
    clearance: str,
    on_topic: Topic,
    k: int,
) -> Candidates:
    """The speaker's sentences that mention the topic, from its best-matching chunks;
    a sentence that addresses the model (an injected instruction) is never quoted."""
    results = search.search(
        topic, clearance=clearance, k=k, filters=replace(filters, speaker=speaker)
    )
    found: list[SentenceUnit] = []
    seen: set[tuple[str, int]] = set()
    for i, result in enumerate(results):
        if speaker != result.speaker and speaker not in result.speakers:
            continue
        if not on_topic.addresses(f"{result.title}\n{result.text}", result.language):
            continue
        for start, end in sentence_spans(result.text):
            text = result.text[start:end].strip()
            key = (result.doc_id, result.start + start)
            if key in seen or not MIN_QUOTE_CHARS <= len(text) <= MAX_QUOTE_CHARS:
                continue
            seen.add(key)
            if looks_like_instruction(text):
                continue
            if not sentence_on_topic(on_topic, text, result.language):
                continue
            offset = result.start + start + result.text[start:end].index(text)
            found.append(SentenceUnit(i, offset, offset + len(text), text))
    return Candidates(results, found)


def best_quotes(embedder: Embeddings, topic: str, found: Candidates, limit: int) -> list[Passage]:
    """Up to ``limit`` quotes closest in meaning to the topic, at most two per document
    when there are several, as numbered passages (in the order of their score)."""
    sentences = found.sentences
    if not sentences:
        return []
    documents = {found.results[s.result].doc_id for s in sentences}
    per_document_cap = 2 if len(documents) > 1 else limit
    vectors = np.asarray(embedder.embed_documents([topic, *[c.text for c in sentences]]))
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    for sentence, similarity in zip(sentences, vectors[1:] @ vectors[0], strict=True):
        sentence.score = float(similarity)
    chosen: list[SentenceUnit] = []
    per_document: Counter[str] = Counter()
    for sentence in sorted(sentences, key=lambda c: -c.score):
        doc_id = found.results[sentence.result].doc_id
        if per_document[doc_id] < per_document_cap and len(chosen) < limit:
            chosen.append(sentence)
            per_document[doc_id] += 1
    return [_passage(n, found.results[c.result], c) for n, c in enumerate(chosen, start=1)]


def topical_statements(found: Candidates, limit: int) -> list[Passage]:
    """The speaker's ``limit`` sentences on the topic closest to it (as ``best_quotes``
    scored them), unnumbered: what is compared across speakers for disagreements."""
    ranked = sorted(found.sentences, key=lambda s: -s.score)[:limit]
    return [_passage(0, found.results[s.result], s) for s in ranked]


def speaker_evidence(
    search: HybridSearch, embedder: Embeddings, topic: str, speaker: str, *,
    filters: DocFilters, clearance: str, on_topic: Topic, k: int,
    quotes: int, statements: int,
) -> tuple[list[Passage], list[Passage]]:  # fmt: skip
    """A speaker's best ``quotes`` on the topic and its ``statements`` closest sentences
    to compare across speakers (both empty: no sentence of its mentions the topic)."""
    found = candidates(
        search, topic, speaker, filters=filters, clearance=clearance, on_topic=on_topic, k=k
    )
    chosen = best_quotes(embedder, topic, found, quotes)  # scores every sentence first
    return chosen, topical_statements(found, statements) if chosen else []


def _passage(n: int, result: SearchResult, candidate: SentenceUnit) -> Passage:
    return Passage(
        n=n, doc_id=result.doc_id, chunk_id=result.chunk_id, title=result.title,
        url=result.url, published_at=result.published_at, language=result.language,
        source=result.source, kind=result.kind, retrieval_score=candidate.score,
        quote=candidate.text, spans=[(candidate.start, candidate.end)],
        chunk_text=result.text, speaker=result.speaker, speakers=result.speakers,
    )  # fmt: skip


def verbatim(registry: Registry, quote: Passage, levels: list[str]) -> bool:
    """Whether the quote still stands word for word in its document, which the reader may
    still read (checked when the positions are made, not when the index was)."""
    if not registry.readable([quote.doc_id], levels):
        return False
    document = registry.get(quote.doc_id)
    if document is None:
        return False
    start, end = quote.spans[0]
    return document.text[start:end] == quote.quote
