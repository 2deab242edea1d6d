"""`dragoman draft` (write a post) and `dragoman drafts …` (the approval workflow's drafts).

Approval happens in the web app or its API, signed in as an approver: the command line
writes drafts, lists and shows them, and counts text, but never approves or exports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import BackendOpt, JsonFlag, components, emit_json, model_work, out
from assistant.cli.web import cli_actor
from assistant.core.errors import PermissionDeniedError
from assistant.core.settings import load_settings
from assistant.drafting.contracts import DraftListOut, GeneratedDraftOut, LengthOut, PlatformsOut

if TYPE_CHECKING:
    from assistant.accounts.accounts import User
    from assistant.components import Components

drafts_app = typer.Typer(
    help="Drafts of official posts: list, show, count, platforms.", no_args_is_help=True
)


def draft_command(
    instruction: Annotated[str, typer.Argument(help="What the post should say")],
    platform: Annotated[
        str, typer.Option(help="x, weibo, facebook, linkedin, telegram, threads, mastodon")
    ] = "x",
    lang: Annotated[
        str, typer.Option("--lang", help="Languages, the first written, the rest translated")
    ] = "en",
    tone: Annotated[str, typer.Option(help="formal | warm | firm")] = "formal",
    from_doc: Annotated[
        list[str] | None, typer.Option("--from-doc", help="Ground the post in this document")
    ] = None,
    thread: Annotated[bool, typer.Option(help="Split a long message into numbered posts")] = False,
    author: Annotated[
        str | None,
        typer.Option(help="Save it for review as this web user (a drafting role)"),
    ] = None,
    backend: BackendOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Draft a post grounded in the sources, one variant per language, within the limits."""
    from assistant.drafting.model import DraftRequest
    from assistant.drafting.platforms import platform as profile_named

    parts = components(backend)
    request = DraftRequest(
        instruction=instruction,
        platform=platform,
        languages=[x.strip().lower() for x in lang.split(",") if x.strip()],
        tone=tone,
        doc_ids=from_doc or [],
        thread=thread,
    )
    request.check()
    profile_named(request.platform, parts.settings.draft.mastodon_limit)  # refused before loading
    user = _author(parts, author) if author else None
    with model_work(parts, as_json) as show:
        content = parts.drafter().draft(request, show)
    result: dict[str, Any] = {"draft_id": None, "status": None, **content.to_dict()}
    if user is not None:
        view = parts.drafts.create(user, content, client=cli_actor())
        result.update(draft_id=view.id, status=view.status)
    if as_json:
        emit_json(GeneratedDraftOut.shape(result))
    else:
        _print(result)


def _author(parts: Components, username: str) -> User:
    user = parts.accounts.get(username)
    if user.disabled or not user.can("draft"):
        raise PermissionDeniedError(f"{username} ({user.role}) may not write drafts")
    return user


def _print(result: dict[str, Any]) -> None:
    for code, variant in result["variants"].items():
        out.print(f"[bold]{code}[/bold]  ({'/'.join(map(str, variant['lengths']))} counted)")
        for post in variant["posts"]:
            out.print(post, highlight=False, markup=False)
            out.print()
    for flag in result["flags"]:
        colour = "red" if flag["severity"] == "block" else "yellow"
        where = escape(f" [{flag['language']}]") if flag["language"] else ""
        out.print(
            f"[{colour}]{flag['severity']}[/{colour}] {flag['kind']}{where}: "
            + escape(flag["message"]),
            highlight=False,
        )
    for p in result["passages"]:
        out.print(f"[{p['n']}] {p['title']} ({p['doc_id']})", highlight=False, markup=False)
    if result["draft_id"] is not None:
        out.print(f"saved as draft {result['draft_id']} ({result['status']})")


@drafts_app.command("list")
def drafts_list(
    status: Annotated[str | None, typer.Option(help="draft, in_review, approved…")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Drafts in the workflow, newest change first."""
    rows = components().drafts.listing(status)
    if as_json:
        emit_json(DraftListOut.shape({"drafts": rows}))
        return
    table = Table("id", "status", "platform", "languages", "author", "version", "flags", "updated")
    for r in rows:
        flags = f"{r['blocking']} block / {r['warnings']} warn"
        table.add_row(
            str(r["id"]),
            r["status"],
            r["platform"],
            ",".join(r["languages"]),
            r["author"],
            str(r["current_version"]),
            flags,
            r["updated_at"][:16],
        )
    out.print(table)


@drafts_app.command("show")
def drafts_show(
    draft_id: Annotated[int, typer.Argument()],
    version: Annotated[int | None, typer.Option(help="Default: the current version")] = None,
    as_json: JsonFlag = False,
) -> None:
    """One draft: its text, flags, versions and reviews."""
    view = components().drafts.get(draft_id, version)
    data = view.to_dict()
    if as_json:
        emit_json(data)
        return
    out.print(
        f"[bold]Draft {view.id}[/bold] {view.status} — {view.platform}, "
        f"version {view.version.number}/{view.current_version} by {view.version.author}"
    )
    _print({**data["version"], "draft_id": None})
    for review in view.reviews:
        out.print(
            f"{review['at'][:16]} {review['by']} {review['step']} v{review['version']}"
            + (f": {review['comment']}" if review["comment"] else ""),
            highlight=False,
        )


@drafts_app.command("count")
def drafts_count(
    text: Annotated[str, typer.Argument(help="The post's text")],
    platform: Annotated[str, typer.Option(help="x, weibo, facebook, …")] = "x",
    as_json: JsonFlag = False,
) -> None:
    """Count text as the platform does (exit 1 when over its limit)."""
    from assistant.drafting.platforms import length_report
    from assistant.drafting.platforms import platform as profile_named

    report = length_report(profile_named(platform, load_settings().draft_mastodon_limit), text)
    if as_json:
        emit_json(LengthOut.shape(report))
    else:
        out.print(f"{report['length']}/{report['limit']} ({report['rule']})", highlight=False)
    if not report["within_limit"]:
        raise typer.Exit(1)


@drafts_app.command("platforms")
def drafts_platforms(as_json: JsonFlag = False) -> None:
    """The platform profiles: limits, counting rules, hashtag conventions."""
    from assistant.drafting.platforms import PLATFORM_NAMES, platform

    limit = load_settings().draft_mastodon_limit
    profiles = [platform(name, limit).to_dict() for name in PLATFORM_NAMES]
    if as_json:
        emit_json(PlatformsOut.shape({"platforms": profiles}))
        return
    table = Table("platform", "limit", "hashtags", "threads", "counting")
    for p in profiles:
        table.add_row(
            p["name"],
            str(p["limit"]),
            f"≤{p['max_hashtags']} {p['hashtag_style']}",
            "yes" if p["threads"] else "no",
            p["rule"],
        )
    out.print(table)
