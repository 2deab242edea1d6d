"""The dataset adapters on the real files in ../shared/corpora."""

from __future__ import annotations

from collections import Counter

from evals.datasets import (
    corpora_dir,
    dataset_hash,
    load_ragchecker,
    load_rgb,
    load_xquad,
    rgb_passages,
    sample,
)
from tests.conftest import SHARED


def test_xquad_has_the_same_questions_in_every_language() -> None:
    data = {lang: load_xquad(SHARED, lang) for lang in ("en", "zh", "es")}
    for xquad in data.values():
        assert len(xquad.questions) == 1190 and len(xquad.contexts) == 240
        assert all(q.answers for q in xquad.questions)
    ids = [[q.id for q in data[lang].questions] for lang in data]
    assert ids[0] == ids[1] == ids[2]
    zh = data["zh"].questions[0]
    assert zh.answers[0] in data["zh"].contexts[zh.context_id]  # spans come from the context
    assert zh.context_id == data["en"].questions[0].context_id


def test_rgb_items_and_the_papers_passage_protocol() -> None:
    _, refine = load_rgb(SHARED, "zh_refine")
    _, fact = load_rgb(SHARED, "zh_fact")
    assert len(refine) == 300 and len(fact) == 100
    first = refine[0]
    assert first.answers == (("12人",),) and first.positive and first.negative
    assert all(item.fake_answers and item.counterfactual for item in fact)
    assert fact[0].answers == (("70",),) and fact[0].fake_answers == (("170",),)
    noisy = rgb_passages(first, 0.4)  # ceil(5 × 0.4) = 2 negatives, 3 positives
    assert len(noisy) == 5
    assert Counter(p in first.negative for p in noisy) == {True: 2, False: 3}
    assert noisy == rgb_passages(first, 0.4)  # seeded by the item: every run the same
    assert all(p in first.negative for p in rgb_passages(first, 1.0))


def test_ragchecker_has_two_annotators_per_instance() -> None:
    path, rows = load_ragchecker(SHARED)
    assert len(rows) == 560 and len({r.instance for r in rows}) == 280
    assert Counter(r.id.split("-")[1] for r in rows) == {"0": 280, "1": 280}
    assert {v for r in rows for v in r.labels.values()} <= {-2, -1, 0, 1, 2}
    assert all(r.reference for r in rows)
    empty = {r.instance for r in rows if not all(r.responses)}
    assert len(empty) == 6  # real data: six instances where one system returned nothing
    assert len(dataset_hash(path)) == 64


def test_corpora_dir_and_stable_samples(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DRAGOMAN_SHARED", str(SHARED.parent))
    assert corpora_dir() == SHARED
    items = list(range(100))
    assert sample(items, 5, "s") == sample(items, 5, "s") != sample(items, 5, "t")
    assert sample(items, None, "s") == items and len(set(sample(items, 30, "s"))) == 30


def test_substituted_facts_swap_exactly_the_answer() -> None:
    """The adversarial set: a true and a swapped claim per question, differing only by the
    answer; the swapped-in answer is another of the same article, absent from the true
    sentence; every language pair and both splits are there."""
    from evals.substitutions import build

    claims = build(SHARED)
    assert len(claims) > 2000 and len(claims) % 2 == 0
    pairs = list(zip(claims[::2], claims[1::2], strict=True))
    for true, swapped in pairs:
        assert (
            true.true
            and not swapped.true
            and true.id.rsplit(":", 1)[0] == swapped.id.rsplit(":", 1)[0]
        )
        assert true.answer in true.claim and swapped.answer not in true.claim
        assert swapped.claim == true.claim.replace(true.answer, swapped.answer, 1)
        assert true.evidence == swapped.evidence
    assert {(c.claim_language, c.evidence_language) for c in claims} == {
        (a, b) for a in ("en", "zh", "es") for b in ("en", "zh", "es")
    }
    kinds = Counter(c.kind for c in claims if not c.true)
    assert {"number", "date", "name", "other"} <= set(kinds)
    assert {c.split for c in claims} == {"dev", "held_out"}
