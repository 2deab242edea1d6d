"""The morning briefing, stage by stage: select → stories → summaries → signals →
renditions → files → archive → delivery.  Every stage's output is saved in the archive
(``analysis.json``, ``renditions.json``) so a briefing can be replayed and evaluated.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.briefing.archive import Archive, check_name
from assistant.briefing.model import Analysis, Rendition, StaleSource, Story
from assistant.briefing.render import render_html, render_markdown, render_pdf
from assistant.briefing.selection import (
    BriefingWindow,
    parse_window,
    select_documents,
)
from assistant.briefing.signals import (
    country_alerts,
    load_baseline,
    public_alerts,
    volume_by_day,
    what_to_watch,
)
from assistant.briefing.stories import (
    Cluster,
    bursts,
    calibrated_threshold,
    group_stories,
    rank_stories,
)
from assistant.briefing.summarise import StoryWriter
from assistant.briefing.translate import LANGUAGES, Translator
from assistant.briefing.word import render_docx
from assistant.core.clearance import readable_levels
from assistant.core.errors import InputError
from assistant.grounding.passages import PassageBook
from assistant.grounding.turns import run_now
from assistant.grounding.verify import judge_threshold
from assistant.licensing import TRANSLATION_KINDS
from assistant.monitoring.watchlists import watchlist_named

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine

Progress = Callable[[str], None]
PIPELINE_VERSION = "1"


@dataclass
class BriefRequest:
    day: date
    window: str = "24h"
    watchlist: str = "all"
    languages: list[str] = field(default_factory=lambda: ["en"])
    formats: list[str] = field(default_factory=lambda: ["md", "html"])
    clearance: str = "public"

    def check(self) -> None:
        parse_window(self.window)
        check_name(self.watchlist)
        readable_levels(self.clearance)
        bad = [lang for lang in self.languages if lang not in LANGUAGES]
        if bad or not self.languages:
            raise InputError(
                f"unsupported output language {bad or '(none)'}",
                fix=f"any of {', '.join(LANGUAGES)}",
            )


@dataclass
class Briefing:
    """A finished briefing: its analysis, renditions, archive folder and manifest."""

    analysis: Analysis
    renditions: list[Rendition]
    folder: Path
    manifest: dict[str, Any]


class Briefer:
    """Builds briefings on an answering engine's model, embedder, indexes and judge; reuse
    it across briefings. ``turn`` is how its model calls wait their turn."""

    def __init__(
        self, engine: AskEngine, *, turn: Any = run_now,
        stale_sources: Callable[[str], list[StaleSource]] = lambda _clearance: [],
    ) -> None:  # fmt: skip
        self.settings = engine.settings
        self.llm = engine.llm
        self.retrieval = engine.retrieval
        self.registry = engine.registry
        self.archive = Archive(self.settings.home / "briefings")
        self.turn = turn
        self.stale_sources = stale_sources  # unhealthy sources a reader of a clearance may see
        self.judge = engine.judge
        self.threshold = judge_threshold(self.judge)
        self.licences = engine.licences

    def brief(self, request: BriefRequest, progress: Progress = lambda _: None) -> Briefing:
        request.check()
        timings: dict[str, float] = {}
        started = time.perf_counter()
        analysis = self.analyse(request, progress, timings)
        mark = time.perf_counter()
        renditions = []
        for language in request.languages:
            progress(f"writing the {language} briefing")
            translator = Translator(self.llm, self.judge, self.threshold, analysis, self.turn)
            rendition = translator.rendition(language)
            rendition.unlicensed = [
                lic["message"]
                for lic in self._licences_in(language, first=language == request.languages[0])
                if lic["status"] != "licensed"
            ]
            renditions.append(rendition)
        timings["translate_s"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        progress("rendering " + ", ".join(request.formats))
        files = self._files(analysis, renditions, request.formats)
        timings["render_s"] = round(time.perf_counter() - mark, 3)
        timings["total_s"] = round(time.perf_counter() - started, 3)
        manifest = self._manifest(request, analysis, renditions, sorted(files), timings)
        files["manifest.json"] = _json_bytes(manifest)
        folder = self.archive.replace(analysis.date, request.watchlist, files)
        manifest = self.archive.manifest(folder)  # with its version among the day's
        return Briefing(analysis, renditions, folder, manifest)

    def analyse(
        self, request: BriefRequest, progress: Progress, timings: dict[str, float]
    ) -> Analysis:
        settings = self.settings
        window = BriefingWindow.ending_on(
            request.day, parse_window(request.window), settings.brief.cutoff_hour
        )
        watchlist = watchlist_named(settings, request.watchlist)
        mark = time.perf_counter()
        progress("selecting documents")
        selection = select_documents(self.registry, window, watchlist, request.clearance)
        baseline = load_baseline(self.registry, window, watchlist, request.clearance)
        timings["select_s"] = _lap(mark)
        mark = time.perf_counter()
        progress(f"grouping {len(selection.documents)} documents into stories")
        threshold = settings.brief.story_threshold or calibrated_threshold()
        clusters = group_stories(selection.documents, self.retrieval.embedder, threshold)
        ranked = rank_stories(
            clusters, window, self.retrieval.index, request.clearance, settings.brief.max_stories
        )
        timings["cluster_s"] = _lap(mark)
        mark = time.perf_counter()
        book = PassageBook()
        stories = self._write_stories(ranked, request.languages[0], book, progress)
        timings["summarise_s"] = _lap(mark)
        alerts = country_alerts(selection.documents, baseline, book)
        coordinated = bursts(clusters)
        public = public_alerts(self.registry, window, request.clearance, book)
        watch = what_to_watch(selection.documents, book)
        documents = selection.documents
        return Analysis(
            date=request.day.isoformat(),
            window=window.to_dict(),
            watchlist=watchlist.model_dump(),
            clearance=request.clearance,
            language=request.languages[0],
            documents=len(documents),
            originals=len(selection.originals),
            duplicates=len(documents) - len(selection.originals),
            stories=stories,
            alerts=alerts,
            watch=watch,
            passages=book.passages,
            volume_by_day=volume_by_day(documents, baseline),
            backend=self.llm.backend,
            model=self.llm.model,
            fingerprint=self._fingerprint(request, selection.documents),
            public_alerts=public,
            stale_sources=self.stale_sources(request.clearance),
            bursts=coordinated,
        )

    def _write_stories(
        self, ranked: list[Cluster], language: str, book: PassageBook, progress: Progress
    ) -> list[Story]:
        """Each story summarised in ``language``, its passages numbered in ``book``."""
        writer = StoryWriter(self.llm, self.judge, self.threshold, language,
                             self.settings.brief.max_sentences, book, self.turn)  # fmt: skip
        stories = []
        for rank, cluster in enumerate(ranked, start=1):
            progress(f"summarising story {rank}/{len(ranked)}")
            stories.append(writer.write(cluster, rank))
        return stories

    def _fingerprint(self, request: BriefRequest, documents: list[Any]) -> str:
        """What the analysis depends on: the same fingerprint means the same inputs."""
        inputs = {
            "version": PIPELINE_VERSION,
            "request": {**asdict(request), "day": str(request.day), "formats": None},
            "documents": [(d.doc_id, d.content_hash, d.duplicate_of) for d in documents],
            "backend": self.llm.backend,
            "model": self.llm.model,
            "settings": [
                self.settings.brief.max_stories,
                self.settings.brief.max_sentences,
                self.settings.brief.story_threshold,
                self.settings.brief.cutoff_hour,
            ],
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    @staticmethod
    def _files(
        analysis: Analysis, renditions: list[Rendition], formats: list[str]
    ) -> dict[str, bytes]:
        files = {
            "analysis.json": _json_bytes(analysis.to_dict()),
            "renditions.json": _json_bytes([r.to_dict() for r in renditions]),
        }
        for rendition in renditions:
            stem = f"briefing.{rendition.language}"
            if "md" in formats:
                files[f"{stem}.md"] = render_markdown(analysis, rendition).encode("utf-8")
            if "html" in formats or "pdf" in formats:
                html = render_html(analysis, rendition)
                if "html" in formats:
                    files[f"{stem}.html"] = html.encode("utf-8")
                if "pdf" in formats:
                    files[f"{stem}.pdf"] = render_pdf(html)
            if "docx" in formats:
                files[f"{stem}.docx"] = render_docx(analysis, rendition)
        return files

    def _manifest(
        self,
        request: BriefRequest,
        analysis: Analysis,
        renditions: list[Rendition],
        files: list[str],
        timings: dict[str, float],
    ) -> dict[str, Any]:
        return {
            "date": analysis.date,
            "watchlist": request.watchlist,
            "window": analysis.window,
            "clearance": request.clearance,
            "languages": request.languages,
            "formats": request.formats,
            "files": files,
            "fingerprint": analysis.fingerprint,
            "documents": analysis.documents,
            "stories": len(analysis.stories),
            "empty": not analysis.stories,
            "headlines": [s.headline for s in analysis.stories],
            "untranslated": {r.language: r.untranslated for r in renditions},
            "backend": analysis.backend,
            "model": analysis.model,
            "timings": timings,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "deliveries": [],
            "licences": self._licences(request.languages),
        }

    def _licences(self, languages: list[str]) -> list[dict[str, Any]]:
        """What the briefing's labels rest on, in every language it is written in."""
        return [lic for n, lang in enumerate(languages) for lic in self._licences_in(lang, n == 0)]

    def _licences_in(self, language: str, first: bool) -> list[dict[str, Any]]:
        """Its summary sentences verified (by the support judge) in ``language``, and, in
        every language but the first, the translations."""
        if self.licences is None:
            return []
        kinds = ["answer.verified", *([] if first else TRANSLATION_KINDS)]
        return [self.licences.licence(kind, language).to_dict() for kind in kinds]


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def _lap(mark: float) -> float:
    return round(time.perf_counter() - mark, 3)
