"""Draft quality on real announcement briefs: does the post rest on the brief, cite nothing
irrelevant, invent no figure, and do its translations say the same thing?

The briefs are real: the opening paragraph of White House releases that announce something
(a delegation, a tour, an opening), taken mechanically — every release whose file name says
"announces" under briefings-statements, in date order, the first ``--n`` of them that are not
in the demo corpus — plus the embassy open day of issue 21.  Each brief is drafted for X in
``--lang`` (default en,zh,fr) in two homes:

* **empty** — no document at all: the brief is the only source;
* **demo** — the demo corpus (UN speeches, White House statements, PRC work reports) plus the
  briefs' own releases.

Per draft: whether it was produced, the documents it cites (a cited passage is *irrelevant*
when it comes from neither the brief nor the brief's own release), the share of the
first-language sentences the sources support, the share of translated sentences verified,
figures in the first-language text found in no cited source (invented), and whether every
post fits X's limit.  Prints JSON (rows, then totals); bench/RESULTS.md records a run.

    python bench/draft_briefs.py [--backend local] [--n 5] [--lang en,zh,fr]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (the repository on sys.path)

from bench.support.processes import DEMO, SHARED, cli_env, run_cli

ARCHIVE = SHARED / "whitehouse-2024-2026.tar.gz"
OPEN_DAY = "Announce that the embassy will host an open day on cultural exchange next Saturday"
BRIEF_WORDS = 70  # a press officer's brief is a paragraph, not a release
FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def release_briefs(n: int, folder: Path) -> list[dict[str, str]]:
    """The first ``n`` announcing releases not in the demo corpus, saved under ``folder``."""
    demo = {p.name for p in (DEMO / "whitehouse").iterdir()}
    briefs: list[dict[str, str]] = []
    with tarfile.open(ARCHIVE) as tar:
        members = sorted(
            (m for m in tar.getmembers() if m.isfile() and "/briefings-statements/" in m.name
             and "-announces-" in m.name and Path(m.name).name not in demo),
            key=lambda m: Path(m.name).name,
        )  # fmt: skip
        for member in members[:n]:
            extracted = tar.extractfile(member)
            assert extracted is not None
            text = extracted.read().decode("utf-8")
            (folder / Path(member.name).name).write_text(text, "utf-8")
            words = lede(text.split("---", 2)[2]).split()
            brief = " ".join(words[:BRIEF_WORDS]) + ("…" if len(words) > BRIEF_WORDS else "")
            briefs.append({"file": Path(member.name).name, "instruction": f"Announce: {brief}"})
    return briefs


def lede(body: str) -> str:
    """The release's first real paragraph: not a dateline, a "FOR IMMEDIATE RELEASE" banner or
    a name heading (at least 12 words), without Markdown emphasis."""
    for paragraph in body.split("\n\n"):
        text = " ".join(re.sub(r"<[^>]+>|\*\*|__", "", paragraph).split())
        if len(text.split()) >= 12 and not text.isupper():
            return text
    return " ".join(body.split())


def prepare_home(root: Path, name: str, releases: Path | None) -> dict[str, str]:
    """A home with the shared models; with ``releases``, the demo corpus and the releases."""
    home = root / name
    home.mkdir(parents=True)
    models = Path(os.environ.get("DRAGOMAN_HOME", str(Path.home() / ".local/share/dragoman")))
    if (models / "models").is_dir():
        (home / "models").symlink_to(models / "models")
    env = cli_env(home)
    if releases is None:
        return env
    for folder, kind, source, extra in (
        (DEMO / "un", "policy", "UN General Debate", []),
        (DEMO / "whitehouse", "news", "The White House", []),
        (DEMO / "prc", "policy", "State Council of the PRC", ["--map", "text=content"]),
        (releases, "news", "The White House", []),
    ):
        done = run_cli("ingest", str(folder), "--kind", kind, "--source", source, *extra,
                       "--json", env=env, timeout=1800)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
    return env


def score(content: dict[str, Any], own_doc: str | None, limit: int) -> dict[str, Any]:
    """What the checks and the bench's own measures found in one draft."""
    variants = content["variants"]
    first = next(iter(variants.values()))
    by_n = {p["n"]: p for p in content["passages"]}
    cited = {n for v in variants.values() for s in v["sentences"] for n in s["citations"]}
    cited_docs = sorted({by_n[n]["doc_id"] for n in cited if n in by_n})
    irrelevant = [d for d in cited_docs if d not in ("brief", own_doc)]
    sources = " ".join(by_n[n]["quote"] for n in cited if n in by_n) + " " + content["instruction"]
    known = {f.replace(",", "") for f in FIGURE.findall(sources)}
    invented = [f for f in FIGURE.findall(first["text"]) if f.replace(",", "") not in known]
    translated = [s for v in variants.values() if v["translated"] for s in v["sentences"]]
    return {
        "cited_docs": cited_docs,
        "irrelevant_citations": len(irrelevant),
        "first_supported": sum(s["supported"] for s in first["sentences"]),
        "first_sentences": len(first["sentences"]),
        "translations_verified": sum(s["supported"] for s in translated),
        "translated_sentences": len(translated),
        "invented_figures": invented,
        "within_limit": all(n <= limit for v in variants.values() for n in v["lengths"]),
        "texts": {code: v["text"] for code, v in variants.items()},
    }


