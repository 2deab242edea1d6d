"""Who speaks in a document, apart from the countries it mentions.

A UN speech by China mentions Ukraine, the United States and forty others; its speaker is
China.  The speaker is what a question like "what did China say about Ukraine?" must be
matched against, and what an answer's "China holds …" must be attributed to.

Speakers are ISO alpha-3 codes for governments (their leaders, ministries and official
outlets) and ``@handle`` for social accounts.  They come from, in order: an explicit
``speaker`` in the document's metadata, a ``country`` assigned at ingest (a filename
pattern such as ``CHN_79_2024.txt``), the institution named as the source (``The White
House``, ``State Council of the PRC``, ``Ministry of Foreign Affairs of Japan``), and for
social posts the posting account.  Otherwise the speaker is unknown (None) and nothing is
claimed about it.
"""

from __future__ import annotations

import re

from assistant.core.errors import InputError
from corpus.countries import countries_in, country_mentions, country_name
from corpus.document import Document

# Government institutions whose names carry no country name.
INSTITUTIONS: dict[str, str] = {
    "white house": "USA",
    "state department": "USA",
    "department of state": "USA",
    "pentagon": "USA",
    "kremlin": "RUS",
    "state council": "CHN",
    "国务院": "CHN",
    "外交部": "CHN",  # Chinese-language source names are the PRC's unless another is named
    "新华社": "CHN",
    "xinhua": "CHN",
    "downing street": "GBR",
    "foreign office": "GBR",
    "élysée": "FRA",
    "elysee": "FRA",
    "quai d'orsay": "FRA",
    "kantei": "JPN",
    "gaimusho": "JPN",
    "itamaraty": "BRA",
}
_GOVERNMENT_WORDS = re.compile(
    r"ministry|government|president|prime minister|embassy|mission|council|office|"
    r"department|chancellery|parliament|政府|部|使馆|大使馆|总统|总理",
    re.IGNORECASE,
)
_ALPHA3 = re.compile(r"^[A-Z]{3}$")
_HANDLE = re.compile(r"^@[\w.-]{1,64}$")
SOCIAL_KINDS = frozenset({"post", "social"})


def _alpha3(value: object) -> str | None:
    code = str(value).strip().upper() if isinstance(value, str) else ""
    if _ALPHA3.match(code) and country_name(code) != code:
        return code
    return None


def source_speaker(source: str | None) -> str | None:
    """The government a source name stands for, if it names one unambiguously."""
    if not source:
        return None
    lowered = source.casefold()
    for name, code in INSTITUTIONS.items():
        if name in lowered:
            return code
    named = countries_in(source)
    if len(named) == 1 and _GOVERNMENT_WORDS.search(source):
        return named[0]
    return None


def actor_mentions(text: str) -> list[tuple[int, str]]:
    """(offset, alpha-3) of every government named in ``text``: countries and the
    institutions that stand for one ("the White House", "国务院"), in order."""
    folded = text.casefold()
    mentions = list(country_mentions(text))
    for name, code in INSTITUTIONS.items():
        at = folded.find(name)
        if at >= 0:
            mentions.append((at, code))
    return sorted(mentions)


def speaker_of(doc: Document) -> str | None:
    """The document's speaker: an alpha-3 code, ``@handle`` or None when unknown."""
    explicit = doc.metadata.get("speaker")
    if isinstance(explicit, str) and explicit.strip():
        return _alpha3(explicit) or explicit.strip()
    assigned = _alpha3(doc.metadata.get("country"))
    if assigned:
        return assigned
    institution = source_speaker(doc.source)
    if institution:
        return institution
    if doc.kind in SOCIAL_KINDS and doc.author:
        handle = doc.author.strip().lstrip("@")
        return f"@{handle}" if handle else None
    return None


JOINT = re.compile(r"\bjoint (?:statement|declaration|communiqu)|联合声明|共同声明", re.IGNORECASE)


def speakers_of(doc: Document) -> list[str]:
    """Every government that speaks in the document: its speaker and, for a joint
    statement, the countries its title names ("Joint Statement on U.S.-China …")."""
    primary = speaker_of(doc)
    speakers = [primary] if primary else []
    if primary and not primary.startswith("@") and JOINT.search(doc.title):
        speakers += [c for c in countries_in(doc.title) if c not in speakers]
    return speakers


def parse_speaker(text: str, name: str = "speaker") -> str:
    """A speaker as a filter names it: an ISO 3166 alpha-3 code (any case) or an @handle."""
    code = _alpha3(text)
    if code:
        return code
    if _HANDLE.match(text.strip()):
        return text.strip()
    raise InputError(
        f"{name} expects an ISO 3166 alpha-3 code or an @handle, not {text!r}",
        fix="e.g. CHN for China's government, @mfa_china for a social account",
    )


def speaker_key(speaker: str) -> str:
    """The chunk-metadata key marking a speaker (Chroma metadata values are scalars)."""
    return "s_" + re.sub(r"[^0-9A-Za-z_]", "_", speaker)


def speaker_label(speaker: str | None) -> str:
    """A reader's name for a speaker ("China", "@mfa_china", "unknown")."""
    if not speaker:
        return "unknown"
    return speaker if speaker.startswith("@") else country_name(speaker)
