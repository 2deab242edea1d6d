"""Adapters for the real evaluation datasets in the shared corpora directory.

Each loader reads one published file as it is (never a copy in the repository) and
returns plain records; ``dataset_hash`` fingerprints the file so a run records exactly
what it was measured on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import random
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from assistant.core.errors import ConfigError, InputError

XQUAD_LANGUAGES = ("en", "zh", "es")
RGB_SETS = ("zh_refine", "zh_fact")
XQUAD_FILE = "xquad/xquad.{language}.json.gz"
CRUD_FILE = "crud-rag-news-zh-2023.tar.gz"
RGB_FILE = "rgb/{name}.json.gz"
RAGCHECKER_FILE = "factuality/ragchecker-human-labeled.json.gz"
T = TypeVar("T")


def corpora_dir(configured: Path | None = None) -> Path:
    """The shared corpora: the setting, ``$DRAGOMAN_SHARED/corpora`` or ``../shared/corpora``."""
    candidates = [configured] if configured else []
    if os.environ.get("DRAGOMAN_SHARED"):
        candidates.append(Path(os.environ["DRAGOMAN_SHARED"]) / "corpora")
    candidates += [
        Path.cwd().parent / "shared" / "corpora",
        Path(__file__).resolve().parent.parent.parent / "shared" / "corpora",
    ]
    for candidate in candidates:
        if candidate is not None and (candidate / "xquad").is_dir():
            return candidate
    raise ConfigError(
        "the evaluation datasets were not found (looked for shared/corpora with xquad/, rgb/, "
        "factuality/)",
        fix="set DRAGOMAN_CORPORA_DIR to the corpora directory",
    )


def dataset_path(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise ConfigError(f"dataset file {path} is missing", fix="check DRAGOMAN_CORPORA_DIR")
    return path


@lru_cache(maxsize=32)
def dataset_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_json(path: Path, *, lines: bool = False) -> Any:
    """A gzipped JSON document, or JSON Lines when ``lines``."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            if lines:
                return [json.loads(line) for line in handle if line.strip()]
            return json.load(handle)
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"{path} is not readable JSON: {exc}", fix="restore the file") from exc


@dataclass(frozen=True)
class XQuADQuestion:
    id: str  # the same id in every language
    language: str
    context_id: str  # "<article>-<paragraph>", equal across languages
    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class XQuAD:
    language: str
    path: Path
    contexts: dict[str, str]
    questions: list[XQuADQuestion]


def crud_lines(path: Path) -> Iterator[str]:
    """Every line of the CRUD-RAG news archive (one article a line: date, then ``，正文：``)."""
    with tarfile.open(path) as tar:
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                yield from (line.strip() for line in handle.read().decode("utf-8").splitlines())


def load_xquad(root: Path, language: str) -> XQuAD:
    path = dataset_path(root, XQUAD_FILE.format(language=language))
    contexts: dict[str, str] = {}
    questions: list[XQuADQuestion] = []
    for a, article in enumerate(_read_json(path)["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            context_id = f"{a}-{p}"
            contexts[context_id] = paragraph["context"]
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(ans["text"] for ans in qa["answers"]))
                questions.append(
                    XQuADQuestion(qa["id"], language, context_id, qa["question"], answers)
                )
    return XQuAD(language, path, contexts, questions)


@dataclass(frozen=True)
class RGBItem:
    """One RGB query; ``answers`` lists required elements, each with its alternatives."""

    id: str
    query: str
    answers: tuple[tuple[str, ...], ...]
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    fake_answers: tuple[tuple[str, ...], ...] = ()
    counterfactual: tuple[str, ...] = ()


def _answer_elements(raw: Any) -> tuple[tuple[str, ...], ...]:
    if isinstance(raw, str):
        return ((raw,),)
    return tuple((e,) if isinstance(e, str) else tuple(str(x) for x in e) for e in raw)


def load_rgb(root: Path, name: str) -> tuple[Path, list[RGBItem]]:
    if name not in RGB_SETS:
        raise InputError(f"unknown RGB set {name!r}", fix=f"one of {', '.join(RGB_SETS)}")
    path = dataset_path(root, RGB_FILE.format(name=name))
    items = [
        RGBItem(
            id=f"{name}-{row['id']}",
            query=row["query"],
            answers=_answer_elements(row["answer"]),
            positive=tuple(row.get("positive", ())),
            negative=tuple(row.get("negative", ())),
            fake_answers=_answer_elements(row["fakeanswer"]) if "fakeanswer" in row else (),
            counterfactual=tuple(row.get("positive_wrong", ())),
        )
        for row in _read_json(path, lines=True)
    ]
    return path, items


def rgb_passages(item: RGBItem, noise_rate: float, total: int = 5) -> list[str]:
    """RGB's protocol: ``ceil(total × noise_rate)`` negatives, the rest positives, shuffled
    with a seed derived from the item (so every run sees the same passages)."""
    negatives = min(len(item.negative), math.ceil(total * noise_rate - 1e-9))
    chosen = list(item.positive[: total - negatives]) + list(item.negative[:negatives])
    random.Random(item.id).shuffle(chosen)
    return chosen


@dataclass(frozen=True)
class Preference:
    """One annotator's pairwise judgement of two responses (positive: response 2 better)."""

    id: str
    instance: int
    dataset: str
    query: str
    reference: str
    responses: tuple[str, str]
    labels: dict[str, int] = field(default_factory=dict)  # correctness, completeness, overall


def load_ragchecker(root: Path) -> tuple[Path, list[Preference]]:
    path = dataset_path(root, RAGCHECKER_FILE)
    seen: dict[int, int] = {}
    rows = []
    for row in _read_json(path):
        instance = int(row["instance_id"])
        annotator = seen.get(instance, 0)
        seen[instance] = annotator + 1
        labels = {a: int(row[f"{a}_label"]) for a in ("correctness", "completeness", "overall")}
        rows.append(
            Preference(
                id=f"{instance}-{annotator}",
                instance=instance,
                dataset=row["dataset"],
                query=row["query"],
                reference=row["gt_answer"],
                responses=(row["model1"]["response"], row["model2"]["response"]),
                labels=labels,
            )
        )
    return path, rows


def sample(items: list[T], limit: int | None, seed: str) -> list[T]:
    """A fixed, spread-out sample: the same items for the same limit on every run."""
    if limit is None or limit >= len(items):
        return list(items)
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    return [items[i] for i in sorted(order[:limit])]
