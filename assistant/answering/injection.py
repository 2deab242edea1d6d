"""Instructions planted in documents: recognised so they never reach the model as text.

Sources are always fenced as data in the prompt (``prompts.fence_data``) and the system
prompt says to ignore instructions inside them; small models do not always obey, so a
sentence that addresses the assistant is also removed from the context and recorded.
The patterns cover the six UN languages; anything they miss is still fenced, and a
sentence produced from it must pass verification against the sources.
"""

from __future__ import annotations

import re

_PATTERNS = [
    # English
    r"\bignore\b.{0,40}\b(instructions?|prompts?|rules|directions)\b",
    r"\bdisregard\b.{0,40}\b(instructions?|prompts?|rules|above|previous)\b",
    r"\bforget\b.{0,30}\b(instructions?|everything|previous|prior)\b",
    r"\b(new|updated|override|overriding) (system )?instructions?\b",
    r"\bsystem prompt\b",
    r"\byou are now\b",
    r"\b(act|behave) as (if|an?|the)\b.{0,30}\b(assistant|ai|model|chatbot)\b",
    r"\b(assistant|ai|model|chatbot|dragoman)\s*[,:]\s*(you must|always|never|say|reply|answer)\b",
    r"\b(respond|reply|answer) (only |always )?with\b",
    # French, Spanish
    r"\bignor(e|ez|er)\b.{0,40}\binstructions?\b",
    r"\boubliez?\b.{0,30}\binstructions?\b",
    r"\bignora\b.{0,40}\binstrucci",
    r"\bolvida\b.{0,30}\binstrucci",
    r"\binstrucciones (anteriores|previas)\b",
    # Russian
    r"игнорир\w*.{0,40}инструкц",
    r"забудь\w*.{0,30}инструкц",
    # Arabic
    r"تجاهل.{0,40}(التعليمات|الأوامر)",
    # Chinese
    r"忽略.{0,20}(指令|指示|提示|说明|要求)",
    r"无视.{0,20}(指令|指示|提示)",
    r"(之前|以上|先前)的(所有)?(指令|指示)",
    r"你现在是",
    r"系统提示",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.DOTALL)


def looks_like_instruction(sentence: str) -> bool:
    """True when the sentence addresses an AI assistant with instructions."""
    return bool(_INSTRUCTION.search(sentence))
