"""`dragoman ask` and `dragoman chat`: grounded, verified answers from the corpus."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from assistant.cli.common import (
    BackendOpt,
    CountryOpt,
    DateOpt,
    JsonFlag,
    SpeakerOpt,
    choice,
    date_flag,
    emit_json,
    err,
    out,
    speaker_flag,
)
from corpus.document import CLEARANCES, KINDS
from corpus.registry import DocFilters

if TYPE_CHECKING:
    from assistant.answering.pipeline import AskEngine, AskResult
    from assistant.grounding.stages import Turn

LangOpt = Annotated[
    str | None, typer.Option("--lang", help="Answer language (default: the question's)")
]
KOpt = Annotated[int | None, typer.Option("--k", min=1, max=50, help="Passages to retrieve")]
KindOpt = Annotated[str | None, typer.Option(help="Only this kind of document")]
SourceLangOpt = Annotated[
    str | None, typer.Option("--source-lang", help="Only documents in this language")
]
SourceOpt = Annotated[str | None, typer.Option()]
ClearanceOpt = Annotated[str, typer.Option(help="The caller's clearance")]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore",
        help="Drop an understood filter: speaker, source or period (repeatable)",
    ),
]

QuotesOnlyOpt = Annotated[
    bool,
    typer.Option(
        "--quotes-only",
        help="Answer with the sources' verified quotes alone: the model writes nothing "
        "(DRAGOMAN_ASK_WRITE=false)",
    ),
]


@dataclass
class _Asking:
    """What `ask` and `chat` share: their options, read and checked once, and the engine."""

    engine: AskEngine
    filters: DocFilters
    ignored: set[str]
    clearance: str
    lang: str | None
    k: int | None
    as_json: bool
    quotes_only: bool = False

    def ask(self, question: str, history: list[Turn] | None = None) -> AskResult:
        return self.engine.ask(
            question, history=history, language=self.lang, clearance=self.clearance,
            filters=self.filters, k=self.k, on_token=None if self.as_json else _stream_draft,
            ignore=self.ignored, on_evidence=None if self.as_json else _EvidenceLines(),
            write=False if self.quotes_only else None,
        )  # fmt: skip


def _asking(
    lang: str | None, k: int | None, kind: str | None, source_lang: str | None,
    country: str | None, speaker: str | None, source: str | None, since: str | None,
    until: str | None, clearance: str, ignore: list[str] | None, backend: str | None,
    as_json: bool,
) -> _Asking:  # fmt: skip
    from assistant.cli.common import components

    filters = DocFilters(
        kind=choice(kind, KINDS, "--kind"), language=source_lang, country=country,
        source=source, since=date_flag(since, "--since"), until=date_flag(until, "--until"),
        speaker=speaker_flag(speaker),
    )  # fmt: skip
    understood = ("speaker", "source", "period")
    ignored = {str(choice(key, understood, "--ignore")) for key in ignore or []}
    level = str(choice(clearance, CLEARANCES, "--clearance"))
    engine = components(backend, model=True).engine()
    return _Asking(engine, filters, ignored, level, lang, k, as_json)


class _EvidenceLines:
    """The passages found, on stderr before the draft (the verified answer follows)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, sources: list[dict[str, Any]]) -> None:
        self.calls += 1
        again = "" if self.calls == 1 else " with the translated question"
        err.print(f"[dim]{len(sources)} passage(s) found{again}:[/dim]")
        for source in sources:
            err.print(f"[dim]  [{source['n']}] {escape(source['title'])}[/dim]", highlight=False)


def _stream_draft(text: str) -> None:
    err.print(escape(text), end="", style="dim", highlight=False)


def print_disagreements(result: AskResult) -> None:
    """Facts the sources state differently, each side with its source numbers."""
    titles = {source["n"]: source["title"] for source in result.sources}
    for disagreement in result.disagreements:
        sides = " vs ".join(
            f"{escape(side['value'])} "
            + (" ".join(f"[{n}] {escape(titles.get(n, '')[:60])}" for n in side["citations"])
               or f"(found, not given to the model: {', '.join(side['doc_ids'])})")
            for side in disagreement["sides"]
        )  # fmt: skip
        out.print(f"[yellow]The sources disagree:[/yellow] {sides}", highlight=False)


def print_quotes(result: AskResult) -> None:
    """The sources' own sentences on the topic (verified word for word), each with its
    machine translation labelled as such."""
    if not result.quotes:
        return
    out.print("[bold]In their own words[/bold] (verified verbatim):")
    for quote in result.quotes:
        who = f"{escape(quote['speaker_name'])}: " if quote["speaker_name"] else ""
        out.print(f"  [cyan][{quote['n']}][/cyan] {who}“{escape(quote['quote'])}”", highlight=False)
        if quote["translation"]:
            note = escape(quote["translation_note"] or "")
            out.print(f"      [dim]({note}) {escape(quote['translation'])}[/dim]", highlight=False)
        elif quote.get("translation_withheld"):
            why = escape(quote["translation_withheld"])
            out.print(f"      [dim](machine translation withheld: {why})[/dim]", highlight=False)


