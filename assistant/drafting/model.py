"""What a draft is made of: the request, its sentences, one variant per language, flags.

A :class:`DraftContent` is what one version of a draft stores (as JSON): the variants'
posts as they will be published, each sentence with the sources it rests on and its
verdict, the numbered passages those sources are, and every flag the checks raised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.core.errors import InputError

LANGUAGES = ("en", "zh", "fr", "es", "ru", "ar")
TONES = {
    "formal": "formal and measured, as an official statement",
    "warm": "warm and people-centred, still official",
    "firm": "firm and direct, never insulting",
}
MAX_INSTRUCTION = 2000
MAX_DOCS = 10

# severities: "block" stops submission and approval; "warn" needs the approver's acknowledgement
BLOCK, WARN = "block", "warn"
RESOLVE = "resolve"  # a fact the translation loses: the approver resolves each, by its id
THREAD_BREAK = "\n---\n"


@dataclass
class DraftRequest:
    """``dragoman draft "INSTRUCTION" --platform P --lang L1,L2 --tone T --from-doc ID``."""

    instruction: str
    platform: str
    languages: list[str] = field(default_factory=lambda: ["en"])
    tone: str = "formal"
    doc_ids: list[str] = field(default_factory=list)
    thread: bool = False
    # whose request: a document above this clearance is "no such document" (never confirmed)
    reader_clearance: str = "restricted"

    def check(self) -> None:
        """Refuse bad input before any model call."""
        if not self.instruction.strip():
            raise InputError("the instruction is empty", fix='dragoman draft "what to post about"')
        if len(self.instruction) > MAX_INSTRUCTION:
            raise InputError(f"the instruction is over {MAX_INSTRUCTION} characters")
        unknown = [code for code in self.languages if code not in LANGUAGES]
        if unknown or not self.languages:
            raise InputError(
                f"unsupported language(s): {', '.join(unknown) or '(none)'}",
                fix=f"use some of: {','.join(LANGUAGES)}",
            )
        if len(set(self.languages)) != len(self.languages):
            raise InputError("a language is named twice", fix="name each language once")
        if self.tone not in TONES:
            raise InputError(f"unknown tone {self.tone!r}", fix=f"use one of: {', '.join(TONES)}")
        if len(self.doc_ids) > MAX_DOCS:
            raise InputError(f"at most {MAX_DOCS} source documents per draft")


@dataclass
class Flag:
    """Something the approver must see: ``kind``, ``severity`` (block | warn | resolve),
    where; ``id`` names a flag to resolve (stable across versions with the same text)."""

    kind: str
    severity: str
    message: str
    language: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass
class PostSentence:
    """One sentence of a variant, the passages it cites and whether they support it."""

    text: str
    citations: list[int]
    supported: bool
    score: float
    reasons: list[str] = field(default_factory=list)
    source: int | None = None  # in a translation: the primary sentence it translates


@dataclass
class Variant:
    """The message in one language, fitted to the platform: one post or a thread."""

    language: str
    posts: list[str]
    sentences: list[PostSentence]
    hashtags: list[str]
    lengths: list[int]
    translated: bool = False  # a translation of the primary variant
    truncated: bool = False
    dropped: list[int] = field(default_factory=list)  # sentences that did not fit

    @property
    def text(self) -> str:
        """The posts as the editor shows them: a thread's posts between ``---`` lines."""
        return THREAD_BREAK.join(self.posts)


@dataclass
class DraftContent:
    """One version of a draft."""

    platform: str
    languages: list[str]
    tone: str
    instruction: str
    thread: bool
    variants: dict[str, Variant]
    passages: list[dict[str, Any]]
    flags: list[Flag]
    origin: str  # generated | edited
    backend: str | None = None
    model: str | None = None
    stages: dict[str, Any] = field(default_factory=dict)  # raw model output, rejected tries
    licences: list[dict[str, Any]] = field(default_factory=list)  # what its labels rest on

    @property
    def blocking(self) -> list[Flag]:
        return [f for f in self.flags if f.severity == BLOCK]

    @property
    def warnings(self) -> list[Flag]:
        return [f for f in self.flags if f.severity == WARN]

    @property
    def to_resolve(self) -> list[Flag]:
        """Fidelity and language warnings: each one edited away or acknowledged by id."""
        return [f for f in self.flags if f.severity == RESOLVE]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for code, variant in self.variants.items():
            data["variants"][code]["text"] = variant.text
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DraftContent:
        variants = {}
        for code, v in data["variants"].items():
            sentences = [PostSentence(**s) for s in v["sentences"]]
            fields = {k: v[k] for k in ("posts", "hashtags", "lengths", "translated", "truncated")}
            variants[code] = Variant(
                language=code, sentences=sentences, dropped=v.get("dropped", []), **fields
            )
        return cls(
            platform=data["platform"],
            languages=data["languages"],
            tone=data["tone"],
            instruction=data["instruction"],
            thread=data["thread"],
            variants=variants,
            passages=data["passages"],
            flags=[Flag(**f) for f in data["flags"]],
            origin=data["origin"],
            backend=data.get("backend"),
            model=data.get("model"),
            stages=data.get("stages", {}),
            licences=data.get("licences", []),
        )
