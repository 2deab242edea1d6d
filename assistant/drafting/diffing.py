"""Word-level differences between two versions of a draft, per language."""

from __future__ import annotations

import difflib
import re
from typing import Any

from assistant.drafting.model import DraftContent

# words with the space after them; CJK characters one by one; any other character alone
_TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u9fff]|[^\W\u3040-\u30ff\u3400-\u9fff]+\s*|\s+|[^\w\s]\s*"
)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def text_diff(old: str, new: str) -> list[dict[str, str]]:
    """``[{"op": "equal" | "delete" | "insert", "text": …}]`` turning ``old`` into ``new``."""
    a, b = _tokens(old), _tokens(new)
    ops: list[dict[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("equal", "delete", "replace") and i2 > i1:
            ops.append({"op": "equal" if tag == "equal" else "delete", "text": "".join(a[i1:i2])})
        if tag in ("insert", "replace") and j2 > j1:
            ops.append({"op": "insert", "text": "".join(b[j1:j2])})
    return ops


def version_diff(old: DraftContent, new: DraftContent) -> dict[str, Any]:
    """Per language: the operations, and whether anything changed."""
    languages = list(dict.fromkeys([*old.variants, *new.variants]))
    result: dict[str, Any] = {}
    for code in languages:
        before = old.variants[code].text if code in old.variants else ""
        after = new.variants[code].text if code in new.variants else ""
        result[code] = {"changed": before != after, "ops": text_diff(before, after)}
    return result
