"""A saved answer re-read at the reader's clearance (issue 48): what came from a document the
reader may no longer read goes, with every sentence that cited it; nothing else changes."""

from __future__ import annotations

from typing import Any

from assistant.answering.history import WITHHELD, cited_documents, withhold_unreadable


def _citation(n: int, doc_id: str) -> dict[str, Any]:
    return {"n": n, "doc_id": doc_id, "title": f"title of {doc_id}", "quote": f"quote {doc_id}"}


def _answer() -> dict[str, Any]:
    sentences = [
        {"text": "The envoy meets the vizier on 9 October.", "citations": [1], "supported": True},
        {"text": "The choir sings on Thursdays.", "citations": [2], "supported": True},
        {"text": "An unsupported guess.", "citations": [2], "supported": False},
    ]
    cited = [_citation(1, "cable"), _citation(2, "note")]
    side = {"value": "9 October", "citations": [1], "sentence": "…", "doc_ids": ["cable"]}
    return {
        "question": "What happens in Samarkand?",
        "retrieval_query": "When does the envoy meet the vizier in Samarkand?",
        "answer": "The envoy meets the vizier on 9 October.[1] The choir sings on Thursdays.[2]",
        "refused": False,
        "sentences": sentences,
        "citations": cited,
        "sources": cited,
        "disagreements": [{"sides": [side, {**side, "doc_ids": ["note"]}]}],
    }


def test_an_answer_whose_sources_are_all_readable_is_unchanged() -> None:
    saved = _answer()
    assert cited_documents(saved) == ["cable", "note"]
    assert withhold_unreadable(saved, {"cable", "note"}) is saved


def test_what_came_from_a_reclassified_document_is_withheld_with_its_sentences() -> None:
    shown = withhold_unreadable(_answer(), {"note"})
    assert [c["doc_id"] for c in shown["citations"]] == ["note"]
    assert [c["doc_id"] for c in shown["sources"]] == ["note"]
    assert [s["text"] for s in shown["sentences"]] == [
        "The choir sings on Thursdays.",
        "An unsupported guess.",
    ]
    assert shown["answer"] == f"The choir sings on Thursdays.[2] ({WITHHELD})"  # no guess
    assert shown["disagreements"] == [] and shown["withheld"] == 1
    assert "vizier" not in str(shown).replace("What happens in Samarkand?", "")


def test_a_refusal_keeps_its_words_when_a_shown_source_goes() -> None:
    refusal = {
        "question": "Who?",
        "answer": "I found no passage that answers this question.",
        "refused": True,
        "sentences": [],
        "citations": [],
        "sources": [_citation(1, "cable")],
    }
    shown = withhold_unreadable(refusal, set())
    assert shown["answer"] == refusal["answer"] and shown["sources"] == []


def test_an_answer_made_of_quotes_loses_the_quotes_of_a_reclassified_document() -> None:
    quotes = [
        {
            "n": 1,
            "doc_id": "cable",
            "quote": "The vizier expects the envoy.",
            "speaker_name": None,
            "translation": None,
        },
        {
            "n": 2,
            "doc_id": "note",
            "quote": "The choir sings on Thursdays.",
            "speaker_name": None,
            "translation": None,
        },
    ]
    saved = {
        **_answer(),
        "sentences": [],
        "quotes": quotes,
        "language": "en",
        "answer": "“The vizier expects the envoy.” [1]\n“The choir sings on Thursdays.” [2]",
    }
    assert withhold_unreadable(saved, {"cable", "note"}) is saved
    shown = withhold_unreadable(saved, {"note"})
    assert [q["doc_id"] for q in shown["quotes"]] == ["note"] and shown["withheld"] == 1
    assert shown["answer"] == f"“The choir sings on Thursdays.” [2] ({WITHHELD})"
    assert "vizier" not in str(shown).replace("What happens in Samarkand?", "")
