"""`fidelity` and `fidelity-product`: does the fact checker catch what a rewrite loses, and
only that?

*fidelity* (no model, seconds): the XQuAD contexts are one text in three languages,
translated by people, most of them sentence by sentence: the sentences of contexts with as
many sentences on both sides are paired (pairs whose lengths differ far more than the
languages' usual ratio are shifted splits and left out).  Each sentence pair (en→zh,
zh→en, en→es, es→en, zh→es) is checked as an untouched translation (``flagged``: the share
the checker flags; a person's translation also drops a figure now and then, so this is an
upper bound on false flags), then with one
error planted in the output at a time (``evals.plant``): a number ×10/×100/×10⁴, a
year shifted or a month swapped, a year dropped, a country swapped, a Latin-script name
swapped, a URL changed, a listed claim word flipped to its opposite, a clause dropped.
``caught``: the checker reports a loss it did not report on the untouched pair.

*fidelity-product* (the model): real sentences (XQuAD en/zh/es, White House releases,
PRC government work reports) go through the product's own translation step
(`grounding.generation.translate_texts`, used for quotes, briefings and positions) into
each of the six languages; each output is checked untouched (``flagged``, with its
losses kept for reading), for language purity (``pure``: its sentences in the language
asked, names excepted), and with the same planted errors.
"""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

from assistant.grounding.fidelity import TRANSLATION, Loss, fidelity_losses, polarity_counts
from assistant.grounding.generation import translate_texts
from assistant.grounding.purity import purity
from assistant.grounding.turns import run_now
from evals.datasets import sample
from evals.harness import EvalContext, Item, Metric, register_suite
from evals.plant import ERROR_TYPES, PLANTED_URL, plant
from retrieval.chunking import sentence_spans

PAIRS = (("en", "zh"), ("zh", "en"), ("en", "es"), ("es", "en"), ("zh", "es"))
LANGUAGES = ("en", "zh", "ru", "ar", "fr", "es")
_FACT = re.compile(r"\d|[万亿]")


def _caught_metrics() -> tuple[Metric, ...]:
    return tuple(
        Metric(
            f"caught_{kind}",
            f"planted error caught: {kind.replace('_', ' ')}",
            field="caught",
            within=("planted", kind),
        )
        for kind in ERROR_TYPES
    )


def xquad_contexts(corpora: Path, language: str) -> list[str]:
    with gzip.open(corpora / f"xquad/xquad.{language}.json.gz", "rt", encoding="utf-8") as f:
        data = json.load(f)
    return [p["context"].lstrip("\ufeff") for a in data["data"] for p in a["paragraphs"]]


def _signature(losses: list[Loss]) -> set[tuple[str, str | None, str | None]]:
    return {(loss.kind, loss.source, loss.output) for loss in losses}


def checked_pair(
    source: str, output: str, pair: tuple[str, str], seed: str, origin: str
) -> Iterator[Item]:
    """The untouched pair, then one item per planted error."""
    source_language, language = pair

    def check(out: str, src: str) -> list[Loss]:
        return fidelity_losses(
            out,
            src,
            TRANSLATION,
            sentence=True,
            output_language=language,
            source_language=source_language,
        )

    untouched = check(output, source)
    key = f"{origin}:{source_language}>{language}:{seed}"
    yield {
        "id": key,
        "pair": f"{source_language}>{language}",
        "origin": origin,
        "planted": "none",
        "flagged": float(bool(untouched)),
        "losses": [loss.message for loss in untouched],
        "score": float(not untouched),
    }
    before = _signature(untouched)
    for kind in ERROR_TYPES:
        planted = plant(kind, source, output, language, seed)
        if planted is None:
            continue
        new_source, new_output = planted
        losses = check(new_output, new_source)
        baseline = before
        if new_source != source:  # a URL planted on both sides, unchanged, is the baseline
            baseline = _signature(check(f"{output} ({PLANTED_URL})", new_source))
        new = _signature(losses) - baseline
        decidable = None
        if kind == "polarity":  # the source states the flipped pair in words the lists read
            before_counts, after_counts = polarity_counts(output), polarity_counts(new_output)
            pairs = before_counts.keys() | after_counts.keys()
            changed = {c for c in pairs if before_counts.get(c) != after_counts.get(c)}
            decidable = float(bool(changed & polarity_counts(source).keys()))
        yield {
            "id": f"{key}:{kind}",
            "pair": f"{source_language}>{language}",
            "origin": origin,
            "planted": kind,
            "caught": float(bool(new)),
            "decidable": decidable,
            "losses": [f"{k}: {s} → {o}" for k, s, o in sorted(new, key=str)],
            "score": float(bool(new)),
        }