def draft_all(env: dict[str, str], briefs: list[dict[str, str]], args: argparse.Namespace,
              home_name: str) -> list[dict[str, Any]]:  # fmt: skip
    from assistant.components import Components
    from assistant.core.settings import load_settings
    from assistant.drafting.model import DraftRequest
    from assistant.drafting.platforms import platform as profile_named
    from corpus.registry import DocFilters

    os.environ.update(env)
    drafter = Components(load_settings(), args.backend).drafter()
    documents = drafter.engine.registry.documents(DocFilters(), limit=1000)
    limit = profile_named("x").limit
    rows = []
    for brief in briefs:
        own = next((d.doc_id for d in documents if brief["file"] and brief["file"] in d.origin),
                   None)  # fmt: skip
        mark = time.perf_counter()
        row: dict[str, Any] = {"home": home_name, "brief": brief["instruction"]}
        try:
            content = drafter.draft(DraftRequest(brief["instruction"], "x", args.lang.split(",")))
            row |= {"ok": True, **score(content.to_dict(), own, limit)}
        except Exception as error:  # noqa: BLE001 - a failed draft is a measured outcome
            row |= {"ok": False, "error": f"{type(error).__name__}: {error}"}
        row["seconds"] = round(time.perf_counter() - mark, 1)
        print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
        rows.append(row)
    return rows


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    done = [r for r in rows if r["ok"]]

    def share(part: str, whole: str) -> float | None:
        total = sum(r[whole] for r in done)
        return round(sum(r[part] for r in done) / total, 3) if total else None

    return {
        "drafts": len(rows),
        "produced": len(done),
        "with_irrelevant_citation": sum(r["irrelevant_citations"] > 0 for r in done),
        "first_language_supported": share("first_supported", "first_sentences"),
        "translations_verified": share("translations_verified", "translated_sentences"),
        "with_invented_figure": sum(bool(r["invented_figures"]) for r in done),
        "all_within_limit": all(r["within_limit"] for r in done),
        "median_s": sorted(r["seconds"] for r in rows)[len(rows) // 2] if rows else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--n", type=int, default=5, help="real release briefs (plus the open day)")
    parser.add_argument("--lang", default="en,zh,fr")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        releases = root / "releases"
        releases.mkdir()
        briefs = [*release_briefs(args.n, releases), {"file": "", "instruction": OPEN_DAY}]
        rows = []
        for name, folder in (("empty", None), ("demo", releases)):
            env = prepare_home(root, name, folder)
            rows += draft_all(env, briefs, args, name)
    print(json.dumps({
        "backend": args.backend, "languages": args.lang,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d"),
        "totals": {name: totals([r for r in rows if r["home"] == name])
                   for name in ("empty", "demo")},
        "rows": rows,
    }, ensure_ascii=False, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
