"""A press officer's edit: new text per language, checked like generated text.

A thread's posts are separated by a line holding ``---``.  Sentences the edit left as they
were keep their citations and verdicts; new or changed sentences are verified against the
draft's passages (the one that supports them best).  The passages themselves do not change:
facts an edit adds must be in them, or the sentence is flagged.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.core.errors import ConflictError, InputError
from assistant.drafting.checks import Verifier, assess, sentences_in
from assistant.drafting.model import THREAD_BREAK, DraftContent, PostSentence, Variant
from assistant.drafting.platforms import Platform
from assistant.drafting.sensitive import SensitiveTerms

MAX_TEXT = 20000


def _key(text: str) -> str:
    return " ".join(text.split())


def posts_of(text: str) -> list[str]:
    """The posts in an edited text (``---`` lines separate a thread's posts)."""
    lines = text.replace("\r\n", "\n").split("\n")
    joined = "\n".join("---" if line.strip() == "---" else line for line in lines)
    return [p.strip() for p in joined.split(THREAD_BREAK) if p.strip()]


def edited_content(
    previous: DraftContent,
    texts: dict[str, str],
    profile: Platform,
    verifier: Verifier,
    terms: SensitiveTerms,
) -> DraftContent:
    """The next version: ``previous`` with the variants in ``texts`` replaced."""
    unknown = sorted(set(texts) - set(previous.variants))
    if unknown:  # a language it was not written in: the draft as it is cannot take the edit
        raise ConflictError(
            f"the draft has no {', '.join(unknown)} variant",
            fix=f"edit one of: {', '.join(previous.variants)}",
        )
    variants = dict(previous.variants)
    changed = []
    for code, text in texts.items():
        if len(text) > MAX_TEXT:
            raise InputError(f"the {code} text is over {MAX_TEXT} characters")
        if _key(text) == _key(previous.variants[code].text):
            continue
        variants[code] = _variant(previous.variants[code], text, previous.thread, profile, verifier)
        changed.append(code)
    if not changed:
        raise ConflictError("nothing changed", fix="edit the text of at least one language")
    # a person wrote this version: no backend or model, and only the edit in its stages
    content = replace(previous, variants=variants, flags=[], origin="edited", backend=None,
                      model=None, stages={"edited": changed})  # fmt: skip
    content.flags = assess(content, profile, terms)
    return content


def _variant(
    old: Variant, text: str, thread: bool, profile: Platform, verifier: Verifier
) -> Variant:
    posts = posts_of(text)
    if len(posts) > 1 and not thread:
        raise InputError("this draft is one post: remove the '---' lines")
    if len(posts) > profile.max_posts:
        raise InputError(f"{profile.label} threads have at most {profile.max_posts} posts")
    texts, tags = sentences_in(posts)
    kept = {_key(s.text): s for s in old.sentences}
    sentences: list[PostSentence] = [
        kept.get(_key(t)) or verifier.sentence(t, [], old.language) for t in texts
    ]
    return Variant(
        language=old.language,
        posts=posts,
        sentences=sentences,
        hashtags=tags,
        lengths=[profile.count(p) for p in posts],
        translated=old.translated,
    )
