"""The drafting service: one :class:`Drafter` per engine, used by the CLI and the web app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.drafting.checks import Verifier
from assistant.drafting.compose import Composer, Progress
from assistant.drafting.model import DraftContent, DraftRequest
from assistant.drafting.platforms import Platform, platform
from assistant.drafting.sensitive import SensitiveTerms
from assistant.drafting.sources import document_passages, searched_passages, with_brief
from assistant.grounding.runs import RunStore, new_run_id
from assistant.grounding.turns import run_now
from assistant.grounding.verify import judge_threshold
from assistant.licensing import TRANSLATION_KINDS

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine
    from assistant.grounding.stages import Passage


class Drafter:
    """Drafts posts with an answering engine's model, embedder, indexes and judge."""

    def __init__(self, engine: AskEngine, *, turn: Any = run_now) -> None:
        self.engine = engine
        self.settings = engine.settings
        self.turn = turn
        self.terms = SensitiveTerms(self.settings.draft.sensitive_terms)
        self.runs = RunStore(self.settings.home / "runs" / "draft")

    def platform(self, name: str) -> Platform:
        return platform(name, self.settings.draft.mastodon_limit)

    def verifier(self, passages: list[Passage]) -> Verifier:
        judge = self.engine.judge
        return Verifier(passages, judge, judge_threshold(judge))

    def draft(self, request: DraftRequest, progress: Progress = lambda _: None) -> DraftContent:
        """Every stage; the stages' outputs are saved under ``runs/draft/<run_id>.json``."""
        request.check()
        profile = self.platform(request.platform)
        progress("finding the sources")
        passages = self._passages(request)
        composer = Composer(self.engine.llm, self.verifier(passages), profile, request, self.turn)
        content = composer.compose(self.terms, progress)
        content.licences = self._licences(request.languages)
        run_id = new_run_id()
        content.stages["run_id"] = run_id
        self.runs.save(run_id, {"request": vars(request), "content": content.to_dict()})
        return content

    def _licences(self, languages: list[str]) -> list[dict[str, Any]]:
        """What the draft's labels rest on: its sentences verified in each language, the
        fidelity checks and the translations into every language but the first."""
        licences = self.engine.licences
        if licences is None:
            return []
        kinds = [(lang, "answer.verified") for lang in languages]
        kinds += [(lang, k) for lang in languages[1:] for k in TRANSLATION_KINDS]
        return [licences.licence(kind, lang).to_dict() for lang, kind in kinds]

    def _passages(self, request: DraftRequest) -> list[Passage]:
        """The brief, then the named documents' passages or the relevant searched ones."""
        engine = self.engine
        if request.doc_ids:
            named = document_passages(
                engine.registry,
                engine.retrieval.embedder,
                request.doc_ids,
                request.instruction,
                request.reader_clearance,
            )
            return with_brief(request.instruction, named, filter_relevant=False)
        searched = searched_passages(
            engine.search,
            engine.retrieval.embedder,
            request.instruction,
            k=self.settings.ask.k,
            budget_tokens=self.settings.ask.context_tokens,
            count_tokens=engine.count,
        )
        return with_brief(request.instruction, searched, filter_relevant=True)
