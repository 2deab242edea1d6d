"""Stage 3 of a briefing: each story's headline, verified summary, quotes and voices.

The model writes a headline and 2–4 sentences from the story's lead passages (constrained
JSON on the embedded backends).  Every sentence goes through the grounded-answers
verifier against the passages it cites; a sentence that fails is dropped and recorded.
When fewer than two survive, the summary is completed with the lead sentences of the
story's documents, quoted verbatim and cited (``origin: extractive``), verified the same
way, and checked without the model for what it states that its passages do not
(``grounding.fidelity``: 1256万 is not "1256 million") and for its language.  A
headline with a number or country the sources do not give, or that does not name the
government speaking in the lead document (prefixed when it names no one, refused when it
names another), is replaced by the lead document's title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.briefing.model import Quote, Sentence, Story, Voice
from assistant.briefing.stories import Cluster
from assistant.briefing.stories import authority as _authority
from assistant.core.errors import LLMOutputError
from assistant.grounding.disagreement import find_disagreements
from assistant.grounding.fidelity import SUMMARY, fidelity_losses
from assistant.grounding.generation import answer_schema, language_name, repeats, structured
from assistant.grounding.injection import prompt_sources
from assistant.grounding.passages import PassageBook, clean, language_of, lead_spans, quotations
from assistant.grounding.purity import sentence_impurity
from assistant.grounding.stages import DraftSentence, Passage
from assistant.grounding.turns import run_now
from assistant.grounding.verify import SupportJudge, support_score, verify_sentence
from assistant.llm.client import LLM
from corpus.countries import countries_in, country_name_in
from corpus.document import Document
from corpus.speakers import speakers_of
from prompts import render

PASSAGES_PER_STORY = 4
HEADLINE_CHARS = 120
MIN_SENTENCES = 2
MAX_QUOTES = 2
MAX_VOICES = 6


@dataclass
class StoryWriter:
    llm: LLM
    judge: SupportJudge
    threshold: float
    language: str
    max_sentences: int
    book: PassageBook
    turn: Any = run_now  # an LLMTurn

    def write(self, cluster: Cluster, rank: int) -> Story:
        docs = _representatives(cluster)
        shares = max(1, PASSAGES_PER_STORY // len(docs))
        numbers = [self.book.add(d, spans) for d in docs if (spans := lead_spans(d, shares))]
        story = _skeleton(cluster, rank)
        headline, drafted, rejected = self._draft(numbers)
        story.sentences, failed = self._verified(drafted, numbers)
        story.rejected = rejected + failed
        if len(story.sentences) < MIN_SENTENCES:
            story.sentences = self._completed(story.sentences, numbers)
        story.headline, story.headline_language = self._headline(headline, numbers, docs[0])
        story.quotes = self._quotes(cluster)
        passages = list(self.book.for_verification(numbers).values())
        story.disagreements = [d.to_dict() for d in find_disagreements(passages)]
        story.voices = self._voices(cluster, numbers)
        return story

    def _draft(self, numbers: list[int]) -> tuple[str | None, list[DraftSentence], list[Any]]:
        if not numbers:
            return None, [], []
        local = {i + 1: n for i, n in enumerate(numbers)}
        sources = [
            {**vars(self.book.get(n)), "n": i, "text": self.book.get(n).quote}
            for i, n in local.items()
        ]
        user = render(
            "brief_story_user.j2",
            sources=prompt_sources(sources),
            min_sentences=MIN_SENTENCES,
            max_sentences=self.max_sentences,
            language_name=language_name(self.language),
            cross_lingual=any(self.book.get(n).language != self.language for n in numbers),
        )
        schema = story_schema(len(numbers), self.max_sentences)
        try:
            generation = structured(self.llm, self.turn, user, schema=schema, max_tokens=400,
                                    system_template="brief_story_system.j2")  # fmt: skip
        except LLMOutputError as exc:
            return None, [], [{"text": None, "reasons": [f"unusable model output: {exc}"]}]
        data = generation.data
        sentences = [
            DraftSentence(s["text"].strip(), [local[c] for c in dict.fromkeys(s["citations"])])
            for s in data["sentences"]
            if s["text"].strip()
        ]
        return data["headline"].strip(), sentences, []

    def _verified(
        self, drafted: list[DraftSentence], numbers: list[int]
    ) -> tuple[list[Sentence], list[dict[str, Any]]]:
        passages = self.book.for_verification(numbers)
        kept: list[Sentence] = []
        failed: list[dict[str, Any]] = []
        for draft in drafted:
            language = language_of(draft.text, self.language)
            verdict = verify_sentence(
                draft,
                passages,
                language=language,
                judge=self.judge,
                threshold=self.threshold,
            )
            lost = self._lost(draft.text, language, verdict.citations, passages)
            if any(repeats(draft.text, s.text) for s in kept):
                failed.append({"text": draft.text, "reasons": ["repeats an earlier sentence"]})
            elif lost:
                failed.append({"text": draft.text, "reasons": lost})
            elif verdict.supported:
                kept.append(
                    Sentence(
                        draft.text,
                        language,
                        verdict.citations,
                        round(verdict.support_score, 3),
                        "generated",
                    )
                )
            else:
                failed.append({"text": draft.text, "reasons": verdict.reasons})
        return kept, failed

    def _lost(
        self, text: str, language: str, citations: list[int], passages: dict[int, Passage]
    ) -> list[str]:
        """What the sentence states that its cited passages do not (numbers with their
        magnitude, dates, countries, names, a listed claim word turned to its opposite),
        and a sentence not in the briefing's language: checked without the model."""
        cited = [passages[n] for n in citations if n in passages]
        reasons = []
        impurity = sentence_impurity(text, self.language)
        if impurity:
            reasons.append(impurity)
        if cited:
            evidence = "\n".join(f"{p.title}\n{p.quote}" for p in cited)
            losses = fidelity_losses(
                text, evidence, SUMMARY, output_language=language, source_language=cited[0].language
            )
            reasons += [f"fidelity: {loss.message}" for loss in losses]
        return reasons

    def _completed(self, kept: list[Sentence], numbers: list[int]) -> list[Sentence]:
        """Add verbatim lead sentences (verified too) until the summary has two."""
        for n in numbers:
            passage = self.book.get(n)
            doc = self.book.document(passage.doc_id)
            for start, end in passage.spans:
                if len(kept) >= MIN_SENTENCES:
                    return kept
                text = clean(doc.text[start:end])
                if any(repeats(text, s.text) for s in kept):
                    continue
                verdict = verify_sentence(
                    DraftSentence(text, [n]), self.book.for_verification([n]),
                    language=doc.language, judge=self.judge, threshold=self.threshold,
                )  # fmt: skip
                if verdict.supported:
                    score = round(verdict.support_score, 3)
                    kept.append(Sentence(text, doc.language, [n], score, "extractive"))
        return kept

    def _headline(self, drafted: str | None, numbers: list[int], lead: Document) -> tuple[str, str]:
        """The model's headline if its sources support it, it keeps their facts and it
        names who speaks (else the lead document's title)."""
        if drafted and numbers:
            evidence = "\n".join(self.book.get(n).quote for n in numbers)
            titles = "\n".join(self.book.get(n).title for n in numbers)
            # same_language=False: a title-case headline is not a list of names
            supported = support_score(drafted, evidence, False, self.judge) >= self.threshold
            language = language_of(drafted, self.language)
            losses = fidelity_losses(
                drafted,
                f"{titles}\n{evidence}",
                SUMMARY,
                output_language=language,
                source_language=lead.language,
            )
            named = with_speaker(drafted, lead, language)
            if supported and not losses and named:
                return named, language
        title = (
            lead.title if len(lead.title) <= HEADLINE_CHARS else lead.title[:HEADLINE_CHARS] + "…"
        )
        return title, lead.language

    def _quotes(self, cluster: Cluster) -> list[Quote]:
        quotes: list[Quote] = []
        for doc in sorted(cluster.originals, key=_authority):
            found = quotations(doc)
            if found and len(quotes) < MAX_QUOTES:
                words, span = found[0]
                quotes.append(Quote(words, doc.language, self.book.add(doc, [span]), doc.source))
        return quotes

    def _voices(self, cluster: Cluster, numbers: list[int]) -> list[Voice]:
        cited = {self.book.get(n).doc_id: n for n in numbers}
        voices: list[Voice] = []
        seen: set[str | None] = set()
        for doc in sorted(cluster.originals, key=_authority):
            if doc.source in seen or len(voices) >= MAX_VOICES:
                continue
            seen.add(doc.source)
            voices.append(
                Voice(
                    doc.source,
                    doc.kind,
                    doc.language,
                    doc.countries_mentioned,
                    doc.title,
                    doc.doc_id,
                    cited.get(doc.doc_id),
                )
            )
        return voices


