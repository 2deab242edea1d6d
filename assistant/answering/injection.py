"""Instructions planted in documents: recognised so they never reach the model as text.

Sources are always fenced as data in the prompt (``prompts.fence_data``) and the system
prompt says to ignore instructions inside them; small models do not always obey, so a
sentence that addresses the assistant is also removed from the context and recorded.
The fixed patterns cover the six UN languages; a second rule, in English and Chinese,
catches other wordings that name a machine reader (or its answer) and direct it. Anything
both miss is still fenced, and a sentence produced from it must pass verification against
the sources. The false-positive rate on real corpora is measured in tests/reliability.
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


def looks_like_instruction(sentence: str) -> bool:
    """True when the sentence addresses an AI assistant (or any machine reader) with
    instructions: the fixed patterns above; a persona to adopt or a condition on being an
    AI; a directive given "when summarising"; or a machine reader, its output and a
    directive together."""
    if _INSTRUCTION.search(sentence) or _ALWAYS_RE.search(sentence):
        return True
    if not _DIRECTIVE_RE.search(sentence):
        return False
    if _WHILE_RE.search(sentence):
        return True
    return bool(_MACHINE_RE.search(sentence) and _OUTPUT_RE.search(sentence))
