"""`dragoman calibrate`: calibration records from the eval suites.

Each label kind is measured by one suite: which items carry the label, which of those it
held on (precision), which should have carried it (recall), and the language of each item.
A run of the suites (or an earlier run, ``--from-run``) becomes one record per subject ×
label kind × language, written to the team's database and the home.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from assistant.core.errors import InputError
from assistant.core.settings import Settings
from assistant.licensing import (
    LABEL_KINDS,
    RULES,
    CalibrationRecord,
    LabelKind,
    judge_subject,
    model_subject,
)
from evals.harness import Item, SavedRun

Check = Callable[[Item], bool]


@dataclass(frozen=True)
class Measure:
    """How ``suite``'s items measure a label kind."""

    suite: str
    dataset: str
    language: Callable[[Item], str]
    labelled: Check  # the item carries the label
    held: Check  # … and the label is true of it
    relevant: Check | None = None  # the label should have been given (recall)


def _constant(language: str) -> Callable[[Item], str]:
    return lambda _item: language


def _stance(side: str) -> Measure:
    return Measure(
        "positions-2022",
        "unga-es-11-1 (vote as the reading: yes supports, no opposes, abstain neutral)",
        _constant("en"),  # the General Debate speeches as published, in English
        lambda i: i.get("model") == side,
        lambda i: i.get("gold") == side,
        lambda i: i.get("gold") == side and bool(i.get("stated")),
    )


def _sentiment(label: str) -> Measure:
    return Measure(
        "sentiment",
        "xlmt validation / weibo held-out fifth",
        lambda i: str(i["language"]),
        lambda i: i["predicted"] == label,
        lambda i: i["gold"] == label,
        lambda i: i["gold"] == label,
    )


def _passed(item: Item) -> bool:
    """The checker let the translation through (no flag; no planted error caught)."""
    if item.get("planted") == "none":
        return not item.get("flagged")
    return not item.get("caught")


MEASURES: dict[str, Measure] = {
    "stance.supports": _stance("supports"),
    "stance.opposes": _stance("opposes"),
    "stance.neutral": _stance("neutral"),
    "stance.mixed": _stance("mixed"),  # a vote never reads as mixed: never licensed by it
    "sentiment.negative": _sentiment("negative"),
    "sentiment.neutral": _sentiment("neutral"),
    "sentiment.positive": _sentiment("positive"),
    "answer.answered": Measure(
        "who-said-what",
        "ungdc 2015–2021, 40 members × 5 topics (labels read from each speech)",
        lambda i: str(i["language"]),
        lambda i: i.get("answered") == 1.0,
        lambda i: i.get("right") == 1.0,
        lambda i: i.get("label") == "addresses",
    ),
    "answer.verified": Measure(
        "substituted-facts",
        "xquad en/zh/es: each gold sentence true and with its answer swapped (half false: "
        "an adversarial mix)",
        lambda i: str(i["claim_language"]),
        lambda i: bool(i["supported"]),
        lambda i: bool(i["true"]),
        lambda i: bool(i["true"]),
    ),
    "judge.fact": Measure(
        "judge-meta",
        "ragchecker human preferences (correctness)",
        _constant("en"),
        lambda i: i.get("human_correctness", 0) != 0,
        lambda i: i.get("score") == 1.0,
    ),
    "translation.fidelity": Measure(
        "fidelity",
        "xquad human translations: each untouched pair and its planted errors (about three "
        "a pair: a mix far worse than the model's)",
        lambda i: str(i["pair"]).split(">")[1],
        _passed,
        lambda i: i.get("planted") == "none",
        lambda i: i.get("planted") == "none",
    ),
    "language.purity": Measure(
        "fidelity-product",
        "xquad, white house and prc sentences through the product's translation",
        lambda i: str(i["pair"]).split(">")[1],
        lambda i: i.get("planted") == "none" and "pure" in i,
        lambda i: float(i.get("pure", 0.0)) >= 1.0,
    ),
    "topic.relevance": Measure(
        "who-said-what",
        "ungdc 2015–2021, 40 members × 5 topics (labels read from each speech)",
        lambda i: str(i["language"]),
        lambda i: bool(i.get("not_addressed")),
        lambda i: i.get("label_not") == 1.0,
        lambda i: i.get("label") == "not",
    ),
}


def suites_for(kinds: list[LabelKind]) -> list[str]:
    return list(dict.fromkeys(MEASURES[k.name].suite for k in kinds))


def run_subjects(run: SavedRun, sentiment: str) -> dict[str, str]:
    """What each subject type was in ``run`` (its backend's model and its judge)."""
    model = run.record.get("model") or {}
    llm = SimpleNamespace(
        backend=model.get("backend") or run.record["backend"], model=model.get("model") or ""
    )
    judge = run.record.get("judge_resolved") or run.record.get("judge") or "heuristic"
    return {
        "model": model_subject(llm),
        "judge": judge_subject(str(judge), llm),
        "sentiment": sentiment,
        "rules": RULES,
    }


def records_from_run(
    run: SavedRun,
    kinds: list[LabelKind],
    sentiment: str,
    languages: list[str] | None = None,
) -> list[CalibrationRecord]:
    """One record per label kind and language that ``run``'s items measure."""
    subjects = run_subjects(run, sentiment)
    day = str(run.record.get("created_at") or datetime.now(UTC).isoformat())[:10]
    commit = (run.record.get("dragoman") or {}).get("commit")
    records = []
    for kind in kinds:
        measure = MEASURES[kind.name]
        items = run.items.get(measure.suite)
        if not items:
            continue
        by_language: dict[str, list[Item]] = {}
        for item in items:
            by_language.setdefault(measure.language(item), []).append(item)
        for language, group in sorted(by_language.items()):
            if languages and language not in languages:
                continue
            labelled = [i for i in group if measure.labelled(i)]
            if not labelled:  # never given here: nothing measured (not a precision of 0)
                continue
            hits = sum(measure.held(i) for i in labelled)
            recall = None
            if measure.relevant is not None:
                relevant = [i for i in group if measure.relevant(i)]
                if relevant:
                    found = sum(measure.labelled(i) for i in relevant)
                    recall = round(found / len(relevant), 4)
            records.append(
                CalibrationRecord(
                    subject=subjects[kind.subject],
                    kind=kind.name,
                    language=language,
                    hits=hits,
                    n=len(labelled),
                    suite=measure.suite,
                    dataset=measure.dataset,
                    run_id=str(run.record["run_id"]),
                    measured_at=day,
                    recall=recall,
                    commit=commit,
                )
            )
    return records


def check_measured(kinds: list[LabelKind]) -> None:
    missing = [k.name for k in kinds if k.name not in MEASURES]
    if missing:
        raise InputError(f"no suite measures {', '.join(missing)}")


def describe(records: list[CalibrationRecord], settings: Settings) -> list[dict[str, Any]]:
    """Records as JSON with their verdict under this home's thresholds."""
    from assistant.licensing import DEFAULT_THRESHOLDS

    bars = {**DEFAULT_THRESHOLDS, **settings.licence_thresholds}
    shown = []
    for record in records:
        bar = bars[LABEL_KINDS[record.kind].family]
        shown.append({**record.to_dict(), "threshold": bar, "licensed": record.interval[0] >= bar})
    return shown
