"""Instructions planted in documents: recognised so they never reach the model as text.

Sources are always fenced as data in the prompt (``prompts.fence_data``) and the system
prompt says to ignore instructions inside them; small models do not always obey, so a
sentence that addresses the assistant is also removed from the context and recorded.
The fixed patterns cover the six UN languages plus German, Portuguese, Japanese and Korean,
and standing orders ("Reply X to every question about Y"); a second rule, in English and
Chinese, catches other wordings that name a machine reader (or its answer) and direct it.
Text is checked with invisible characters removed and look-alike Cyrillic/Greek letters
folded to Latin ("Ign\u200bore", "Ignоre"). Titles and source names are filtered the same
way (:func:`prompt_sources`) and fenced with the text. Anything missed is still fenced, and
a sentence produced from it must pass verification against the sources. The
false-positive rate on real corpora is measured in tests/reliability.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

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
    # "Reply X to every question about Y": a standing order for all future questions
    r"(^|[.:;!?]\s*|\b(please|always|from now on,?)\s+)"
    r"(reply|respond|answer|say|write|state|output)\b.{0,80}\b(to|for|in) (every|all|any|each)"
    r" (future |later |subsequent )?(questions?|quer(y|ies)|requests?|prompts?|users?|"
    r"answers?|repl(y|ies)|responses?)\b",
    r"\b(every|all|any|each) (questions?|quer(y|ies)|requests?) (about|on|regarding|concerning)\b"
    r".{0,60}\b(must|should|shall)\b.{0,20}\b(answer|repl|respon|say)",
    # German
    r"\bignorier\w*\b.{0,40}\b(anweisung|anleitung|instruktion|vorgabe|regel)",
    r"\bvergiss\w*\b.{0,40}\b(anweisung|instruktion|vorgabe|alles)",
    r"\b(neue|vorherige|bisherige|obige) (system)?(anweisungen|instruktionen)\b",
    r"\bdu bist (jetzt|ab jetzt|nun) (ein|eine|der|die|das)\b",
    # Portuguese
    r"\bignor(e|a|ar|em)\b.{0,40}\binstru(ç|c)(ões|oes|ão|ao)",
    r"\besque(ç|c)(a|am|er)\b.{0,40}\binstru(ç|c)",
    r"\binstru(ç|c)(ões|oes) (anteriores|prévias|previas)\b",
    r"\bvoc(ê|e) (agora )?(é|e) agora\b|\ba partir de agora,? voc(ê|e)\b",
    # Japanese
    r"(指示|命令|プロンプト|ルール)(を|は)?(すべて|全て)?無視",
    r"無視して.{0,20}(答え|回答|出力|書)",
    r"(以前|前|上記)の(すべての|全ての)?(指示|命令)",
    r"(あなたは|君は)(今|今から|これから).{0,10}(です|だ|として)",
    r"システムプロンプト",
    # Korean
    r"(지시|지침|명령|프롬프트)(를|을|은|는)?\s*(모두\s*)?무시",
    r"(이전|앞의|위의)\s*(모든\s*)?(지시|지침|명령)",
    r"무시하고\s*.{0,20}(답|대답|출력|말)",
    r"(너는|당신은)\s*(이제|지금부터)",
    r"시스템\s*프롬프트",
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

# A sentence that speaks to a machine reader about what it should output, in any wording:
# it names an automated reader *and* its output *and* directs it. Each part alone is common
# in news ("AI assistants", "must include", "the answer"); all three together are rare.
_MACHINE = (
    r"\b(ai|a\.i\.|artificial intelligence|(ai |virtual |digital )?assistants?|chat ?bots?|"
    r"bots?|(large )?language models?|llms?|gpt[-\w]*|automated (assistants?|systems?|agents?|"
    r"tools?|repl\w*|summar\w*)|summari[sz]ers?)\b|"
    r"人工智能|智能助手|助手|机器人|语言模型|大模型|自动(回复|回答|生成|摘要|总结)|ＡＩ"
)
_OUTPUT = (
    r"\b(answers?|repl(y|ies)|responses?|summar(y|ies)|outputs?|what you (write|say|output)|"
    r"(your|every|each) (answer|reply|response|summary|output|message|sentence))\b|"
    r"回答|回复|答复|总结|摘要|输出|开头|结尾"
)
_DIRECTIVE = (
    r"\b(must|should|shall|always|never|only|please|be sure to|make sure|remember to|"
    r"required|need to|have to|are to|is to)\b|"
    r"(^|[.:;!?]\s*)(put|write|say|reply|respond|answer|include|append|add|start|begin|end|"
    r"output|print|repeat|mention|insert|prepend)\b|"
    r"请|必须|务必|一定要|只(回答|回复|输出|写)|应当|应该"
)
# "when summarising this …, please mention …": the reader's task named instead of the reader
_WHILE_SUMMARISING = (
    r"\bwhen (summari[sz]ing|writing (a|an|your|the) (summary|answer|reply|response)|quoting)\b|"
    r"总结\S{0,12}时"
)
_CONDITIONAL_READER = (
    r"\bif you('re| are) (an? )?(ai|a\.i\.|bot|chat ?bot|assistant|language model|llm)\b|"
    r"(如果|假如)你是\S{0,20}(人工智能|AI|助手|机器人|模型)"
)
_PERSONA = (
    r"\b(pretend (you are|to be)|from now on,? you (are|will be|act)|you will now act|"
    r"roleplay as)\b|假装你是"
)

_FLAGS = re.IGNORECASE | re.DOTALL
_MACHINE_RE = re.compile(_MACHINE, _FLAGS)
_OUTPUT_RE = re.compile(_OUTPUT, _FLAGS)
_DIRECTIVE_RE = re.compile(_DIRECTIVE, _FLAGS)
_WHILE_RE = re.compile(_WHILE_SUMMARISING, _FLAGS)
_ALWAYS_RE = re.compile(f"{_CONDITIONAL_READER}|{_PERSONA}", _FLAGS)


# Characters that hide a word from a pattern without changing how it reads: zero-width
# spaces and joiners, word joiners, soft hyphens, bidirectional marks, variation selectors.
_INVISIBLE = re.compile(
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff]"
)
# Cyrillic and Greek letters drawn like Latin ones ("Ignоre" with a Cyrillic о)
_CONFUSABLES = str.maketrans(
    "АВСЕНІЈКМОРЅТХУаеіјорсѕухԁһԛԝӏΑΒΕΗΙΚΜΝΟΡΤΥΧΖαοντυχιк",
    "ABCEHIJKMOPSTXYaeijopcsyxdhqwlABEHIKMNOPTYXZaovtuxik",
)


def fold_confusables(text: str) -> str:
    """NFKC, invisible characters removed, look-alike Cyrillic/Greek letters as Latin: the
    form in which a disguised instruction reads as what it says."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).translate(_CONFUSABLES)


