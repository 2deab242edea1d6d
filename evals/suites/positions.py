"""`positions` and `positions-2022`: governments' stances on Ukraine's territorial
integrity against a recorded vote.

The UN General Debate speeches of every member that voted are ingested and indexed through
the real pipeline; for each member, `positions` on "the territorial integrity of Ukraine"
over the speeches' years is compared with its vote (yes → supports, no → opposes,
abstain → neutral: a proxy, see ``evals.stance_data``). `positions`: A/RES/68/262 (2014)
against the 2015–2016 speeches; `positions-2022`: A/RES/ES-11/1 (March 2022) against the
September 2022 speeches. Whether a speech mentions Ukraine at all is read independently
from the raw text, to score "no statement found". Grouped by the vote.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.positions import PositionsEngine, PositionsRequest
from corpus.connectors import Options
from corpus.ingest import ingest
from corpus.registry import DocFilters
from evals.datasets import sample
from evals.harness import EvalContext, Item, Metric, register_suite, timing
from evals.metrics import macro_f1
from evals.stance_data import (
    ES_11_1_FILE,
    UN_FILE,
    VOTE_STANCE,
    Vote,
    extract_speeches,
    load_vote,
    read_vote,
)
from retrieval.indexer import index_pending

TOPIC = "the territorial integrity of Ukraine"
UN_PATTERN = r"(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$"
UN_TEMPLATES = {"title": "{country_name} — UN General Debate, session {session} ({year})",
                "published_at": "{year}-09-20"}  # fmt: skip
MENTIONS_UKRAINE = re.compile(r"ukrain", re.IGNORECASE)
STANCES = ("supports", "opposes", "neutral")


def index_speeches(ctx: EvalContext, years: list[int], members: set[str], name: str) -> Path:
    """The members' General Debate speeches of ``years`` extracted to the run's folder
    ``name``, ingested as `make demo` does and indexed; returns the folder."""
    folder = ctx.settings.home / name
    extract_speeches(ctx.corpora, years, members, folder)
    registry = ctx.engine.registry
    options = Options(kind="policy", filename_pattern=UN_PATTERN, source="UN General Debate")
    ingest(registry, [str(folder)], options, UN_TEMPLATES)
    ctx.progress("indexing UN speeches", 0, 1)
    index_pending(ctx.engine.retrieval, registry)
    ctx.progress("indexing UN speeches", 1, 1)
    return folder


def _macro_f1(items: list[Item]) -> float | None:
    stated = [i for i in items if i["model"]]
    labels = {s: n for n, s in enumerate((*STANCES, "mixed", "undetermined"))}
    return macro_f1([labels[i["gold"]] for i in stated], [labels[i["model"]] for i in stated])


class Positions:
    """One vote against the speeches of ``years``; ``vote`` reads it from the corpora."""

    def __init__(
        self, name: str, description: str, vote: Callable[[Path], Vote], years: list[int]
    ) -> None:
        self.name, self.description, self.vote, self.years = name, description, vote, years

    group_by = "vote"
    metrics = (
        Metric("shown_precision", "of the stance labels shown, the share equal to the vote's",
               field="correct", within=("shown", True)),
        Metric("undetermined", "of speakers with quotes, the share shown as undetermined",
               field="undetermined"),
        Metric("model_stance_accuracy", "the model's readings equal to the vote's (stated)",
               field="model_correct"),
        Metric("model_macro_f1", "macro-F1 of the model's readings over supports/opposes/neutral",
               fn=_macro_f1),
        Metric("supports_precision", "of the model's 'supports', the share that voted yes",
               field="model_correct", within=("model", "supports")),
        Metric("opposes_precision", "of the model's 'opposes', the share that voted no",
               field="model_correct", within=("model", "opposes")),
        Metric("quote_verified", "quotes found again word for word", field="quotes_verified"),
        Metric("summary_supported", "summaries the verifier accepts", field="summary_ok"),
        Metric("no_statement_precision", "of 'no statement found', speeches never naming Ukraine",
               field="silent", within=("predicted", "no_statement")),
        Metric("statement_recall", "of speakers who named Ukraine, the share given quotes",
               field="stated", within=("mentions", "yes")),
        timing("seconds", "time per speaker"),
    )  # fmt: skip

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        vote = self.vote(ctx.corpora)
        ctx.use_dataset(
            "unga-" + vote.resolution.removeprefix("A/RES/").replace("/", "-").lower(), vote.path
        )
        ctx.use_dataset("ungdc", ctx.corpora / UN_FILE)
        members = sample(sorted(vote.votes), limit, seed="positions")
        speeches = self._index(ctx, set(members))
        engine = PositionsEngine(ctx.engine, read_sides=True)  # measured even where hidden
        filters = DocFilters(kind="policy", since=self.years[0] * 10000 + 101,
                             until=self.years[-1] * 10000 + 1231)  # fmt: skip
        for n, member in enumerate(members):
            started = time.perf_counter()
            report = engine.run(PositionsRequest(TOPIC, [member], filters))
            position = report["positions"][0]
            yield _record(member, vote.votes[member], position, speeches,
                          time.perf_counter() - started)  # fmt: skip
            ctx.progress(self.name, n + 1, len(members))

    def _index(self, ctx: EvalContext, members: set[str]) -> dict[str, str]:
        """Ingest and index the members' speeches; their raw text by member."""
        folder = index_speeches(ctx, self.years, members, f"ungdc-{self.name}")
        texts: dict[str, str] = {}
        for path in sorted(Path(folder).glob("*.txt")):
            member = path.name.split("_", 1)[0]
            texts[member] = texts.get(member, "") + path.read_text("utf-8", errors="replace")
        return texts


def _record(
    member: str, vote: str, position: dict[str, object], speeches: dict[str, str], seconds: float
) -> Item:
    predicted = str(position["stance"])
    model = position["model_stance"]
    gold = VOTE_STANCE[vote]
    quotes = position["quotes"]
    assert isinstance(quotes, list)
    mentions = bool(MENTIONS_UKRAINE.search(speeches.get(member, "")))
    stated = predicted != "no_statement"
    shown = stated and predicted != "undetermined"
    record: Item = {
        "id": member, "vote": vote, "gold": gold, "predicted": predicted, "model": model,
        "speeches": int(member in speeches), "mentions": "yes" if mentions else "no",
        "stated": stated, "shown": shown, "silent": not mentions,
        "summary": position["summary"], "quotes": [q["quote"] for q in quotes],
        "seconds": round(seconds, 2),
        "correct": float(predicted == gold) if shown else None,
        "undetermined": float(predicted == "undetermined") if stated else None,
        "model_correct": float(model == gold) if model else None,
        "quotes_verified": (sum(bool(q["verified"]) for q in quotes) / len(quotes))
        if quotes else None,
        "summary_ok": float(bool(position["summary_supported"])) if stated else None,
    }  # fmt: skip
    record["score"] = record["model_correct"] if model else float(not mentions)
    return record


register_suite(
    Positions(
        "positions",
        "UN General Debate speeches 2015–2016: each member's stance on the territorial "
        "integrity of Ukraine from `positions`, against its vote on A/RES/68/262 (a proxy).",
        load_vote,
        [2015, 2016],
    )
)
register_suite(
    Positions(
        "positions-2022",
        "UN General Debate speeches of September 2022: each member's stance on the territorial "
        "integrity of Ukraine from `positions`, against its vote on A/RES/ES-11/1 (aggression "
        "against Ukraine, March 2022; a proxy).",
        lambda _corpora: read_vote(ES_11_1_FILE),
        [2022],
    )
)
