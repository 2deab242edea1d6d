"""Language identification: lingua's full mode vs its fast (trigram) mode, side by side.

Accuracy on real labelled text (XLM-T tweets in 8 languages, XQuAD questions in en/es/zh),
agreement on long texts (XQuAD contexts), and the cost of the first detection (model load).
corpus/language.py uses the fast mode from 200 characters on, where the two agree.

    python bench/language_id.py [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tarfile
import time
from collections import Counter

import _repo  # noqa: F401  (the repository on sys.path)
from lingua import Language, LanguageDetectorBuilder

from bench.support.processes import SHARED
from corpus.language import SUPPORTED

TWEET_LANGS = {"arabic": "ar", "english": "en", "french": "fr", "german": "de", "hindi": "hi",
               "italian": "it", "portuguese": "pt", "spanish": "es"}  # fmt: skip


def labelled() -> list[tuple[str, str, str]]:
    items = []
    with tarfile.open(SHARED / "sentiment/xlmt-train-val.tar.gz") as tar:
        for member in tar:
            folder = member.name.split("/")[1] if "/" in member.name else ""
            if member.name.endswith("val_text.txt") and folder in TWEET_LANGS:
                handle = tar.extractfile(member)
                assert handle is not None
                lines = handle.read().decode().splitlines()[:300]
                items += [("tweet", TWEET_LANGS[folder], line) for line in lines]
    for lang in ("en", "es", "zh"):
        with gzip.open(SHARED / f"xquad/xquad.{lang}.json.gz") as handle:
            data = json.load(handle)
        paragraphs = [p for a in data["data"] for p in a["paragraphs"]]
        items += [("question", lang, q["question"]) for p in paragraphs for q in p["qas"]][:400]
        items += [("context", lang, p["context"][:2000]) for p in paragraphs]
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    languages = [getattr(Language, name) for name in SUPPORTED]
    detectors = {
        "full": LanguageDetectorBuilder.from_languages(*languages).build(),
        "fast": LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build(),
    }
    first_s = {}
    for mode, detector in detectors.items():
        started = time.perf_counter()
        detector.detect_language_of("The delegation will attend the World Expo in Osaka.")
        first_s[mode] = round(time.perf_counter() - started, 2)
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[str] = Counter()
    for kind, lang, text in labelled():
        total[kind] += 1
        for mode, detector in detectors.items():
            found = detector.detect_language_of(text)
            right[(kind, mode)] += bool(found and found.iso_code_639_1.name.lower() == lang)
    report = {
        "first_detection_s": first_s,
        "accuracy": {f"{k}/{m}": round(right[(k, m)] / total[k], 3) for k, m in sorted(right)},
        "n": dict(total),
    }
    print(json.dumps(report, indent=2) if args.json else report)


if __name__ == "__main__":
    main()
