"""The briefing as a Word document (.docx, python-docx): ministries circulate Word files.

The same content as the Markdown and HTML renditions (one template context): the header,
the summary, each story's verified sentences with their citations, quotes with their
translations, who said what, alerts, what to watch and the numbered sources. Its document
properties carry the briefing's date, not the time of writing, so the same briefing gives
the same file."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from assistant.briefing.model import Analysis, Rendition
from assistant.briefing.render import context


def _cites(citations: list[int]) -> str:
    return "".join(f"[{n}]" for n in citations)


def render_docx(analysis: Analysis, rendition: Rendition) -> bytes:
    """The rendition as .docx bytes."""
    from docx import Document

    shown = context(analysis, rendition, charts=False)
    words, meta = shown["L"], shown["analysis"]
    document = Document()
    document.add_heading(f"{words['title']} — {meta['date']}", level=0)
    window = meta["window"]
    document.add_paragraph(
        f"{words['watchlist']}: {meta['watchlist']['name']} · {words['window']}: "
        f"{window['start'][:16].replace('T', ' ')} – {window['end'][:16].replace('T', ' ')} UTC"
    ).runs[0].italic = True
    document.add_paragraph(shown["summary"])
    document.add_heading(words["stories"], level=1)
    if not shown["stories"]:
        document.add_paragraph(words["no_items"])
    for number, story in enumerate(shown["stories"], start=1):
        _story(document, words, number, story)
    _section(document, words["alerts"], shown["alerts"] or [words["no_alerts"]])
    if shown["watch"]:
        _section(document, words["watch"], [f"{w['original']} [{w['citation']}]"
                                             for w in shown["watch"]])  # fmt: skip
    if meta["passages"]:
        _section(document, words["sources"], [_source_line(p) for p in meta["passages"]])
    if meta["stale_sources"]:
        _section(document, words["stale_sources"], [_stale_line(words, s)
                                                     for s in meta["stale_sources"]])  # fmt: skip
    if rendition.unlicensed:
        _section(document, words["measured"], rendition.unlicensed)
    _stamp(document, meta["date"], words["title"])
    out = io.BytesIO()
    document.save(out)
    return _without_times(out.getvalue())


def _story(document: Any, words: dict[str, str], number: int, story: dict[str, Any]) -> None:
    document.add_heading(f"{number}. {story['headline']}", level=2)
    untranslated = f" ({words['untranslated']})"
    sentences = [s["text"] + _cites(s["citations"]) + ("" if s["translated"] else untranslated)
                 for s in story["sentences"]]  # fmt: skip
    document.add_paragraph(" ".join(sentences))
    for quote in story["quotes"]:
        said = f"“{quote['original']}”" + (f" — {quote['source']}" if quote["source"] else "")
        document.add_paragraph(f"{said} [{quote['citation']}]", style="Intense Quote")
        if quote["translation"]:
            document.add_paragraph(f"{quote['translation']} ({words['machine_translation']})")
    meta = story["meta"]
    for disagreement in meta["disagreements"]:
        sides = " / ".join(
            side["value"] + _cites(side["citations"]) for side in disagreement["sides"]
        )
        document.add_paragraph(f"{words['disagree']}: {sides}")
    document.add_paragraph(
        f"{meta['volume']} {words['n_items']}, {len(meta['sources'])} {words['n_sources']}, "
        f"{words['salience']} {meta['salience']}"
    ).runs[0].italic = True


def _section(document: Any, title: str, lines: list[str]) -> None:
    document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line, style="List Bullet")


def _source_line(passage: dict[str, Any]) -> str:
    date = f", {passage['published_at'][:10]}" if passage.get("published_at") else ""
    url = f" <{passage['url']}>" if passage.get("url") else ""
    return f"[{passage['n']}] {passage['title']} — {passage.get('source') or '—'}{date}.{url}"


def _stale_line(words: dict[str, str], source: dict[str, Any]) -> str:
    since = source["last_success"]
    shown = f"{since[:16].replace('T', ' ')} UTC" if since else words["stale_never"]
    return words["stale_line"].format(name=source["name"], type=source["type"], since=shown)


def _stamp(document: Any, day: str, title: str) -> None:
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    properties = document.core_properties
    properties.title, properties.author = title, "Dragoman"
    properties.created = properties.modified = moment
    properties.last_modified_by, properties.revision = "Dragoman", 1


def _without_times(package: bytes) -> bytes:
    """The package with every zip entry dated 1980-01-01 (python-docx stamps the time of
    writing), so the same briefing is the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
