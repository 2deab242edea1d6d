"""Where speakers' own sentences on the topic state a checkable fact differently.

Each speaker's sentences closest to the topic (a few each) are compared across speakers
and documents with the detector answers and briefings use (``grounding.disagreement``:
the same statement with other figures in the same unit and years, or the same sentence
with one short span swapped). Every side names the speakers whose documents state it, so
the analyst sees who says what instead of one version chosen silently.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from assistant.grounding.disagreement import find_disagreements
from assistant.grounding.stages import Passage
from assistant.positions.contracts import PositionsDisagreementOut

STATEMENTS_PER_SPEAKER = 6  # compared pairwise across every speaker: keep it small
MAX_DISAGREEMENTS = 10


def between_speakers(
    statements: Sequence[tuple[str, list[Passage]]], limit: int = MAX_DISAGREEMENTS
) -> list[dict[str, Any]]:
    """Disagreements among (speaker, its topical sentences) pairs, each side with the
    speakers, sentences and documents stating it (``PositionsDisagreementOut``)."""
    speakers_of: dict[str, set[str]] = {}
    passages = []
    for speaker, found in statements:
        for passage in found:
            speakers_of.setdefault(passage.doc_id, set()).add(speaker)
            passages.append(passage)
    out = []
    for disagreement in find_disagreements(passages, limit=limit):
        sides = []
        for side in disagreement.sides:
            named = sorted({s for doc_id in side.doc_ids for s in speakers_of[doc_id]})
            sides.append({"value": side.value, "citations": side.citations,
                          "sentence": side.sentence, "doc_ids": side.doc_ids,
                          "speakers": named})  # fmt: skip
        out.append(PositionsDisagreementOut.shape({"sides": sides}))
    return out


def readable_only(disagreements: list[dict[str, Any]], readable: Collection[str]) -> list[Any]:
    """The disagreements whose every side's documents the reader may still read (a side
    from a document reclassified since the run takes its disagreement with it)."""
    return [
        d for d in disagreements
        if all(doc_id in readable for side in d["sides"] for doc_id in side["doc_ids"])
    ]  # fmt: skip
