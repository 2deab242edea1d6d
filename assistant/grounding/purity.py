"""Whether a shown text is in the language asked, sentence by sentence, names excepted.

A small model mixes languages ("积极参与 shuttle mediation和促进 talks for peace"): every
sentence the product shows is read here before it is shown.  A sentence is *pure* when its
letters are in the language's script (Chinese, Russian, Arabic) or identified as the
language (English, French, Spanish), once the words it may carry in another script are set
aside: names and acronyms (capitalised), quoted words, URLs, handles, hashtags, e-mail
addresses.  Lower-case Latin words inside a Chinese, Russian or Arabic sentence, and
English titles of office left untranslated ("Embassy"), make it impure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.grounding.fidelity import INSTITUTIONS, latin_words
from corpus.language import detect_language
from retrieval.chunking import sentence_spans

_SCRIPTS = {
    "zh": re.compile(r"[\u3400-\u9fff\uf900-\ufaff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
}
_LATIN_LANGUAGES = ("en", "fr", "es")
_QUOTED = re.compile(
    r"“[^”]*”|«[^»]*»|「[^」]*」|『[^』]*』|\"[^\"]*\"|《[^》]*》|\([^)]*\)|（[^）]*）"
)
_OTHER_SCRIPTS = re.compile(r"[\u3400-\u9fff\u0400-\u04ff\u0600-\u06ff]")
SCRIPT_SHARE = 0.8  # of a sentence's letters (names set aside) in the language's script
MIN_WORDS_TO_IDENTIFY = 6  # shorter Latin-script sentences are not identified (names, titles)


@dataclass(frozen=True)
class Impurity:
    """A sentence not in the language asked, and why."""

    sentence: str
    reason: str


def _without_quotes(text: str) -> str:
    return _QUOTED.sub(" ", text)


def _foreign_latin(sentence: str) -> list[str]:
    """Latin-script words in a Chinese, Russian or Arabic sentence that are not names:
    lower-case words, and English titles of office kept untranslated."""
    words = latin_words(_without_quotes(sentence))
    foreign = []
    for i, word in enumerate(words):
        if word[:1].isupper():
            if word.casefold() in INSTITUTIONS and not _in_name(words, i):
                foreign.append(word)
        elif len(word) > 1 and not _in_name(words, i):
            foreign.append(word)
    return foreign


def _in_name(words: list[str], i: int) -> bool:
    """A word between two capitalised ones: "Carl von Linde", "Sky Box Office"."""
    before = i > 0 and words[i - 1][:1].isupper()
    after = i + 1 < len(words) and words[i + 1][:1].isupper()
    return before and after


def sentence_impurity(sentence: str, language: str) -> str | None:
    """Why one sentence is not in ``language``; None when it is."""
    bare = _without_quotes(sentence)
    letters = [ch for ch in bare if ch.isalpha()]
    if not letters:
        return None
    script = _SCRIPTS.get(language)
    if script is not None:
        foreign = _foreign_latin(sentence)
        if foreign:
            return f"words not in {language}: {', '.join(dict.fromkeys(foreign))}"
        names = sum(len(w) for w in latin_words(bare))
        share = len(script.findall(bare)) / max(len(letters) - names, 1)
        if share < SCRIPT_SHARE:
            return f"not written in {language} ({share:.0%} of its letters)"
        return None
    if language in _LATIN_LANGUAGES:
        other = _OTHER_SCRIPTS.findall(bare)
        if len(other) > len(letters) / 5:
            return f"not written in {language} (another script)"
        common = [w for w in bare.split() if not w[:1].isupper() and not w[:1].isdigit()]
        if len(common) >= MIN_WORDS_TO_IDENTIFY:  # names and numbers set aside
            found = detect_language(" ".join(common), default=language)
            if found != language and found in (*_LATIN_LANGUAGES, "de", "pt", "it"):
                return f"written in {found}, not {language}"
    return None


def impurities(text: str, language: str) -> list[Impurity]:
    """The sentences of ``text`` not in ``language``."""
    found = []
    for start, end in sentence_spans(text) or [(0, len(text))]:
        sentence = text[start:end].strip()
        reason = sentence_impurity(sentence, language) if sentence else None
        if reason:
            found.append(Impurity(sentence, reason))
    return found


def purity(texts: list[str], language: str) -> tuple[int, int]:
    """(pure sentences, sentences) over ``texts``."""
    total = pure = 0
    for text in texts:
        spans = sentence_spans(text) or [(0, len(text))]
        for start, end in spans:
            sentence = text[start:end].strip()
            if not sentence:
                continue
            total += 1
            pure += sentence_impurity(sentence, language) is None
    return pure, total