def with_speaker(headline: str, lead: Document, language: str) -> str | None:
    """The headline naming the government that speaks in the lead document: as it is when
    it names it, prefixed with its name when it names no other country, None when it puts
    the words in another's mouth (India speaking, "UN warns")."""
    speakers = [s for s in speakers_of(lead) if not s.startswith("@")]
    if not speakers:
        return headline
    speaker = speakers[0]
    named = set(countries_in(headline))
    if speaker in named or country_name_in(speaker, language).casefold() in headline.casefold():
        return headline
    if named or ACTORS.search(headline):
        return None
    return f"{country_name_in(speaker, language)}: {headline}"


# Bodies a headline may put words in the mouth of, in the six languages.
ACTORS = re.compile(
    r"(?<![^\W\d_])(?:UN|U\.N\.|United Nations|ONU|Nations unies|Naciones Unidas|ООН|"
    r"الأمم المتحدة|联合国|EU|European Union|UE|Union européenne|Unión Europea|ЕС|"
    r"الاتحاد الأوروبي|欧盟|NATO|OTAN|НАТО|الناتو|北约|WHO|OMS|ВОЗ|世卫组织|IMF|FMI|МВФ|"
    r"国际货币基金组织|World Bank|Banque mondiale|Banco Mundial|Всемирный банк|世界银行)"
    r"(?![^\W\d_])"
)