def looks_like_instruction(sentence: str) -> bool:
    """True when the sentence addresses an AI assistant (or any machine reader) with
    instructions: the fixed patterns above; a persona to adopt or a condition on being an
    AI; a directive given "when summarising"; or a machine reader, its output and a
    directive together.  Checked as written (with invisible characters removed, for the
    Cyrillic patterns) and with look-alike letters folded to Latin."""
    visible = _INVISIBLE.sub("", unicodedata.normalize("NFKC", sentence))
    folded = visible.translate(_CONFUSABLES)
    return _matches(visible) or (folded != visible and _matches(folded))


def withhold_instructions(text: str | None, limit: int = 160) -> str:
    """A short field from a document (a title, a source name) as the model may see it:
    one line, cut to ``limit``, or a neutral placeholder when it carries an instruction."""
    line = " ".join(str(text or "").split())[:limit]
    return "(withheld: instruction-like text)" if line and looks_like_instruction(line) else line


def prompt_sources(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Sources for a prompt template: the title and source name of each filtered like its
    text (they are document content too); the template fences them with the text."""
    return [
        {**item, "title": withhold_instructions(item.get("title"), 80),
         "source": withhold_instructions(item.get("source"), 80)}
        for item in items
    ]  # fmt: skip


def _matches(sentence: str) -> bool:
    if _INSTRUCTION.search(sentence) or _ALWAYS_RE.search(sentence):
        return True
    if not _DIRECTIVE_RE.search(sentence):
        return False
    if _WHILE_RE.search(sentence):
        return True
    return bool(_MACHINE_RE.search(sentence) and _OUTPUT_RE.search(sentence))
