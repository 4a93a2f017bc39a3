"""Generation backends behind one interface, chosen by a string.

``extractive`` answers with the passage sentences closest to the question (no model); any
other name is a litellm model string (``local/qwen2.5-1.5b`` runs in-process, see ``rag.llm``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from rag import llm
from rag.calibration import Calibration
from rag.citations import markers_inside
from rag.config import Settings
from rag.evidence import Evidence
from rag.llm import Reply
from rag.prompts import ABSTAIN_MARK, answer_messages, translate_request

EXTRACTIVE = "extractive"
EXTRACTIVE_TIE = 0.01  # a second passage's sentence this close to the best is quoted too


class Generator(Protocol):
    """Writes a cited answer from evidence; may also write free text (question rewriting)."""

    name: str
    translates: bool
    """True when it writes its own text, so it can draft in the passages' language and
    translate the checked answer; False when it quotes the passages as they are."""

    def answer(self, question: str, evidence: Evidence, language: str) -> Reply:
        """An answer citing passages as ``[n]``, or ``ABSTAIN_MARK``, as it streams."""
        ...

    def write(self, request: str, max_tokens: int) -> str | None:
        """The reply to a free-text request; None when the backend writes no free text."""
        ...

    def translate(self, text: str, source: str, target: str) -> Reply:
        """``text``, an answer with ``[n]`` marks, in language ``target``, as it streams."""
        ...


class LLMGenerator:
    """Any litellm model, including the in-process local one."""

    translates = True

    def __init__(self, model: str, settings: Settings) -> None:
        self.name = model
        self.settings = settings

    def answer(self, question: str, evidence: Evidence, language: str) -> Reply:
        messages = answer_messages(question, evidence, language, self.settings)
        return llm.stream(messages, self.name, self.settings)

    def write(self, request: str, max_tokens: int) -> str | None:
        messages = [{"role": "user", "content": request}]
        return llm.complete(messages, self.name, self.settings, max_tokens=max_tokens)

    def translate(self, text: str, source: str, target: str) -> Reply:
        """Room for the whole translation: an answer completed with passage sentences can
        outgrow ``max_tokens``, and no language here costs under 2 characters a token (Qwen's
        tokenizer reads Indonesian at about 3, English at about 4)."""
        request = translate_request(text, source, target, self.settings)
        messages = [{"role": "user", "content": request}]
        room = max(self.settings.max_tokens, len(text) // 2)
        return llm.stream(messages, self.name, self.settings, max_tokens=room)


class ExtractiveGenerator:
    """No model: the passage sentence closest to the question (and a near-tie from another
    passage), cited; ``ABSTAIN_MARK`` when no sentence is close enough."""

    name = EXTRACTIVE
    translates = False

    def __init__(self, calibration: Calibration) -> None:
        self.calibration = calibration

    def answer(self, question: str, evidence: Evidence, language: str) -> Reply:
        picked = key_sentences(evidence, self.calibration, language)
        if not picked:
            return Reply.whole(ABSTAIN_MARK)
        return Reply.whole(markers_inside(" ".join(cited_sentence(evidence, i) for i in picked)))

    def write(self, request: str, max_tokens: int) -> str | None:
        return None

    def translate(self, text: str, source: str, target: str) -> Reply:
        return Reply.whole(text)  # quotes stay as the passages wrote them (no ``translates``)


def key_sentences(evidence: Evidence, calibration: Calibration, language: str) -> list[int]:
    """The sentences that answer the question (asked in ``language``) by themselves (indices
    into ``evidence.spans``): the closest one, and a near-tie from another passage; none when
    the closest is under the calibration's extractive floor for its language."""
    order = [int(i) for i in np.argsort(-evidence.scores)]
    if not order:
        return []
    first = order[0]
    same = evidence.hit_of(first).language == language
    if evidence.scores[first] < calibration.extractive_floor(same):
        return []
    passage = evidence.spans[first][0]
    other = next((i for i in order[1:] if evidence.spans[i][0] != passage), None)
    if other is not None and evidence.scores[other] >= evidence.scores[first] - EXTRACTIVE_TIE:
        return [first, other]
    return [first]


def cited_sentence(evidence: Evidence, i: int) -> str:
    """Evidence sentence ``i`` followed by its passage's marker."""
    return f"{evidence.sentence(i)} [{evidence.spans[i][0]}]"


def get_generator(name: str, settings: Settings, calibration: Calibration) -> Generator:
    """The backend for ``name``: ``extractive`` or a litellm model string."""
    if name == EXTRACTIVE:
        return ExtractiveGenerator(calibration)
    return LLMGenerator(name, settings)


def generators(model: str, settings: Settings, calibration: Calibration) -> list[Generator]:
    """The model, then the configured fallback (another model, or ``extractive``)."""
    names = dict.fromkeys(m for m in (model, settings.fallback_llm) if m)
    return [get_generator(name, settings, calibration) for name in names]
