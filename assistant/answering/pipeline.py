"""The answering pipeline, stage by stage, with every stage's output saved."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answering.checks import (
    answer_status,
    check_answer_grounding,
    check_attribution,
    check_responsive,
    check_says_something,
)
from assistant.answering.contracts import AnswerOut
from assistant.answering.query import plan_query, translate_query, translation_pending
from assistant.core.clearance import readable_levels
from assistant.core.settings import Settings
from assistant.core.tokens import count_tokens
from assistant.grounding.context import select_context
from assistant.grounding.disagreement import disagreements_in
from assistant.grounding.generation import TokenSink, generate_draft, output_mode
from assistant.grounding.runs import RunStore, new_run_id
from assistant.grounding.stages import Context, Draft, Passage, QueryPlan, Turn, Verdict
from assistant.grounding.verify import (
    judge_threshold,
    make_judge,
    recited,
    resolve_citations,
    verify_sentence,
)
from assistant.llm.client import LLM, get_llm
from corpus.registry import DocFilters, Registry
from prompts import render
from retrieval.indexer import Retrieval
from retrieval.search import HybridSearch, SearchResult

EvidenceSink = Callable[[list[dict[str, Any]]], None]
TRANSLATION_CACHE = 1000  # cached query translations per engine


@dataclass
class AskResult:
    """The verified answer (`dragoman ask --json`)."""

    # the question and how it was searched
    run_id: str
    question: str
    retrieval_query: str
    # the answer, in the question's language, and why it may be a refusal
    language: str
    answer: str
    refused: bool
    refusal_reason: str | None
    # each sentence with its verdict, the passages it cites, every passage the model read
    sentences: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    # who wrote it and how long it took
    backend: str
    model: str
    timings: dict[str, float]
    tokens: dict[str, int | None] = field(default_factory=dict)
    # answered | partial | not_found (assistant.answering.checks.answer_status)
    answer_status: str = "not_found"
    missing: list[str] = field(default_factory=list)  # what a partial answer leaves out
    understood: dict[str, Any] = field(default_factory=dict)  # speaker, source… and chips
    applied_filters: list[str] = field(default_factory=list)  # every filter, as a reader's label
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # sources that disagree

    def to_dict(self) -> dict[str, Any]:
        return AnswerOut.shape(asdict(self))


@dataclass
class Trace:
    """The intermediate stages behind one answer (what the evaluation suites score)."""

    context: Context
    draft: Draft | None
    verdicts: list[Verdict]


class AskEngine:
    """Answers questions from the corpus for one backend; reuse it across questions."""

    def __init__(
        self,
        settings: Settings,
        *,
        backend: str | None = None,
        llm: LLM | None = None,
        retrieval: Retrieval | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.settings = settings
        self.llm = llm or get_llm(settings, backend)
        self.retrieval = retrieval or Retrieval(settings)
        self.registry = registry or Registry(settings.registry_url)
        self.search = HybridSearch(self.retrieval, self.registry)
        self.runs = RunStore(settings.home / "runs" / "ask")
        embedded = self.llm.embedded
        self.judge = make_judge(settings.verify_judge, self.llm, self.retrieval.embedder, embedded)
        self.mode = output_mode(self.llm, settings.ask.output)
        self._translation_cache: dict[str, str] = {}

    def _sources(self, clearance: str) -> list[str]:
        """The source names of what a reader at ``clearance`` may read, read when the
        question is (no cache: an ingest or a reclassification counts from its commit;
        one indexed query, tens of milliseconds on 70k documents)."""
        return self.registry.sources(readable_levels(clearance))

    def _translation_targets(self, plan: QueryPlan, clearance: str, k: int) -> list[str]:
        """The corpus's lexical languages the question is translated into: none when a filter
        pins one; else those that hold chunks within the search's scope (a translation into
        a language without any cannot change the results)."""
        if not self.settings.ask.translate_query or plan.filters.language:
            return []
        wanted = self.settings.ask.translate_into
        languages = self.search.lexical_reach(
            clearance=clearance, k=k, filters=plan.filters, understood=plan.understood
        )
        return languages if "all" in wanted else [lang for lang in languages if lang in wanted]

    def _translations(self, plan: QueryPlan, targets: list[str]) -> dict[str, str]:
        """The question in ``targets`` (the model's translations, cached per question)."""
        if not targets:
            return {}
        if len(self._translation_cache) > TRANSLATION_CACHE:
            self._translation_cache.clear()
        return translate_query(
            plan.retrieval_query, plan.question_language, targets, self.llm,
            self._translation_cache,
        )  # fmt: skip

    def count(self, text: str) -> int:
        return count_tokens(text, self.settings.home / "tiktoken")

    def ask(
        self,
        question: str,
        *,
        history: list[Turn] | None = None,
        language: str | None = None,
        clearance: str = "public",
        filters: DocFilters | None = None,
        k: int | None = None,
        on_token: TokenSink | None = None,
        ignore: set[str] | None = None,
        on_evidence: EvidenceSink | None = None,
    ) -> AskResult:
        """Run every stage; ``on_token`` receives the answer text as it is generated;
        ``on_evidence`` the selected source passages (``sources``) before the model writes,
        again if searching the translated question changes them; ``ignore`` names
        understood filters the analyst removed (``speaker``…)."""
        started = time.perf_counter()
        plan = plan_query(
            question, history=history or [], answer_language=language, clearance=clearance,
            filters=filters or DocFilters(), llm=self.llm, sources=self._sources(clearance),
            ignore=ignore,
        )  # fmt: skip
        timings = {"understand_s": round(time.perf_counter() - started, 3)}
        evidence = _Evidence(on_evidence, started, timings)

        k = k or self.settings.ask.k
        targets = self._translation_targets(plan, clearance, k)

        def search(translations: dict[str, str]) -> list[SearchResult]:
            return self._search(plan, clearance, k, translations)

        pending = translation_pending(
            plan.retrieval_query, plan.question_language, targets, self._translation_cache
        )
        if on_evidence is not None and pending:
            # The model is about to translate the question: show what the question's own
            # words find first (no model call), so the analyst reads sources within a second.
            first = search({})
            evidence.show(first, self._context(plan, first))
        mark = time.perf_counter()
        translations = self._translations(plan, targets)
        timings["translate_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        results = search(translations)
        timings["retrieve_s"] = round(time.perf_counter() - mark, 3)
        return self._answer(plan, results, on_token, started, timings, evidence)[0]

    def retrieve(
        self, question: str, *, history: list[Turn] | None = None, clearance: str = "public"
    ) -> tuple[QueryPlan, list[SearchResult], Context]:
        """The stages before the model writes, as :meth:`ask` runs them (the question read,
        translated, searched; the passages selected), for measuring retrieval alone."""
        plan = plan_query(
            question, history=history or [], answer_language=None, clearance=clearance,
            filters=DocFilters(), llm=self.llm, sources=self._sources(clearance),
        )  # fmt: skip
        k = self.settings.ask.k
        translations = self._translations(plan, self._translation_targets(plan, clearance, k))
        results = self._search(plan, clearance, k, translations)
        return plan, results, self._context(plan, results)

    def _search(
        self, plan: QueryPlan, clearance: str, k: int, translations: dict[str, str]
    ) -> list[SearchResult]:
        return self.search.search(
            plan.retrieval_query, clearance=clearance, k=k, filters=plan.filters,
            understood=plan.understood, translations=translations,
        )  # fmt: skip

    def answer_from(
        self,
        question: str,
        results: list[SearchResult],
        *,
        language: str | None = None,
        on_token: TokenSink | None = None,
    ) -> tuple[AskResult, Trace]:
        """Stages 3–6 on passages the caller supplies instead of retrieving them.

        The evaluation suites use this to put a fixed set of passages (gold, noise,
        counterfactual or planted) in front of the model; the trace carries the
        intermediate stages they score.
        """
        started = time.perf_counter()
        plan = plan_query(
            question, history=[], answer_language=language, clearance="public",
            filters=DocFilters(), llm=None,
        )  # fmt: skip
        timings = {"understand_s": round(time.perf_counter() - started, 3), "retrieve_s": 0.0}
        return self._answer(plan, results, on_token, started, timings)

    def _answer(
        self,
        plan: QueryPlan,
        results: list[SearchResult],
        on_token: TokenSink | None,
        started: float,
        timings: dict[str, float],
        evidence: _Evidence | None = None,
    ) -> tuple[AskResult, Trace]:
        def lap(name: str, since: float) -> float:
            now = time.perf_counter()
            timings[name] = round(now - since, 3)
            return now

        mark = time.perf_counter()
        context = evidence.reuse(results) if evidence else None
        if context is None:
            context = self._context(plan, results)
            if evidence:
                evidence.show(results, context)
        mark = lap("context_s", mark)
        draft = None
        verdicts: list[Verdict] = []
        if context.passages:
            draft = self._generate(plan, context, on_token, started, timings)
            mark = lap("generate_s", mark)
            resolve_citations(draft.sentences, context.passages)
            verdicts = self._verify(plan, draft, context.passages)
            mark = lap("verify_s", mark)
        timings["total_s"] = round(time.perf_counter() - started, 3)
        result = self._result(plan, context, draft, verdicts, timings)
        result.disagreements = [d.to_dict() for d in disagreements_in(context.passages, results)]
        if self.settings.ask.save_runs:
            self._save(result, plan, results, context, draft, verdicts)
        return result, Trace(context, draft, verdicts)

    def _context(self, plan: QueryPlan, results: list[SearchResult]) -> Context:
        return select_context(
            results, plan.retrieval_query, embedder=self.retrieval.embedder,
            budget_tokens=self.settings.ask.context_tokens, count_tokens=self.count,
            focus_terms=plan.understood.focus_terms,
            topic_countries=plan.understood.topic_countries,
        )  # fmt: skip

    def _generate(
        self,
        plan: QueryPlan,
        context: Context,
        on_token: TokenSink | None,
        started: float,
        timings: dict[str, float],
    ) -> Draft:
        def sink(text: str) -> None:
            if "first_token_s" not in timings:
                timings["first_token_s"] = round(time.perf_counter() - started, 3)
            if on_token is not None:
                on_token(text)

        return generate_draft(
            self.llm, plan, context, mode=self.mode,
            max_sentences=self.settings.ask.max_sentences,
            max_tokens=self.settings.llm.max_tokens, on_token=sink,
        )  # fmt: skip

    def _verify(self, plan: QueryPlan, draft: Draft, passages: list[Passage]) -> list[Verdict]:
        by_number = {p.n: p for p in passages}
        threshold = judge_threshold(self.judge)
        verdicts = []
        language, judge = plan.answer_language, self.judge
        for sentence in draft.sentences:
            verdict = verify_sentence(
                sentence, by_number, language=language, judge=judge, threshold=threshold
            )
            if not verdict.supported and not sentence.invalid_citations:
                verdict = (
                    recited(sentence, by_number, language=language, judge=judge,
                            threshold=threshold)
                    or verdict
                )  # fmt: skip
            verdicts.append(verdict)
        for verdict in verdicts:
            check_says_something(verdict, by_number, plan.question)
            check_attribution(verdict, by_number, plan.understood.speaker)
            check_answer_grounding(verdict, by_number, plan.understood, plan.retrieval_query)
        return verdicts

    def _result(
        self,
        plan: QueryPlan,
        context: Context,
        draft: Draft | None,
        verdicts: list[Verdict],
        timings: dict[str, float],
    ) -> AskResult:
        supported = [v for v in verdicts if v.supported]
        reason = _refusal_reason(context, draft, supported)
        by_number = {p.n: p for p in context.passages}
        responsive = check_responsive(
            plan.understood, plan.question_language, supported, by_number, plan.retrieval_query
        )
        cited = sorted({n for v in supported for n in v.citations})
        answer = " ".join(v.text + "".join(f"[{n}]" for n in v.citations) for v in supported)
        if reason is not None:
            answer = render("refusal.j2", language=plan.answer_language, part="message")
        return AskResult(
            run_id=new_run_id(),
            question=plan.question,
            answer=answer,
            language=plan.answer_language,
            refused=reason is not None,
            refusal_reason=reason,
            sentences=[v.public() for v in verdicts],
            citations=[by_number[n].citation() for n in cited] if reason is None else [],
            sources=[p.citation() for p in context.passages],
            timings=timings,
            backend=self.llm.backend,
            model=self.llm.model,
            retrieval_query=plan.retrieval_query,
            tokens={
                "context_before": context.tokens_before,
                "context_after": context.tokens_after,
                "prompt": draft.prompt_tokens if draft else None,
                "output": draft.output_tokens if draft else None,
            },
            answer_status=answer_status(reason is not None, responsive, verdicts),
            missing=[] if reason is not None else responsive.missing,
            understood=plan.understood.to_dict(),
            applied_filters=applied_filters(plan),
        )

    def _save(
        self,
        result: AskResult,
        plan: QueryPlan,
        results: list[SearchResult],
        context: Context,
        draft: Draft | None,
        verdicts: list[Verdict],
    ) -> None:
        self.runs.save(
            result.run_id,
            {
                "query": plan.to_dict(),
                "retrieval": [r.to_dict() for r in results],
                "context": asdict(context),
                "draft": asdict(draft) if draft else None,
                "verification": [asdict(v) for v in verdicts],
                "answer": result.to_dict(),
            },
        )


class _Evidence:
    """Sends the selected passages to ``sink`` as soon as they are known (evidence first),
    and keeps the last selection so an identical search does not select again."""

    def __init__(self, sink: EvidenceSink | None, started: float, timings: dict[str, float]):
        self.sink, self.started, self.timings = sink, started, timings
        self.shown: tuple[list[str], Context] | None = None

    def __bool__(self) -> bool:
        return self.sink is not None

    def show(self, results: list[SearchResult], context: Context) -> None:
        if self.sink is None:
            return
        self.timings.setdefault("evidence_s", round(time.perf_counter() - self.started, 3))
        self.shown = ([r.chunk_id for r in results], context)
        self.sink([p.citation() for p in context.passages])

    def reuse(self, results: list[SearchResult]) -> Context | None:
        """The context already shown, when ``results`` are the same chunks in the same order."""
        if self.shown is not None and self.shown[0] == [r.chunk_id for r in results]:
            return self.shown[1]
        return None


def applied_filters(plan: QueryPlan) -> list[str]:
    """Every filter the search applied, the caller's and the understood ones, as labels."""
    labels = [
        f"{key.capitalize()}: {value}"
        for key, value in plan.to_dict()["filters"].items()
        if key != "include_duplicates"
    ]
    return labels + [chip["label"] for chip in plan.understood.chips()]


def _refusal_reason(context: Context, draft: Draft | None, supported: list[Verdict]) -> str | None:
    if not context.passages:
        return "no passage within the caller's clearance and filters matches the question"
    if draft is None or not draft.answerable:
        return "the model found no answer in the sources"
    if not supported:
        return "no sentence of the draft is supported by the passages it cites"
    return None
