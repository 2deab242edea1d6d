"""The answering pipeline, stage by stage, with every stage's output saved."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from assistant.answering.checks import (
    ACROSS_LANGUAGES,
    answer_status,
    check_answer_grounding,
    check_attribution,
    check_key_content,
    check_language,
    check_responsive,
    check_says_something,
)
from assistant.answering.contracts import AnswerOut
from assistant.answering.query import (
    plan_query,
    translate_query,
    translate_topic,
    translation_pending,
)
from assistant.core.clearance import readable_levels
from assistant.core.settings import Settings
from assistant.core.tokens import count_tokens
from assistant.grounding.context import select_context
from assistant.grounding.disagreement import disagreements_in
from assistant.grounding.evidence import (
    Evidence,
    Quote,
    Topic,
    agrees,
    not_addressed,
    number_quotes,
    question_topic,
    quote_at,
    select_evidence,
    sentence_on_topic,
    topic_phrase,
)
from assistant.grounding.faithful import translation_problems
from assistant.grounding.generation import TokenSink, generate_draft, output_mode, translate_texts
from assistant.grounding.runs import RunStore, new_run_id
from assistant.grounding.stages import Context, Draft, Passage, QueryPlan, Turn, Verdict
from assistant.grounding.turns import run_now
from assistant.grounding.verify import (
    judge_threshold,
    make_judge,
    recited,
    resolve_citations,
    verify_sentence,
)
from assistant.licensing import Licences
from assistant.llm.client import LLM, get_llm
from corpus.countries import country_name_in
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
    quotes: list[dict[str, Any]] = field(default_factory=list)  # evidence first, verbatim
    searched: dict[str, Any] | None = None  # what the evidence stage read
    licences: list[dict[str, Any]] = field(default_factory=list)  # what each label rests on

    def to_dict(self) -> dict[str, Any]:
        return AnswerOut.shape(asdict(self))

    def labels(self) -> list[str]:
        """The label kinds this answer shows the analyst."""
        kinds = []
        if self.answer_status == "answered":
            kinds.append("answer.answered")
        if any(s.get("supported") for s in self.sentences):
            kinds.append("answer.verified")
        if any(q.get("translation") for q in self.quotes):
            kinds += ["translation.fidelity", "language.purity"]
        if self.answer_status == "not_found" and (self.searched or {}).get("gated"):
            kinds.append("topic.relevance")
        return kinds


@dataclass
class Trace:
    """The intermediate stages behind one answer (what the evaluation suites score)."""

    context: Context
    draft: Draft | None
    verdicts: list[Verdict]
    evidence: Evidence | None = None


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
        self.licences: Licences | None = None  # set by the composition root

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

    def _topic_translations(
        self, plan: QueryPlan, targets: list[str], questions: dict[str, str]
    ) -> dict[str, str]:
        """The question's topic in ``targets``: the topic's own translation (a few words,
        cached) where the whole question's translation (``questions``) shares a word with
        it, else the whole question's. The small model translates a short phrase more
        faithfully than a question, but now and then into a wrong word ("runners" for
        беженцах) that the question's translation, read in context, does not share."""
        phrase = topic_phrase(plan.understood, plan.retrieval_query, plan.question_language)
        if not phrase or not targets:
            return questions
        if len(self._translation_cache) > TRANSLATION_CACHE:
            self._translation_cache.clear()
        topics = translate_topic(
            phrase, plan.question_language, targets, self.llm, self._translation_cache
        )
        return {
            language: topics[language]
            if language in topics and agrees(topics[language], text)
            else text
            for language, text in questions.items()
        }

    def forget(self) -> None:
        """Empty the engine's caches (the question's translations): the next question is
        answered as by a fresh engine."""
        self._translation_cache.clear()

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
        write: bool | None = None,
    ) -> AskResult:
        """Run every stage; ``on_token`` receives the answer text as it is generated;
        ``on_evidence`` the selected source passages (``sources``) before the model writes,
        again if searching the translated question changes them; ``ignore`` names
        understood filters the analyst removed (``speaker``…); ``write=False``: the answer is
        the verified quotes alone (default: ``DRAGOMAN_ASK_WRITE``)."""
        started = time.perf_counter()
        plan = plan_query(
            question, history=history or [], answer_language=language, clearance=clearance,
            filters=filters or DocFilters(), llm=self.llm, sources=self._sources(clearance),
            ignore=ignore,
        )  # fmt: skip
        timings = {"understand_s": round(time.perf_counter() - started, 3)}
        evidence = _Evidence(on_evidence, started, timings)

        k = _search_depth(plan, k or self.settings.ask.k)
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
        topic = translations
        if plan.understood.speaker:
            topic = self._topic_translations(plan, targets, translations)
        timings["translate_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        results = search(translations)
        timings["retrieve_s"] = round(time.perf_counter() - mark, 3)
        answer = self._answer(plan, results, on_token, started, timings, evidence, topic, write)
        result = answer[0]
        if self.licences is not None:
            result.licences = [
                self.licences.licence(kind, result.language).to_dict() for kind in result.labels()
            ]
        return result

    def retrieve(
        self, question: str, *, history: list[Turn] | None = None, clearance: str = "public"
    ) -> tuple[QueryPlan, list[SearchResult], Context]:
        """The stages before the model writes, as :meth:`ask` runs them (the question read,
        translated, searched; the passages selected), for measuring retrieval alone."""
        plan = plan_query(
            question, history=history or [], answer_language=None, clearance=clearance,
            filters=DocFilters(), llm=self.llm, sources=self._sources(clearance),
        )  # fmt: skip
        k = _search_depth(plan, self.settings.ask.k)
        translations = self._translations(plan, self._translation_targets(plan, clearance, k))
        results = self._search(plan, clearance, k, translations)
        return plan, results, self._context(plan, results)

    def _search(
        self, plan: QueryPlan, clearance: str, k: int, translations: dict[str, str]
    ) -> list[SearchResult]:
        """The hybrid search; what a speaker said in a year the question names is searched
        in that year's documents first (elsewhere a year is a boost: "the 2030 Expo")."""
        narrowed = _in_years(plan)
        for filters in ([narrowed] if narrowed else []) + [plan.filters]:
            results = self.search.search(
                plan.retrieval_query,
                clearance=clearance,
                k=k,
                filters=filters,
                understood=plan.understood,
                translations=translations,
            )
            if results:
                return results
        return []

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
        translations: dict[str, str] | None = None,
        write: bool | None = None,
    ) -> tuple[AskResult, Trace]:
        def lap(name: str, since: float) -> float:
            now = time.perf_counter()
            timings[name] = round(now - since, 3)
            return now

        mark = time.perf_counter()
        found = self._evidence(plan, results, translations or {})
        # A question about what a speaker said is answered from the passages that address
        # its topic alone: the model never sees the speech's other subjects.
        usable = [results[i] for i in found.addressing] if _gated(plan, found) else results
        context = evidence.reuse(usable) if evidence else None
        if context is None:
            context = self._context(plan, usable)
            if evidence:
                evidence.show(usable, context)
        number_quotes(found, context.passages)
        mark = lap("context_s", mark)
        draft = None
        verdicts: list[Verdict] = []
        write = self.settings.ask.write if write is None else write
        if context.passages and write and not (_gated(plan, found) and not found.quotes):
            draft = self._generate(plan, context, on_token, started, timings)
            mark = lap("generate_s", mark)
            resolve_citations(draft.sentences, context.passages)
            topic = found.topic if _gated(plan, found) else None
            verdicts = self._verify(plan, draft, context.passages, topic)
            if topic is None:  # a question not about a speaker: quotes back what is written
                found.quotes = self._beneath(verdicts, context.passages, results)
            mark = lap("verify_s", mark)
        if write:
            self._translate_quotes(found, plan.answer_language)
            mark = lap("translate_quotes_s", mark)
        timings["total_s"] = round(time.perf_counter() - started, 3)
        result = self._result(plan, context, draft, verdicts, timings, found, write)
        result.disagreements = [d.to_dict() for d in disagreements_in(context.passages, results)]
        if self.settings.ask.save_runs:
            self._save(result, plan, results, context, draft, verdicts)
        return result, Trace(context, draft, verdicts, found)

    def _evidence(
        self, plan: QueryPlan, results: list[SearchResult], translations: dict[str, str]
    ) -> Evidence:
        """The sentences of the results that address the question's topic (no model)."""
        topic = question_topic(
            plan.understood, plan.retrieval_query, plan.question_language, translations
        )
        return select_evidence(results, topic, plan.understood.speaker)

    def _beneath(
        self, verdicts: list[Verdict], passages: list[Passage], results: list[SearchResult]
    ) -> list[Quote]:
        """The source sentences that sentences written across languages rest on (each the
        closest in meaning of its first citation's selected sentences): the answer leads
        with them, verbatim, and their translation marked as the machine's."""
        chunks = {r.chunk_id: (rank, r) for rank, r in enumerate(results)}
        by_number = {p.n: p for p in passages}
        quotes: dict[tuple[str, int], Quote] = {}
        for verdict in verdicts:
            if verdict.reasons != [ACROSS_LANGUAGES] or not verdict.citations:
                continue
            passage = by_number[verdict.citations[0]]
            if passage.chunk_id not in chunks:
                continue
            rank, result = chunks[passage.chunk_id]
            texts = [result.text[a - result.start : b - result.start] for a, b in passage.spans]
            vectors = np.asarray(self.retrieval.embedder.embed_documents([verdict.text, *texts]))
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
            best = int(np.argmax(vectors[1:] @ vectors[0]))
            start, end = passage.spans[best]
            quotes.setdefault(
                (passage.doc_id, start), quote_at(result, rank, start, end, passage.n)
            )
        return list(quotes.values())

    def _translate_quotes(self, found: Evidence, language: str) -> None:
        """Quotes in another language than the answer's, machine-translated (labelled so)."""
        foreign = [q for q in found.quotes if q.language != language]
        translated = translate_texts(self.llm, run_now, [q.text for q in foreign], language)
        for i, text in translated.items():
            problems = translation_problems(text, foreign[i].text, language, foreign[i].language)
            if problems:
                foreign[i].translation_withheld = "; ".join(problems)
            else:
                foreign[i].translation = text

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

    def _verify(
        self, plan: QueryPlan, draft: Draft, passages: list[Passage], topic: Topic | None = None
    ) -> list[Verdict]:
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
        on_topic = None
        if topic is not None:
            read = topic

            def on_topic(text: str, language: str) -> bool:
                return bool(sentence_on_topic(read, text, language))

        for verdict in verdicts:
            check_says_something(verdict, by_number, plan.question)
            check_attribution(verdict, by_number, plan.understood.speaker)
            check_answer_grounding(verdict, by_number, plan.understood, plan.retrieval_query)
            check_key_content(verdict, by_number, plan.answer_language, on_topic)
            check_language(verdict, plan.answer_language)
        return verdicts

    def _result(
        self,
        plan: QueryPlan,
        context: Context,
        draft: Draft | None,
        verdicts: list[Verdict],
        timings: dict[str, float],
        found: Evidence,
        write: bool,
    ) -> AskResult:
        by_number = {p.n: p for p in context.passages}
        outcome = self._outcome(plan, context, draft, verdicts, found, write)
        refused = outcome.reason is not None
        return AskResult(
            run_id=new_run_id(),
            question=plan.question,
            answer=outcome.answer,
            language=plan.answer_language,
            refused=refused,
            refusal_reason=outcome.reason,
            sentences=[v.public() for v in verdicts],
            citations=[] if refused else [by_number[n].citation() for n in outcome.cited],
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
            answer_status=outcome.status,
            missing=outcome.missing,
            understood=plan.understood.to_dict(),
            applied_filters=applied_filters(plan),
            quotes=[] if refused else [q.public() for q in found.quotes],
            searched={
                "topic": found.topic.label,
                "results": found.searched,
                "speaker_results": found.speakers,
                "documents": found.documents,
                "addressing": len(found.addressing),
                "gated": _gated(plan, found),
            },
        )

    def _outcome(
        self,
        plan: QueryPlan,
        context: Context,
        draft: Draft | None,
        verdicts: list[Verdict],
        found: Evidence,
        write: bool,
    ) -> _Outcome:
        """What the analyst reads: the verified sentences, else the quotes; the status; or
        the refusal (for a question about a speaker: that its documents do not address it)."""
        supported = [v for v in verdicts if v.supported]
        quotes = [q.public() for q in found.quotes]
        gated, language = _gated(plan, found), plan.answer_language
        understood = plan.understood
        if gated:
            reason = None if quotes else not_addressed(found, understood.speaker, understood.source)
        else:
            reason = _refusal_reason(context, draft, supported, quotes, write, plan.answer_language)
        if reason is not None:
            return _Outcome(self._refusal_text(plan, found, gated), [], "not_found", [], reason)
        by_number = {p.n: p for p in context.passages}
        responsive = check_responsive(
            understood, plan.question_language, supported, by_number, plan.retrieval_query
        )
        status = answer_status(False, responsive, verdicts)
        missing = responsive.missing
        if gated:  # the speaker's own sentences on the topic answer it
            status, missing = "answered", []
        elif not supported:
            status, missing = "partial", [UNVERIFIED_ANSWER]
        if not supported:
            answer = render(
                "answer_quotes.j2",
                part="answer",
                language=language,
                quotes=quotes,
                speaker=None,
                count=0,
                topic="",
            )
            return _Outcome(answer, sorted({q["n"] for q in quotes}), status, missing, None)
        answer = " ".join(v.text + "".join(f"[{n}]" for n in v.citations) for v in supported)
        cited = sorted({n for v in supported for n in v.citations})
        return _Outcome(answer, cited, status, missing, None)

    def _refusal_text(self, plan: QueryPlan, found: Evidence, gated: bool) -> str:
        language = plan.answer_language
        if not gated or not found.topic.label or not found.documents:
            return render("refusal.j2", language=language, part="message")
        speaker = plan.understood.speaker
        return render(
            "answer_quotes.j2",
            part="not_addressed",
            language=language,
            quotes=[],
            speaker=country_name_in(speaker, language) if speaker else None,
            count=found.documents,
            topic=found.topic.label,
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


@dataclass
class _Outcome:
    """The answer as the analyst reads it, the passages it cites, its status, and why it is
    a refusal (None when it is not)."""

    answer: str
    cited: list[int]
    status: str
    missing: list[str]
    reason: str | None


UNVERIFIED_ANSWER = (
    "a verified sentence that answers it: the model's sentences could not be checked "
    "against the sources; the quotes shown are the sources' own words"
)


EVIDENCE_K = 24  # passages of a speaker's documents read for the ones on the topic


def _search_depth(plan: QueryPlan, k: int) -> int:
    """Passages to retrieve: a question about what a speaker said reads deeper into the
    speaker's documents, for every passage on the topic (the context keeps the best)."""
    return max(k, EVIDENCE_K) if plan.understood.speaker else k


def _in_years(plan: QueryPlan) -> DocFilters | None:
    """The question's filters narrowed to the years it names, for a question about what a
    speaker said (None when it names none, or the caller set a period)."""
    years, filters = plan.understood.years, plan.filters
    if not (plan.understood.speaker and years) or filters.since or filters.until:
        return None
    return replace(filters, since=min(years) * 10000 + 101, until=max(years) * 10000 + 1231)


def _gated(plan: QueryPlan, found: Evidence) -> bool:
    """Whether the question asks what a speaker said on a topic: answered from the passages
    that address it, or said plainly not to be addressed."""
    return bool(plan.understood.speaker) and not found.topic.empty


def _refusal_reason(
    context: Context,
    draft: Draft | None,
    supported: list[Verdict],
    quotes: list[dict[str, Any]],
    write: bool,
    language: str,
) -> str | None:
    """Why the question is refused, in the question's language (``refusal.j2``)."""
    reason = None
    if not context.passages:
        reason = "no_passage"
    elif not write:
        reason = None if quotes else "off_topic"
    elif draft is None or not draft.answerable:
        reason = "no_answer"
    elif not supported and not quotes:
        reason = "unsupported"
    if reason is None:
        return None
    return render("refusal.j2", part="reason", reason=reason, language=language)