def print_result(result: AskResult) -> None:
    """Human-readable verified answer: text with [n], flags, disagreements between the
    sources, then the citations."""
    err.print()
    print_disagreements(result)
    if result.applied_filters:
        chips = escape(" · ".join(result.applied_filters))
        out.print(f"[dim]{chips} (--ignore speaker|source|period to drop one)[/dim]")
    if result.refused:
        out.print(f"[bold]{escape(result.answer)}[/bold]")
        out.print(f"[dim]({escape(result.refusal_reason or '')})[/dim]")
        if result.sources:
            from prompts import render

            out.print(render("refusal.j2", language=result.language, part="found"))
            for source in result.sources:
                out.print(
                    f"  [{source['n']}] {escape(source['title'])}: {escape(source['quote'][:200])}"
                )
        print_licences(result.licences)
        return
    if result.answer_status == "answered":
        out.print("[green]Answered and verified[/green]")
    else:
        missing = escape(", ".join(result.missing)) or "some sentences are not supported"
        out.print(f"[yellow]Partly answered[/yellow] — missing: {missing}")
    out.print(escape(result.answer))
    print_quotes(result)
    for sentence in result.sentences:
        if not sentence["supported"]:
            reasons = escape("; ".join(sentence["reasons"]))
            flagged = escape(sentence["text"])
            out.print(f"[yellow]unverified, not shown:[/yellow] {flagged} ({reasons})")
    for citation in result.citations:
        date = (citation["published_at"] or "")[:10]
        link = f" {citation['url']}" if citation["url"] else ""
        out.print(
            f"[cyan][{citation['n']}][/cyan] {escape(citation['title'])} {date}{escape(link)}"
        )
        out.print(f"    “{escape(citation['quote'][:300])}”", highlight=False)
    print_licences(result.licences)


def print_licences(licences: list[dict[str, Any]]) -> None:
    """Each label shown that its record does not license, with the figure (docs/LABELS.md)."""
    for licence in licences:
        if licence["status"] != "licensed":
            out.print(f"[dim]{escape(licence['message'])}[/dim]", highlight=False)


def ask_command(
    question: Annotated[str, typer.Argument(help="The question, in any language.")],
    lang: LangOpt = None, k: KOpt = None, kind: KindOpt = None, source_lang: SourceLangOpt = None,
    country: CountryOpt = None, speaker: SpeakerOpt = None, source: SourceOpt = None,
    since: DateOpt = None, until: DateOpt = None, clearance: ClearanceOpt = "public",
    ignore: IgnoreOpt = None, backend: BackendOpt = None, as_json: JsonFlag = False,
    quotes_only: QuotesOnlyOpt = False,
) -> None:  # fmt: skip
    """Answer from the corpus with verified citations, or say that no passage answers."""
    asking = _asking(lang, k, kind, source_lang, country, speaker, source, since, until,
                     clearance, ignore, backend, as_json)  # fmt: skip
    asking.quotes_only = quotes_only
    result = asking.ask(question)
    if as_json:
        emit_json(result.to_dict())
    else:
        print_result(result)


def chat_command(
    lang: LangOpt = None, k: KOpt = None, kind: KindOpt = None,
    source_lang: SourceLangOpt = None, country: CountryOpt = None,
    speaker: SpeakerOpt = None, source: SourceOpt = None, since: DateOpt = None,
    until: DateOpt = None, clearance: ClearanceOpt = "public", ignore: IgnoreOpt = None,
    backend: BackendOpt = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Conversation in the terminal (follow-up questions understood); /reset, /quit."""
    from assistant.grounding.stages import Turn

    asking = _asking(lang, k, kind, source_lang, country, speaker, source, since, until,
                     clearance, ignore, backend, as_json)  # fmt: skip
    history: list[Turn] = []
    interactive = sys.stdin.isatty() and not as_json
    while True:
        if interactive:
            err.print("[bold green]?[/bold green] ", end="")
        line = sys.stdin.readline()
        if not line:
            break
        question = line.strip()
        if question in ("/quit", "/exit"):
            break
        if question == "/reset":
            history.clear()
            continue
        if not question:
            continue
        result = asking.ask(question, history=history)
        history.append(Turn(question, result.answer))
        _emit_chat(result, as_json)


def _emit_chat(result: AskResult, as_json: bool) -> None:
    if as_json:
        payload: dict[str, Any] = result.to_dict()
        import json

        sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()
    else:
        print_result(result)
