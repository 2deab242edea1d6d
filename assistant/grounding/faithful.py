"""The checks a machine translation passes before it is shown, without the model.

One place for every feature that shows a translation (quotes under an answer, a
briefing's stories, positions' quotes, a draft's variants): the facts it keeps
(``fidelity``) and the language it is written in (``purity``).
"""

from __future__ import annotations

from assistant.grounding.fidelity import TRANSLATION, fidelity_losses
from assistant.grounding.purity import impurities


def translation_problems(
    translation: str, original: str, language: str, original_language: str | None = None
) -> list[str]:
    """What is wrong with ``translation`` (into ``language``) of ``original``: the facts it
    loses or changes, its sentences not in ``language``; [] when it passes."""
    problems = [
        loss.message
        for loss in fidelity_losses(
            translation,
            original,
            TRANSLATION,
            output_language=language,
            source_language=original_language,
        )
    ]
    problems += [impurity.reason for impurity in impurities(translation, language)]
    return problems
