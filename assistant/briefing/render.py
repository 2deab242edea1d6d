"""Stage 5 of a briefing: a rendition as Markdown, HTML (charts embedded) or PDF.

Templates are Jinja2 files in ``assistant/templates`` (StrictUndefined); the fixed words
of each language are in ``labels.json``.  The PDF is the HTML typeset by WeasyPrint, with
no creation date, so the same briefing gives the same bytes.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict
from functools import lru_cache
from importlib.resources import files
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError

from assistant.briefing.charts import stories_chart, volume_chart
from assistant.briefing.model import Analysis, PublicAlert, Rendition
from assistant.core.errors import ConfigError, InputError
from corpus.countries import country_name
from corpus.document import http_url

FORMATS = ("md", "html", "pdf", "docx")


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    text = files("assistant.briefing").joinpath("labels.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("assistant", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = lambda text: str(text).replace("<", "&lt;").replace(">", "&gt;")
    env.filters["http_url"] = lambda url: http_url(url) or ""
    env.filters["cites"] = lambda numbers: "".join(f"[{n}]" for n in numbers)
    return env


def localized_country(alpha3: str, language: str) -> str:
    """The country's name in the output language (English if Babel has none)."""
    import pycountry

    record = pycountry.countries.get(alpha_3=alpha3)
    try:
        if record is not None:
            return str(Locale.parse(language).territories[record.alpha_2])
    except (UnknownLocaleError, KeyError, ValueError):
        pass
    return country_name(alpha3)


def _public_line(alert: PublicAlert, language: str, words: dict[str, str]) -> str:
    """A monitoring alert in the rendition's language, with its citations."""
    where = [words["everything"] if alert.country == "*" else
             localized_country(alert.country, language)]  # fmt: skip
    if alert.topic != "*":
        where.append(alert.topic)
    where.append(words.get(f"kind_{alert.kind}", alert.kind))
    when = alert.window_start[:16].replace("T", " ")
    if alert.signal == "volume":
        line = words["public_volume_line"].format(
            where=" · ".join(where), observed=int(alert.observed), baseline=alert.baseline,
            z=alert.z,
        )  # fmt: skip
    else:
        line = words["public_negative_line"].format(
            where=" · ".join(where), observed=round(100 * alert.observed),
            baseline=round(100 * alert.baseline), z=alert.z,
        )  # fmt: skip
    return f"{when} UTC — {line}" + "".join(f"[{n}]" for n in alert.citations)


def context(analysis: Analysis, rendition: Rendition, charts: bool) -> dict[str, Any]:
    language = rendition.language
    words = labels()[language]
    story_meta = {s.rank: s for s in analysis.stories}
    alerts = [
        words["alert_line"].format(
            country=localized_country(a.country, language),
            count=a.count,
            median=_median(a.baseline),
            score=a.score,
        )
        + "".join(f"[{n}]" for n in a.citations)
        for a in analysis.alerts
    ] + [_public_line(a, language, words) for a in analysis.public_alerts]
    alerts += [
        words["burst_line"].format(
            accounts=b.accounts,
            items=b.items,
            hours=b.hours,
            where=", ".join(localized_country(c, language) for c in b.countries) or "—",
            text=b.text[:120],
        )
        for b in analysis.bursts
    ]
    summary = words["summary"].format(
        documents=analysis.documents, duplicates=analysis.duplicates, stories=len(analysis.stories)
    )
    return {
        "L": words,
        "lang": language,
        "analysis": asdict(analysis),
        "stories": [
            {**asdict(r), "meta": asdict(story_meta[i + 1])}
            for i, r in enumerate(rendition.stories)
        ],
        "watch": [asdict(w) for w in rendition.watch],
        "alerts": alerts,
        "summary": summary,
        "charts": _charts(analysis) if charts else {},
        "unlicensed": rendition.unlicensed,
    }


def _charts(analysis: Analysis) -> dict[str, str]:
    found = {}
    for name, svg in (
        ("volume", volume_chart(analysis.volume_by_day)),
        ("stories", stories_chart(analysis.stories)),
    ):
        if svg is not None:
            found[name] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return found


def render_markdown(analysis: Analysis, rendition: Rendition) -> str:
    return (
        _environment()
        .get_template("briefing.md.j2")
        .render(**context(analysis, rendition, charts=False))
    )


def render_html(analysis: Analysis, rendition: Rendition) -> str:
    return (
        _environment()
        .get_template("briefing.html.j2")
        .render(**context(analysis, rendition, charts=True))
    )


def render_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the system's Pango library is missing
        raise ConfigError(
            f"PDF output needs WeasyPrint and Pango: {exc}",
            fix="pip install weasyprint; apt-get install libpango-1.0-0 libpangoft2-1.0-0",
        ) from exc
    # fontTools stamps each embedded font subset with the time unless SOURCE_DATE_EPOCH is
    # set: without it the same briefing gives different bytes from one second to the next
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    pdf: bytes = HTML(string=html).write_pdf(uncompressed_pdf=False)
    return pdf


def parse_formats(text: str) -> list[str]:
    chosen = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise InputError(
            f"unknown format {', '.join(bad) or text!r}", fix="any of md, html, pdf, docx"
        )
    return list(dict.fromkeys(chosen))


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if not ordered:
        return 0.0
    return (
        float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    )
