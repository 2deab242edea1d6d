"""Positions without a model: which sentences speak of a topic, periods, bounds, exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.core.errors import InputError, RangeError
from assistant.grounding.evidence import phrase_topic, sentence_on_topic
from assistant.positions import PositionsRequest, to_csv, to_markdown
from assistant.positions.contracts import PositionsOut
from assistant.positions.pipeline import parse_period
from assistant.positions.stance import whole_sentences
from corpus.language import detect_language
from evals.stance_data import ALIASES, ES_11_1_FILE, VOTE_STANCE, load_vote, read_vote


def _mentions(topic: str, translations: dict[str, str]) -> Callable[[str], bool]:
    """Whether a one-sentence passage, in the language read from it, is on the topic."""
    read = phrase_topic(topic, "en", translations)

    def mentions(text: str) -> bool:
        language = detect_language(text, default="en")
        return read.addresses(text, language) and bool(sentence_on_topic(read, text, language))

    return mentions


def test_a_country_topic_is_recognised_in_any_language() -> None:
    mentions = _mentions("the territorial integrity of Ukraine", {})
    assert mentions("We stand with Ukraine.")
    assert mentions("乌克兰局势仍然紧张。")
    assert mentions("La crisis en Ucrania continúa.")
    assert mentions("We stand with the Ukrainian people.")  # the name's stem
    united_states = _mentions("the United States", {})
    assert not united_states("The United Nations met.")  # every stem of the name, not one
    assert not mentions("The territorial integrity of Georgia must be respected.")


def test_a_topic_without_a_country_needs_its_words_or_a_translation_s() -> None:
    mentions = _mentions("climate finance", {"zh": "气候融资"})
    assert mentions("Developed countries must deliver the climate finance they promised.")
    assert mentions("发达国家应兑现气候融资承诺。")
    assert not mentions("Finance ministers met in Washington.")  # one term of two
    assert not mentions("Trade talks resumed in Geneva.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022", (20220101, 20221231)),
        ("2022-03", (20220301, 20220331)),
        ("2022-01..2022-06", (20220101, 20220630)),
        ("2021..2022", (20210101, 20221231)),
        ("2022-01-15..2022-02-01", (20220115, 20220201)),
    ],
)
def test_periods_as_analysts_write_them(text: str, expected: tuple[int, int]) -> None:
    low, high = parse_period(text)
    assert (low, high)[0] == expected[0]
    assert high in (expected[1], expected[1] // 100 * 100 + 31)  # day 31 stands for month end


@pytest.mark.parametrize("text", ["last year", "22", "2022-13", "2023..2022", "2022-01-32"])
def test_a_bad_period_is_refused_by_name(text: str) -> None:
    with pytest.raises(InputError, match=r"period|date"):
        parse_period(text)


def test_requests_are_bounded() -> None:
    with pytest.raises(InputError, match="topic"):
        PositionsRequest(" ").checked()
    with pytest.raises(InputError, match="topic"):
        PositionsRequest("x" * 201).checked()
    with pytest.raises(RangeError, match="quotes"):
        PositionsRequest("Ukraine", quotes=4).checked()
    with pytest.raises(RangeError, match="speakers"):
        PositionsRequest("Ukraine", speakers=["USA"] * 251).checked()
    assert PositionsRequest("  Ukraine \n war ").checked().topic == "Ukraine war"


def _report() -> dict[str, Any]:
    quote = {
        "n": 1, "doc_id": "doc_1", "chunk_id": "doc_1:0", "title": "A | title", "url": None,
        "published_at": "2022-09-20T00:00:00Z", "quote": "=HYPERLINK(\"http://x\") we back Ukraine",
        "language": "en", "spans": [(0, 10)], "source": "UN", "speaker": "USA",
        "translation": None, "verified": True,
    }  # fmt: skip
    positions = [
        {"speaker": "USA", "name": "United States", "stance": "supports", "model_stance": "supports",
         "summary": "It backs | Ukraine.", "summary_supported": True, "summary_score": 0.9,
         "reasons": [], "quotes": [quote], "documents": 1},
        {"speaker": "EGY", "name": "Egypt", "stance": "no_statement", "model_stance": None,
         "summary": None,
         "summary_supported": False, "summary_score": None, "reasons": [], "quotes": [],
         "documents": 1},
    ]  # fmt: skip
    return PositionsOut.shape({
        "run_id": "r", "topic": "Ukraine", "language": "en", "since": "2022-01-01",
        "until": "2022-12-31", "kind": "policy", "positions": positions, "backend": "b",
        "model": "m", "timings": {"total_s": 1.0},
    })  # fmt: skip


def test_markdown_export_keeps_the_table_whole() -> None:
    text = to_markdown(_report())
    assert "| United States | supports | It backs \\| Ukraine. |" in text
    assert "| Egypt | no statement found |  |" in text
    assert "— [1] A \\| title, 2022-09-20" in text


def test_csv_export_neutralises_formulas_from_documents() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(_report()))))
    assert [r["speaker"] for r in rows] == ["USA", "EGY"]
    assert rows[0]["quote"].startswith("'=HYPERLINK")
    assert rows[1]["stance"] == "no_statement" and rows[1]["quote"] == ""


def test_every_vote_list_name_reads_as_one_country(tmp_path: Path) -> None:
    assert set(VOTE_STANCE) == {"yes", "no", "abstain"}
    shared = {code for code in ALIASES.values() if list(ALIASES.values()).count(code) > 1}
    assert shared == {"VCT"}  # the two vote lists spell Saint Vincent differently
    votes = tmp_path / "stance" / "unga-68-262-votes.json"
    votes.parent.mkdir()
    lists = {"yes": ["Sudan", "S. Sudan", "Dem. Rep. Congo"], "no": [], "abstain": [],
             "absent": ["Congo"]}  # fmt: skip
    votes.write_text(json.dumps({"resolution": "R", "title": "T", **lists}), "utf-8")
    assert load_vote(tmp_path).votes == {"SDN": "yes", "SSD": "yes", "COD": "yes"}
    lists["no"] = ["Sudan"]  # the same country twice
    votes.write_text(json.dumps({"resolution": "R", "title": "T", **lists}), "utf-8")
    with pytest.raises(ValueError, match="Sudan"):
        load_vote(tmp_path)


def test_the_2022_vote_shipped_here_reads_as_its_recorded_totals() -> None:
    """A/RES/ES-11/1 (2 March 2022): 141 in favour, 5 against, 35 abstentions, 12 absent;
    every name one member, and the five against the ones the press reported."""
    vote = read_vote(ES_11_1_FILE)
    assert vote.resolution == "A/RES/ES-11/1"
    counts = {v: sum(1 for x in vote.votes.values() if x == v) for v in VOTE_STANCE}
    assert counts == {"yes": 141, "no": 5, "abstain": 35}
    assert sorted(c for c, v in vote.votes.items() if v == "no") == [
        "BLR", "ERI", "PRK", "RUS", "SYR"
    ]  # fmt: skip
    absent = json.loads(ES_11_1_FILE.read_text("utf-8"))["absent"]
    assert len(absent) == 12 and not {"VEN", "UZB"} & set(vote.votes)


@pytest.mark.parametrize(
    ("summary", "shown"),
    [
        ("France supports Ukraine. It also calls for", "France supports Ukraine."),
        ("法国支持乌克兰。它还呼吁", "法国支持乌克兰。"),
        ("U.S. aid to Ukraine rose 5.5 percent.", "U.S. aid to Ukraine rose 5.5 percent."),
        ("France calls for", ""),
    ],
)
def test_a_summary_is_never_shown_cut_mid_sentence(summary: str, shown: str) -> None:
    assert whole_sentences(summary) == shown