class Fidelity:
    name = "fidelity"
    description = (
        "The fact checker on XQuAD's human translations (en/zh/es): flags on the untouched "
        "pairs, and planted errors caught per type. No model."
    )
    group_by = "pair"
    metrics = (
        Metric(
            "flagged_untouched",
            "untouched human translations flagged (an upper bound on false flags)",
            higher_is_better=False,
            field="flagged",
            within=("planted", "none"),
        ),
        *_caught_metrics(),
        Metric(
            "caught_polarity_decidable",
            "planted flip caught where the source states the pair in the lists' words",
            field="caught",
            within=("decidable", 1.0),
        ),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        contexts = {}
        for language in ("en", "zh", "es"):
            path = ctx.corpora / f"xquad/xquad.{language}.json.gz"
            ctx.use_dataset(f"xquad-{language}", path)
            contexts[language] = xquad_contexts(ctx.corpora, language)
        for n, pair in enumerate(PAIRS):
            aligned = aligned_sentences(contexts[pair[0]], contexts[pair[1]])
            for key, source, output in sample(aligned, limit, seed=f"fidelity-{pair}"):
                yield from checked_pair(source, output, pair, key, "human")
            ctx.progress(self.name, n + 1, len(PAIRS))


def aligned_sentences(sources: list[str], outputs: list[str]) -> list[tuple[str, str, str]]:
    """(key, source sentence, its translation) from the contexts that a person translated
    sentence by sentence (as many sentences on both sides)."""
    pairs = []
    for i, (source, output) in enumerate(zip(sources, outputs, strict=True)):
        a, b = sentence_spans(source), sentence_spans(output)
        if len(a) != len(b):
            continue
        for j, ((s1, e1), (s2, e2)) in enumerate(zip(a, b, strict=True)):
            pairs.append((f"{i}.{j}", source[s1:e1].strip(), output[s2:e2].strip()))
    ratios = sorted(len(o) / max(len(s), 1) for _, s, o in pairs)
    usual = ratios[len(ratios) // 2] if ratios else 1.0
    # a pair far from the usual length ratio is two different sentences (a shifted split)
    return [p for p in pairs if usual / 1.6 <= len(p[2]) / max(len(p[1]), 1) <= usual * 1.6]


def product_sources(corpora: Path, per_source: int) -> list[tuple[str, str, str]]:
    """(id, language, sentence): sentences carrying a figure, from four real sources."""
    found: list[tuple[str, str, str]] = []
    for language in ("en", "zh", "es"):
        sentences = [
            (f"xquad-{language}:{i}:{j}", language, s)
            for i, text in enumerate(xquad_contexts(corpora, language))
            for j, s in enumerate(_sentences(text))
        ]
        found += sample(sentences, per_source, seed=f"fidelity-{language}")
    with gzip.open(corpora / "prc-government-work-reports.jsonl.gz", "rt", encoding="utf-8") as f:
        reports = [json.loads(line) for line in f]
    prc = [
        (f"prc:{r['title'][:4]}:{j}", "zh", s)
        for r in reports
        for j, s in enumerate(_sentences(r["content"]))
    ]
    found += sample(prc, per_source, seed="fidelity-prc")
    with tarfile.open(corpora / "whitehouse-2024-2026.tar.gz") as tar:
        members = [m for m in tar.getmembers() if m.name.endswith(".md")]
        members = sorted(members, key=lambda m: m.name)[:300]
        texts = [(m.name, _read(tar, m)) for m in members]
    wh = [(f"wh:{name}:{j}", "en", s) for name, t in texts for j, s in enumerate(_sentences(t))]
    found += sample(wh, per_source, seed="fidelity-wh")
    return found


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    handle = tar.extractfile(member)
    return handle.read().decode("utf-8", "replace") if handle else ""


def _sentences(text: str) -> list[str]:
    """Sentences of 40–260 characters with a figure in them (what a translation can lose)."""
    spans = sentence_spans(text)
    out = [" ".join(text[a:b].split()) for a, b in spans]
    return [s for s in out if 40 <= len(s) <= 260 and _FACT.search(s) and "|" not in s]


class FidelityProduct:
    name = "fidelity-product"
    description = (
        "Real sentences (XQuAD, White House, PRC reports) through the product's translation "
        "step into six languages: flags on the untouched outputs, language purity, and "
        "planted errors caught per type."
    )
    group_by = "pair"
    metrics = (
        Metric(
            "flagged_untouched",
            "untouched product translations flagged (read the losses: some are the model's)",
            higher_is_better=False,
            field="flagged",
            within=("planted", "none"),
        ),
        Metric("purity", "sentences in the language asked, names excepted", field="pure"),
        *_caught_metrics(),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        ctx.use_dataset("prc-reports", ctx.corpora / "prc-government-work-reports.jsonl.gz")
        ctx.use_dataset("whitehouse", ctx.corpora / "whitehouse-2024-2026.tar.gz")
        sources = product_sources(ctx.corpora, limit or 8)
        llm = ctx.engine.llm
        jobs = [(s, target) for s in sources for target in LANGUAGES if target != s[1]]
        for n, ((key, language, sentence), target) in enumerate(jobs):
            translated = translate_texts(llm, run_now, [sentence], target).get(0)
            if translated is None:
                yield {
                    "id": f"product:{language}>{target}:{key}",
                    "pair": f"{language}>{target}",
                    "planted": "none",
                    "flagged": 1.0,
                    "losses": ["no usable translation"],
                    "score": 0.0,
                }
                continue
            for item in checked_pair(sentence, translated, (language, target), key, "product"):
                if item["planted"] == "none":
                    pure, total = purity([translated], target)
                    item["pure"] = pure / total if total else 1.0
                    item["source"], item["output"] = sentence, translated
                yield item
            ctx.progress(self.name, n + 1, len(jobs))


register_suite(Fidelity())
register_suite(FidelityProduct())
