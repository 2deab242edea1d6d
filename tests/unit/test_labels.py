"""Labels licensed by measurement: every label an output contract shows is governed by a
label kind, every kind is measured by a suite, and a licence follows its record's interval
(records written from eval items, read back from the home)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import random
import re
from pathlib import Path

import pytest

import assistant
import corpus
import retrieval
from assistant.core.contracts import Contract
from assistant.licensing import (
    LABEL_KINDS,
    CalibrationRecord,
    Licences,
    RecordStore,
    kinds_named,
    wilson,
)
from assistant.licensing.kinds import GOVERNED_FIELDS, NOT_LABELS
from evals.calibrate import MEASURES, records_from_run
from evals.harness import SavedRun, all_suites
from evals.metrics import wilson_interval

# a field whose name says it carries a reading of a model, judge, head or rule
LABEL_NAME = re.compile(
    r"stance|support|verif|sentiment|negative|status|translation|label|signal|licen|"
    r"relevan|address|faithful|pur(e|ity)|withheld|flag|severity|score|confiden|judge"
)


def _contracts() -> list[type[Contract]]:
    for package in (assistant, retrieval, corpus):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module.name.endswith(".contracts"):
                importlib.import_module(module.name)
    found: list[type[Contract]] = []
    todo = list(Contract.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo += model.__subclasses__()
    return found


def _declared_label_fields() -> set[str]:
    """``Model.field`` for every label-like field, named by the class that declares it."""
    fields = set()
    for model in _contracts():
        for name in model.model_fields:
            if not LABEL_NAME.search(name):
                continue
            owner = next(c for c in model.__mro__ if name in getattr(c, "__annotations__", {}))
            fields.add(f"{owner.__name__}.{name}")
    return fields


def test_every_label_an_output_shows_is_governed_by_a_label_kind() -> None:
    found = _declared_label_fields()
    ungoverned = sorted(found - GOVERNED_FIELDS.keys() - NOT_LABELS.keys())
    assert not ungoverned, f"label fields without a label kind (licensing.kinds): {ungoverned}"
    stale = sorted((GOVERNED_FIELDS.keys() | NOT_LABELS.keys()) - found)
    assert not stale, f"listed fields no contract declares: {stale}"
    for kinds in GOVERNED_FIELDS.values():
        assert kinds and set(kinds) <= LABEL_KINDS.keys(), kinds


def test_every_label_kind_is_measured_by_a_suite_and_shown_somewhere() -> None:
    suites = all_suites()
    for name in LABEL_KINDS:
        assert name in MEASURES, f"no suite measures {name}"
        assert MEASURES[name].suite in suites, MEASURES[name].suite
    governing = {kind for kinds in GOVERNED_FIELDS.values() for kind in kinds}
    assert governing == set(LABEL_KINDS), set(LABEL_KINDS) - governing


def test_families_and_names_choose_kinds() -> None:
    assert [k.name for k in kinds_named(["stance"])] == [
        "stance.supports",
        "stance.opposes",
        "stance.neutral",
        "stance.mixed",
    ]
    assert [k.name for k in kinds_named(["sentiment.negative"])] == ["sentiment.negative"]
    assert len(kinds_named(None)) == len(LABEL_KINDS)


@pytest.mark.parametrize(("hits", "n"), [(0, 1), (2, 51), (55, 63), (30, 30), (152, 159)])
def test_the_interval_is_wilsons(hits: int, n: int) -> None:
    assert wilson(hits, n) == pytest.approx(wilson_interval(hits, n), abs=1e-4)


def _record(kind: str, language: str, hits: int, n: int, day: str, run: str = "r1") -> dict:
    return CalibrationRecord(
        "local:m@abc", kind, language, hits, n, "positions-2022", "vote", run, day
    ).to_dict()


def _licences(home: Path, thresholds: dict[str, float] | None = None) -> Licences:
    return Licences(RecordStore(home), thresholds or {}, {"model": lambda: "local:m@abc"})


def test_a_label_is_licensed_only_when_its_lower_bound_clears_the_bar(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    store.add(
        [
            CalibrationRecord.from_dict(r)
            for r in (
                _record("stance.supports", "en", 55, 63, "2026-12-03"),  # [0.77, 0.93]: below 0.80
                _record("stance.opposes", "en", 2, 51, "2026-12-03"),
                _record("stance.neutral", "en", 60, 60, "2026-12-03"),  # [0.94, 1.00]
            )
        ]
    )
    licences = _licences(tmp_path)
    supports = licences.licence("stance.supports", "en")
    assert supports.status == "below_bar" and not supports.shown
    assert "0.87 [0.77, 0.93], 55 of 63" in supports.message() and "0.80" in supports.message()
    assert licences.licence("stance.neutral", "en").shown
    assert licences.licence("stance.opposes", "en").status == "below_bar"
    unmeasured = licences.licence("stance.supports", "zh")
    assert unmeasured.status == "not_measured" and unmeasured.record is None
    assert "not measured for this model and language" in unmeasured.message()
    assert licences.licence("stance.supports", "en", subject="openai:gpt").status == (
        "not_measured"
    )
    # the policy's bar is a setting, per family
    assert _licences(tmp_path, {"stance": 0.75}).licence("stance.supports", "en").shown
    # what was written is in the home, one JSON line a record
    lines = (tmp_path / "calibration" / "records.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["kind"] == "stance.supports"


def test_the_newest_record_of_a_kind_and_language_wins(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    store.add(
        [CalibrationRecord.from_dict(_record("stance.supports", "en", 55, 63, "2026-12-03", "old"))]
    )
    store.add(
        [CalibrationRecord.from_dict(_record("stance.supports", "en", 90, 92, "2026-12-08", "new"))]
    )
    licence = _licences(tmp_path).licence("stance.supports", "en")
    assert licence.shown and licence.record is not None and licence.record.run_id == "new"


def _positions_run(reader: str, members: int = 120) -> SavedRun:
    """A positions-2022 run's items for a reader: ``gold`` reads each member's vote,
    ``guess`` picks a side at random (seeded); members vote as the UN did, roughly."""
    rng = random.Random(7)
    items = []
    for n in range(members):
        gold = rng.choices(["supports", "opposes", "neutral"], [141, 5, 35])[0]
        model = (
            gold if reader == "gold" else rng.choice(["supports", "opposes", "neutral", "mixed"])
        )
        items.append({"id": f"M{n}", "gold": gold, "model": model, "stated": True})
    record = {
        "run_id": f"run-{reader}",
        "created_at": "2026-12-08T00:00:00",
        "backend": "scripted",
        "model": {"backend": "scripted", "model": reader},
        "judge": "heuristic",
    }
    return SavedRun(Path("."), record, {"positions-2022": items})


def test_records_from_eval_items_license_a_reader_that_reads_and_not_one_that_guesses(
    tmp_path: Path,
) -> None:
    stance = kinds_named(["stance"])
    for reader, expected in (("gold", True), ("guess", False)):
        records = records_from_run(_positions_run(reader), stance, "sentiment:x")
        assert {r.language for r in records} == {"en"}
        assert all(r.subject == f"scripted:{reader}" for r in records)
        store = RecordStore(tmp_path / reader)
        store.add(records)
        licences = Licences(store, {}, {"model": lambda reader=reader: f"scripted:{reader}"})
        assert licences.licence("stance.supports", "en").shown is expected, reader
        if reader == "gold":
            supports = next(r for r in records if r.kind == "stance.supports")
            assert supports.hits == supports.n and supports.recall == 1.0
            # five "no" votes in a sample this size: too few to licence even a perfect reader
            opposes = [r for r in records if r.kind == "stance.opposes"]
            assert all(not licences.licence(r.kind, "en").shown for r in opposes if r.n < 15)
            assert not [r for r in records if r.kind == "stance.mixed"]  # never given: no record


def test_the_chart_draws_an_unlicensed_language_hollow_and_grey_never_hidden() -> None:
    from assistant.monitoring.charts import series_chart

    days = [f"2025-06-{d:02d}T00:00:00+00:00" for d in range(1, 8)]
    view = {
        "points": [{"at": day, "volume": 3, "sentiment": 0.1} for day in days],
        "forecast": {"available": False},
        "series": {"granularity": "day"},
        "languages": [
            {"language": "zh", "licensed": True, "points": [0.4] * 7},
            {"language": "hi", "licensed": False, "points": [-0.6] * 7},
        ],
    }
    both = series_chart(view)
    assert both is not None and "#c00000" in both and "#9a9a9a" in both
    view["languages"] = view["languages"][:1]
    licensed_only = series_chart(view)
    assert licensed_only is not None and "#9a9a9a" not in licensed_only


def test_a_bar_for_no_label_family_is_refused(tmp_path: Path) -> None:
    from assistant.core.errors import ConfigError

    with pytest.raises(ConfigError, match="names no label family: stances"):
        _licences(tmp_path, {"stances": 0.9})