def story_schema(passages: int, max_sentences: int) -> dict[str, Any]:
    """The answer schema's cited sentences (at least one), with a headline."""
    sentences = {**answer_schema(passages, max_sentences)["properties"]["sentences"], "minItems": 1}
    return {
        "type": "object",
        "properties": {
            "headline": {"type": "string", "minLength": 3, "maxLength": 140},
            "sentences": sentences,
        },
        "required": ["headline", "sentences"],
    }


def _representatives(cluster: Cluster) -> list[Document]:
    """Up to four documents, one per source first, most authoritative first."""
    ordered = sorted(cluster.originals, key=_authority)
    chosen: list[Document] = []
    sources: set[str | None] = set()
    for doc in ordered:
        if doc.source not in sources:
            chosen.append(doc)
            sources.add(doc.source)
    chosen += [d for d in ordered if d not in chosen]
    return chosen[:PASSAGES_PER_STORY]


def _skeleton(cluster: Cluster, rank: int) -> Story:
    stamps = sorted(d.published_at.isoformat() for d in cluster.members if d.published_at)
    return Story(
        story_id=cluster.story_id,
        rank=rank,
        salience=cluster.salience,
        salience_parts=dict(cluster.parts or {}),
        volume=len(cluster.members),
        doc_ids=[d.doc_id for d in cluster.members],
        sources=cluster.sources,
        languages=cluster.languages,
        kinds=sorted({d.kind for d in cluster.members}),
        countries=cluster.countries,
        first_seen=stamps[0] if stamps else None,
        last_seen=stamps[-1] if stamps else None,
    )
