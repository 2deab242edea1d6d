"""Language identification (lingua), returning ISO 639-1 codes."""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

# The six UN languages first, then languages our sources commonly carry.
SUPPORTED = (
    "ENGLISH", "CHINESE", "FRENCH", "SPANISH", "RUSSIAN", "ARABIC", "GERMAN", "JAPANESE",
    "KOREAN", "PORTUGUESE", "ITALIAN", "TURKISH", "PERSIAN", "UKRAINIAN", "HINDI", "DUTCH",
    "POLISH", "VIETNAMESE", "INDONESIAN", "HEBREW",
)  # fmt: skip
_SAMPLE_CHARS = 2000
_HAS_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    languages = [getattr(Language, name) for name in SUPPORTED]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect_language(text: str, default: str = "und") -> str:
    """ISO 639-1 code of the text's language; ``default`` when it cannot be told."""
    sample = text[:_SAMPLE_CHARS]
    if not _HAS_LETTER.search(sample):
        return default
    language = _detector().detect_language_of(sample)
    return language.iso_code_639_1.name.lower() if language else default


def normalise_language_code(code: str) -> str:
    """Accept 'en', 'EN', 'en-US', 'zh_CN', 'zh-Hans' → 'en' / 'zh'."""
    base = re.split(r"[-_]", code.strip())[0].lower()
    if not re.fullmatch(r"[a-z]{2}", base):
        from assistant.core.errors import InputError

        raise InputError(f"language {code!r} is not an ISO 639-1 code", fix="e.g. --lang en")
    return base
