"""The fact checker on real translations (issue 50): XQuAD's human translations in
en/zh/es, paired sentence by sentence, with one error planted at a time (no model)."""

from __future__ import annotations

from collections import defaultdict

from evals.suites.fidelity import PAIRS, aligned_sentences, checked_pair, xquad_contexts
from tests.conftest import SHARED


def test_planted_errors_are_caught_and_faithful_translations_pass() -> None:
    contexts = {language: xquad_contexts(SHARED, language) for language in ("en", "zh", "es")}
    caught: dict[str, list[float]] = defaultdict(list)
    flagged: list[float] = []
    for pair in PAIRS:
        for key, source, output in aligned_sentences(contexts[pair[0]], contexts[pair[1]]):
            for item in checked_pair(source, output, pair, key, "human"):
                if item["planted"] == "none":
                    flagged.append(item["flagged"])
                elif item["planted"] == "polarity" and item["decidable"]:
                    caught["polarity_decidable"].append(item["caught"])
                else:
                    caught[item["planted"]].append(item["caught"])
    rate = {kind: sum(values) / len(values) for kind, values in caught.items()}
    for kind in ("magnitude", "date", "date_dropped", "country", "url"):
        assert rate[kind] >= 0.98 and len(caught[kind]) >= 100, (kind, rate[kind])
    assert rate["polarity_decidable"] >= 0.9, rate
    # a flag on a person's translation is a false flag or a figure the person dropped
    assert sum(flagged) / len(flagged) <= 0.08 and len(flagged) > 2000
