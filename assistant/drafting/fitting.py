"""Fitting a message into a platform's limit: never over it.

In order: hashtags are dropped from the end, then whole sentences from the end (the first
always stays), and only then is the one remaining sentence cut at a word boundary with an
ellipsis.  A thread (when asked for, on platforms that have them) splits the message into
numbered posts at sentence boundaries instead, up to the platform's post count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.drafting.platforms import Platform, joiner

ELLIPSIS = "…"
_BREAK = re.compile(r"\s+|(?<=[，、；：,;:])")


@dataclass
class Fitted:
    """The posts a message became, and what had to give way."""

    posts: list[str]
    sentences_kept: list[int]  # indices of the message's sentences that appear in full
    hashtags_kept: list[str]
    truncated: bool = False
    split: bool = False
    dropped: list[int] = field(default_factory=list)  # sentences left out entirely

    @property
    def text(self) -> str:
        return "\n\n".join(self.posts)


def _post(language: str, sentences: list[str], tags: list[str]) -> str:
    body = joiner(language).join(s.strip() for s in sentences)
    return body + ("\n\n" + " ".join(tags) if tags else "")


def cut(profile: Platform, text: str, budget: int) -> str:
    """The longest prefix of ``text`` ending at a word (or CJK character) boundary that,
    with an ellipsis, counts at most ``budget``."""
    if profile.count(text) <= budget:
        return text
    stops = sorted({m.start() for m in _BREAK.finditer(text)} | _cjk_stops(text))
    # a word longer than the budget (no boundary fits) is cut between characters
    return (
        _longest(profile, text, stops, budget)
        or _longest(profile, text, list(range(1, len(text))), budget)
        or ELLIPSIS
    )


def _longest(profile: Platform, text: str, stops: list[int], budget: int) -> str:
    best = ""
    low, high = 0, len(stops) - 1
    while low <= high:  # the count grows with the prefix: binary search the stops
        mid = (low + high) // 2
        candidate = text[: stops[mid]].rstrip(" ,;:，、；：") + ELLIPSIS
        if profile.count(candidate) <= budget:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    return best


def _cjk_stops(text: str) -> set[int]:
    return {i + 1 for i, ch in enumerate(text) if "\u3040" <= ch <= "\u9fff"}


def fit_post(profile: Platform, language: str, sentences: list[str], tags: list[str]) -> Fitted:
    """One post within the limit (see the module's order of what gives way)."""
    n = len(sentences)
    while n > 1 and not profile.fits(_post(language, sentences[:n], [])):
        n -= 1
    k = 0
    while k < len(tags) and profile.fits(_post(language, sentences[:n], tags[: k + 1])):
        k += 1
    text = _post(language, sentences[:n], tags[:k])
    kept, truncated = list(range(n)), False
    if not profile.fits(text):
        text, kept, truncated = cut(profile, sentences[0].strip(), profile.limit), [], True
    dropped = [i for i in range(len(sentences)) if i not in kept and not (truncated and i == 0)]
    return Fitted([text], kept, tags[:k], truncated, False, dropped)


def _pieces(profile: Platform, language: str, sentences: list[str], budget: int) -> list[str]:
    """Sentences, with any sentence over ``budget`` broken at word boundaries."""
    pieces: list[str] = []
    for sentence in sentences:
        rest = sentence.strip()
        while profile.count(rest) > budget:
            head = cut(profile, rest, budget).removesuffix(ELLIPSIS)
            if not head:
                break
            pieces.append(head)
            rest = rest[len(head) :].strip()
        pieces.append(rest)
    return [p for p in pieces if p]


def fit_thread(profile: Platform, language: str, sentences: list[str], tags: list[str]) -> Fitted:
    """Numbered posts, each within the limit; one post when the message fits in one."""
    single = fit_post(profile, language, sentences, tags)
    if not profile.threads or (not single.dropped and not single.truncated):
        return single
    reserve = profile.count(f" ({profile.max_posts}/{profile.max_posts})")
    budget = profile.limit - reserve
    posts: list[list[str]] = [[]]
    for piece in _pieces(profile, language, sentences, budget):
        if posts[-1] and profile.count(_post(language, [*posts[-1], piece], [])) > budget:
            posts.append([])
        posts[-1].append(piece)
    texts = [_post(language, post, []) for post in posts[: profile.max_posts]]
    kept_text = joiner(language).join(texts)
    kept = [i for i, s in enumerate(sentences) if s.strip() and s.strip() in kept_text]
    total = len(texts)
    numbered = [f"{text} ({i}/{total})" for i, text in enumerate(texts, start=1)]
    k = 0
    while k < len(tags) and profile.fits(numbered[-1] + "\n\n" + " ".join(tags[: k + 1])):
        k += 1
    if k:
        numbered[-1] += "\n\n" + " ".join(tags[:k])
    numbered = [p if profile.fits(p) else cut(profile, p, profile.limit) for p in numbered]
    dropped = [i for i in range(len(sentences)) if i not in kept]
    return Fitted(numbered, kept, tags[:k], False, True, dropped)
