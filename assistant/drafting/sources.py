"""Stage 1 of a draft: the numbered passages the post may draw its facts from.

The press officer's instruction is the primary source — a new announcement's facts are
in it and nowhere else — so it is always passage [1], cited as "the brief".  With
``--from-doc`` the other passages are the sentences of those documents closest to the
instruction (each passage exact spans of one document); without, the instruction is a
search query over the corpus, the answering pipeline's context selection picks the
sentences, and only passages that share the instruction's subject are kept: a release on
US–China trade is not a source for an embassy's open day.  Official posts are public:
only documents cleared ``public`` are ever used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.clearance import readable_levels
from assistant.core.errors import InputError, NotFoundError
from assistant.grounding.context import select_context
from assistant.grounding.passages import PassageBook, is_cjk, usable_sentences
from assistant.grounding.stages import Passage
from assistant.grounding.support import content_terms
from corpus.language import detect_language
from corpus.registry import Registry
from retrieval.search import HybridSearch

SENTENCES_PER_DOC = 3
DOC_CHARS = {"cjk": 240, "other": 640}  # a passage's budget: prefill dominates on CPU
CLEARANCE = "public"
BRIEF_ID = "brief"
BRIEF_TITLE = "The press officer's brief"
# A searched passage is a source only if it shares this share of the instruction's
# content terms (the instruction's verbs of drafting aside) — see bench/RESULTS.md.
MIN_SHARED_TERMS = 0.34
DRAFTING_WORDS = frozenset(
    t for w in ("announce", "announcement", "post", "tweet", "write", "draft", "share", "tell",
                "inform", "invite", "remind", "welcome", "followers", "public", "official")
    for t in content_terms(w)
)  # fmt: skip


def brief_passage(instruction: str) -> Passage:
    """The instruction as passage [1]: what the announcement's facts rest on."""
    text = instruction.strip()
    return Passage(
        n=1, doc_id=BRIEF_ID, chunk_id=BRIEF_ID, title=BRIEF_TITLE, url=None,
        published_at=None, language=detect_language(text, default="en"), source=BRIEF_TITLE,
        kind="brief", retrieval_score=1.0, quote=text, spans=[(0, len(text))], chunk_text=text,
    )  # fmt: skip


def relevant_to(instruction: str, passage: Passage) -> bool:
    """The passage shares enough of the instruction's subject to add facts to it."""
    wanted = content_terms(instruction) - DRAFTING_WORDS
    if not wanted:
        return False
    shared = wanted & content_terms(f"{passage.title}\n{passage.quote}")
    return len(shared) >= 2 and len(shared) / len(wanted) >= MIN_SHARED_TERMS


def with_brief(
    instruction: str, passages: list[Passage], *, filter_relevant: bool
) -> list[Passage]:
    """The brief first, then the (relevant) document passages, renumbered from 2."""
    kept = [p for p in passages if not filter_relevant or relevant_to(instruction, p)]
    renumbered = [replace(p, n=i) for i, p in enumerate(kept, start=2)]
    return [brief_passage(instruction), *renumbered]


def document_passages(
    registry: Registry,
    embedder: Embeddings,
    doc_ids: list[str],
    instruction: str,
    reader_clearance: str = "restricted",
) -> list[Passage]:
    """One passage per document: its sentences most relevant to the instruction.  A
    document above the reader's clearance is reported as missing, like one that is."""
    book = PassageBook()
    numbers = []
    readable = readable_levels(reader_clearance)
    for doc_id in dict.fromkeys(doc_ids):
        doc = registry.get(doc_id)
        if doc is None or doc.clearance not in readable:
            raise NotFoundError(f"no document {doc_id!r}", fix="dragoman search … --json")
        if doc.clearance != CLEARANCE:
            raise InputError(
                f"document {doc_id!r} is cleared {doc.clearance!r}: official posts may draw "
                "on public documents only"
            )
        spans = usable_sentences(doc) or [(0, min(len(doc.text), 400))]
        chosen = _closest(embedder, instruction, doc.text, spans)
        numbers.append(book.add(doc, chosen))
    return list(book.for_verification(numbers).values())


def _closest(
    embedder: Embeddings, instruction: str, text: str, spans: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The spans nearest the instruction, in document order, within the passage budget."""
    spans = spans[:200]
    vectors = np.asarray(
        embedder.embed_documents([instruction, *(text[s:e] for s, e in spans)]), dtype=np.float32
    )
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    order = np.argsort(-(vectors[1:] @ vectors[0]), kind="stable")
    budget = DOC_CHARS["cjk" if is_cjk(text[:400]) else "other"]
    chosen: list[tuple[int, int]] = []
    used = 0
    for i in order:
        start, end = spans[int(i)]
        if chosen and (len(chosen) >= SENTENCES_PER_DOC or used + end - start > budget):
            continue
        chosen.append((start, min(end, start + budget)))
        used += end - start
    return sorted(chosen)


def searched_passages(
    search: HybridSearch,
    embedder: Embeddings,
    instruction: str,
    *,
    k: int,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[Passage]:
    """The corpus's passages for the instruction, as a question would get them."""
    results = search.search(instruction, clearance=CLEARANCE, k=k)
    context = select_context(
        results,
        instruction,
        embedder=embedder,
        budget_tokens=budget_tokens,
        count_tokens=count_tokens,
    )
    return context.passages
