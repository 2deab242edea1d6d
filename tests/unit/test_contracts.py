"""Output contracts: a key missing or unknown fails where the output is made, the CLI and
the API give the same keys, and every JSON answer of the API is documented in
/openapi.json with its shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from assistant.answering.contracts import AnswerOut
from assistant.core.settings import load_settings
from assistant.drafting.platforms import PLATFORM_NAMES, length_report, platform
from assistant.grounding.stages import Passage
from assistant.monitoring.contracts import MonitorOut
from assistant.web.app import create_app

# answers that are files to keep (their shape is the file's), or HTML pages
FILES = {
    ("get", "/briefings/{day}/{watchlist}/{name}"),
    ("post", "/api/drafts/{draft_id}/export"),
    ("get", "/api/conversations/{conversation_id}/messages/{message_id}/export"),
    ("get", "/api/positions/{run_id}/export"),
}


def _passage() -> Passage:
    return Passage(
        n=1, doc_id="d1", chunk_id="d1:0", title="T", url=None, published_at="2024-01-02",
        language="en", source="UN", kind="policy", retrieval_score=0.5, quote="Q.",
        spans=[(0, 2)], chunk_text="Q. more", speaker="FRA",
    )  # fmt: skip


def _answer() -> dict[str, Any]:
    citation = _passage().citation()
    return {
        "run_id": "r", "question": "q?", "answer": "A.[1]", "language": "en", "refused": False,
        "refusal_reason": None, "citations": [citation], "sources": [citation],
        "sentences": [{"text": "A.", "citations": [1], "supported": True, "support_score": 0.9,
                       "reasons": [], "attributed": None}],
        "timings": {"total_s": 1.0}, "backend": "b", "model": "m", "retrieval_query": "q",
        "tokens": {"prompt": 10, "output": None}, "answer_status": "answered", "missing": [],
        "understood": {"speaker": None, "source": None, "topic_countries": [], "years": [],
                       "focus_terms": [], "ignored": [], "chips": []},
        "applied_filters": [],
    }  # fmt: skip


def test_a_citation_keeps_its_keys_and_spans() -> None:
    citation = _passage().citation()
    assert list(citation) == ["n", "doc_id", "chunk_id", "title", "url", "published_at",
                              "quote", "language", "spans", "source", "speaker"]  # fmt: skip
    assert citation["spans"] == [[0, 2]]


def test_an_answer_is_shaped_with_the_same_keys() -> None:
    answer = _answer()
    assert set(AnswerOut.shape(answer)) == set(answer)


@pytest.mark.parametrize("change", ["missing", "unknown", "wrong type"])
def test_a_missing_unknown_or_wrong_key_fails_loudly(change: str) -> None:
    answer = _answer()
    if change == "missing":
        del answer["citations"]
    elif change == "unknown":
        answer["sentences"][0]["confidence"] = 0.9
    else:
        answer["answer_status"] = "probably"
    with pytest.raises(ValidationError):
        AnswerOut.shape(answer)


def test_an_unavailable_forecast_keeps_only_its_two_keys() -> None:
    view = {
        "series": {"country": "*", "topic": "*", "kind": None, "language": None,
                   "granularity": "day", "clearance": "public", "since": "a", "until": "b"},
        "points": [], "totals": {"volume": 0, "sentiment": None, "negative_share": None},
        "forecast": {"available": False, "reason": "too short"}, "alerts": [], "campaigns": [],
        "countries": [],
    }  # fmt: skip
    assert MonitorOut.shape(view)["forecast"] == {"available": False, "reason": "too short"}


def test_platform_profiles_and_counts_are_contracts() -> None:
    for name in PLATFORM_NAMES:
        profile = platform(name)
        assert profile.to_dict()["name"] == name
        report = length_report(profile, "Hello")
        assert report["remaining"] == profile.limit - report["length"] and report["within_limit"]


def test_every_json_answer_of_the_api_is_documented(tmp_path: Path) -> None:
    """A route returning JSON without a response model would be an undocumented object."""
    spec = create_app(load_settings(home=tmp_path)).openapi()
    undocumented = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith("2") or (method, path) in FILES:
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is not None and "$ref" not in schema.get("items", schema):
                    undocumented.append(f"{method.upper()} {path} {status}: {schema}")
    assert not undocumented, undocumented


def test_a_web_briefing_offers_what_the_briefing_writes() -> None:
    """The request schema of `POST /api/briefings` lists the briefing's own languages and
    formats, and its window pattern takes exactly the windows `dragoman brief` takes."""
    import re
    from typing import get_args

    from assistant.briefing.render import FORMATS
    from assistant.briefing.selection import parse_window
    from assistant.briefing.translate import LANGUAGES
    from assistant.core.errors import InputError
    from assistant.web.routes_briefings import WINDOW, Format, OutputLanguage

    assert set(get_args(OutputLanguage)) == set(LANGUAGES)
    assert set(get_args(Format)) == set(FORMATS)
    for unit, top in (("h", 800), ("d", 40), ("w", 6)):
        for n in range(0, top):
            text = f"{n}{unit}"
            try:
                parse_window(text)
                accepted = True
            except InputError:
                accepted = False
            assert bool(re.match(WINDOW, text)) == accepted, text
