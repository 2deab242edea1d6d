"""`analyst-qa`: analysts' questions on the demo corpus, asked through the whole pipeline.

Seventy-six questions written by reading the demo corpus (UN General Debate 2024, White
House releases, the PRC's 2024/2025 government work reports): who said what, positions,
figures, dates, a follow-up, Chinese, English and cross-lingual, six that the corpus
cannot answer, the five failures reported in issue 21 and six reported in issue 49.  Each
answerable one names its gold document, the gold passage (verbatim) and the gold facts.

The number that matters most is ``verified_precision``: of the answers labelled
"Answered and verified", the share that are right (an unanswerable question answered
as verified counts as wrong).  ``attribution_error`` is the share of verified answers
citing a passage whose speaker is another government than the one asked about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.grounding.stages import Turn
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import DocFilters
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.metrics import all_elements_found
from evals.suites.common import answer_record, answer_text
from retrieval.indexer import index_pending

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "evals" / "data" / "analyst_qa.jsonl"
DEMO = REPO / "corpus" / "demo"
UN_PATTERN = r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"


@dataclass(frozen=True)
class DemoSource:
    folder: str
    options: Options
    templates: dict[str, str]


# The same ingest as `make demo` (Makefile): keep the two in step.
DEMO_SOURCES = (
    DemoSource(
        "un",
        Options(kind="policy", source="UN General Debate", filename_pattern=UN_PATTERN),
        {
            "title": "{country_name} — UN General Debate, session {session} ({year})",
            "published_at": "{year}-09-20",
        },
    ),
    DemoSource("whitehouse", Options(kind="news", source="The White House"), {}),
    DemoSource(
        "prc",
        Options(kind="policy", source="State Council of the PRC", mapping={"text": "content"}),
        {"published_at": "{year}-03-05"},
    ),
)


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


class AnalystQA:
    name = "analyst-qa"
    description = (
        "Analysts' questions on the demo corpus (who said what, figures, dates, follow-ups, "
        "zh/en/cross-lingual, unanswerable) through retrieval, generation and verification."
    )
    group_by = None
    metrics = (
        Metric("correct", "answerable: every gold fact in the answer", field="correct"),
        Metric("verified", "share of questions answered and verified", field="verified"),
        Metric(
            "verified_precision",
            "of the answers labelled verified, the share that are right",
            field="right",
            within="verified",
        ),
        Metric(
            "attribution_error",
            "of verified answers, the share citing another speaker than the one asked about",
            higher_is_better=False,
            field="misattributed",
            within="verified_with_speaker",
        ),
        Metric("gold_retrieved", "the gold passage reached the model", field="gold_retrieved"),
        Metric(
            "refusal_when_unanswerable",
            "unanswerable: not labelled verified",
            field="correct_refusal",
        ),
        timing("seconds", "time per question"),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        questions = load_questions()
        ctx.use_dataset("analyst-qa", QUESTIONS)
        if limit is not None:
            questions = questions[: max(limit, 1)]
        texts = build_demo_index(ctx)
        for n, question in enumerate(questions):
            yield self._evaluate(ctx, question, texts)
            ctx.progress(self.name, n + 1, len(questions))

    def _evaluate(self, ctx: EvalContext, question: dict[str, Any], texts: dict[str, str]) -> Item:
        history: list[Turn] = []
        for earlier in question["history"]:
            previous = ctx.engine.ask(earlier)
            history.append(Turn(earlier, previous.answer))
        result = ctx.engine.ask(question["question"], history=history)
        verified = result.answer_status == "answered"
        record: Item = {
            "id": question["id"],
            "kind": question["kind"],
            "question": question["question"],
            "status": result.answer_status,
            "missing": result.missing,
            "understood": result.understood,
            **answer_record(result),
            "verified": float(verified),
            "seconds": result.timings.get("total_s"),
        }
        if not question["answerable"]:
            record |= {"correct_refusal": float(not verified), "right": 0.0}
            record["score"] = record["correct_refusal"]
            return record
        correct = all_elements_found(answer_text(result), question["facts"], result.language)
        speakers = {c.get("speaker") for c in result.citations} - {None}
        record |= {
            "correct": float(correct),
            "right": float(correct),
            "gold_retrieved": float(gold_reached(question, result.sources, texts)),
            "score": float(correct),
        }
        if verified and question["speaker"]:
            record["verified_with_speaker"] = True
            record["misattributed"] = float(bool(speakers - {question["speaker"]}))
        return record


def build_demo_index(ctx: EvalContext) -> dict[str, str]:
    """The demo corpus ingested as `make demo` does; doc_id → text, for gold checks."""
    ctx.progress("indexing the demo corpus", 0, 1)
    texts = index_demo_corpus(ctx.engine)
    ctx.progress("indexing the demo corpus", 1, 1)
    return texts


def index_demo_corpus(engine: AskEngine) -> dict[str, str]:
    """Ingest and index the demo corpus into ``engine``'s home; doc_id → text."""
    for source in DEMO_SOURCES:
        ingest(engine.registry, [str(DEMO / source.folder)], source.options, source.templates)
    index_pending(engine.retrieval, engine.registry)
    documents = engine.registry.documents(DocFilters(include_duplicates=True), limit=10_000)
    return {d.doc_id: d.text for d in documents}


def gold_reached(
    question: dict[str, Any], sources: list[dict[str, Any]], texts: dict[str, str]
) -> bool:
    """A passage given to the model overlaps the gold passage in its document."""
    gold = question["gold_passage"]
    for source in sources:
        text = texts.get(source["doc_id"], "")
        at = text.find(gold)
        if at < 0:
            continue
        if any(start < at + len(gold) and end > at for start, end in source["spans"]):
            return True
    return False


register_suite(AnalystQA())
