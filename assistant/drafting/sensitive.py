"""The sensitive-terms list: words an official post must not carry, or must carry knowingly.

``block`` terms (classification markings, embargo notices) stop a draft from being
submitted or approved; ``flag`` terms are shown to the approver, who must acknowledge
them.  The shipped list (``sensitive_terms.json``) covers English, French, Spanish,
Russian, Chinese and Arabic; ``DRAGOMAN_DRAFT_SENSITIVE_TERMS`` names a JSON file of the
same shape whose entries are added (an entry with ``"action": "off"`` removes a default).

Matching is case- and width-insensitive (NFKC + casefold).  Chinese and Arabic terms match
anywhere (no spaces between words; Arabic attaches articles and prepositions); other terms
match at a word start with up to four more letters (plurals, case endings), and also inside
hashtags written without spaces (``#TopSecret``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError

ACTIONS = ("block", "flag")
_ANYWHERE = re.compile(r"[\u0600-\u06ff\u3040-\u30ff\u3400-\u9fff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class Term:
    term: str
    action: str
    note: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Hit:
    term: str
    action: str
    note: str
    found: str  # the words as they appear in the text

    def to_dict(self) -> dict[str, str]:
        return {"term": self.term, "action": self.action, "note": self.note, "found": self.found}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _pattern(term: str) -> re.Pattern[str]:
    folded = _fold(term)
    if _ANYWHERE.search(folded):
        return re.compile(re.escape(folded))
    words = folded.split()
    suffix = 3
    if _CYRILLIC.search(words[-1]):  # Russian inflects the ending: match the stem
        words[-1] = words[-1].rstrip("аяеёиоуыэюьй") or words[-1]
        suffix = 4
    spaced = r"\s+".join(map(re.escape, words))
    joined = "".join(map(re.escape, words))  # inside a hashtag: #TopSecret
    return re.compile(rf"(?<!\w)(?:{spaced}|{joined})\w{{0,{suffix}}}(?!\w)")


def _entries(data: Any, origin: str) -> list[dict[str, str]]:
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, list):
        raise ConfigError(f'{origin}: expected {{"terms": [{{"term", "action"}}, …]}}')
    entries = []
    for i, entry in enumerate(terms):
        term = entry.get("term") if isinstance(entry, dict) else None
        action = entry.get("action") if isinstance(entry, dict) else None
        if not isinstance(term, str) or not term.strip() or action not in (*ACTIONS, "off"):
            raise ConfigError(
                f"{origin}: entry {i + 1} needs a 'term' and an 'action' of block, flag or off"
            )
        entries.append({"term": term.strip(), "action": action, "note": str(entry.get("note", ""))})
    return entries


class SensitiveTerms:
    """The list in force: the shipped defaults plus the configured file."""

    def __init__(self, extra_file: Path | None = None) -> None:
        shipped = json.loads(
            files("assistant.drafting").joinpath("sensitive_terms.json").read_text()
        )
        merged = {_fold(e["term"]): e for e in _entries(shipped, "sensitive_terms.json")}
        if extra_file is not None:
            try:
                data = json.loads(Path(extra_file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"cannot read the sensitive-terms file {extra_file}: {exc}",
                    fix="point DRAGOMAN_DRAFT_SENSITIVE_TERMS at a JSON file",
                ) from exc
            for entry in _entries(data, str(extra_file)):
                merged[_fold(entry["term"])] = entry
        self.terms = [
            Term(e["term"], e["action"], e["note"], _pattern(e["term"]))
            for e in merged.values()
            if e["action"] != "off"
        ]

    def check(self, text: str) -> list[Hit]:
        """Every listed term in ``text``, blocking terms first."""
        folded = _fold(text)
        hits = []
        for term in self.terms:
            match = term.pattern.search(folded)
            if match:
                hits.append(Hit(term.term, term.action, term.note, match.group(0)))
        return sorted(hits, key=lambda h: (h.action != "block", h.term))

    def to_list(self) -> list[dict[str, str]]:
        return [{"term": t.term, "action": t.action, "note": t.note} for t in self.terms]
