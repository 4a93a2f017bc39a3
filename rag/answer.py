"""Cited answers: rewrite the question, retrieve, generate, then check every ``[n]``.

An answer abstains, with a plain "not in the sources" text, when retrieval finds nothing close
enough, when the model says so, when it cites nothing, or when it states a number no passage
holds. Otherwise each valid ``[n]`` becomes a Citation of the passage that supports its claim.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rag.citations import (
    Citation,
    citation,
    cited_numbers,
    parse_citations,
    reattribute,
    strip_markers,
)
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import LLMError
from rag.evidence import Evidence
from rag.generate import Generator, generators
from rag.grounding import ungrounded_numbers
from rag.language import detect_language
from rag.prompts import ABSTAIN_MARK, not_in_sources
from rag.query import search_query
from rag.search import NO_FILTERS, Filters, Hit, Retriever

# On the seeds, English questions: answerable 0.81-0.87 at best, off-topic 0.74-0.785; Indonesian:
# answerable 0.85-0.93, off-topic 0.78-0.795 (Settings.min_similarity is the cross-language floor).
SAME_LANGUAGE_MARGIN = 0.03


@dataclass(frozen=True)
class Answer:
    """An answer with its citations, whether it abstained, and how long each step took."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    model: str
    standalone_question: str = ""
    passages: tuple[Hit, ...] = ()
    invalid_citations: tuple[int, ...] = ()
    """Numbers the model cited that point to no passage (removed from ``text``)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds: rewrite, retrieve, first_token, generate, check, total."""
    abstain_reason: str = ""
    """Why it abstained: ``retrieval`` (nothing close enough), ``declined`` (the model said so),
    ``uncited`` (no valid citation), ``ungrounded`` (a number no passage contains)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "abstained": self.abstained,
            "model": self.model,
            "standalone_question": self.standalone_question,
            "invalid_citations": list(self.invalid_citations),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "abstain_reason": self.abstain_reason,
        }


class Answerer:
    """Turns a question (and its conversation) into a cited Answer; streams it if asked."""

    def __init__(self, settings: Settings, retriever: Retriever, embedder: Embedder) -> None:
        self.settings = settings
        self.retriever = retriever
        self.embedder = embedder

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        model: str | None = None,
        k: int | None = None,
        filters: Filters = NO_FILTERS,
    ) -> Iterator[str | Answer]:
        """Yield text deltas as they are generated, then the final Answer."""
        backends = generators(model or self.settings.llm, self.settings)
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        language = detect_language(question)
        standalone = search_query(question, history, backends, self.settings)
        timings["rewrite"] = time.perf_counter() - clock
        hits = self.retriever.search(standalone, k or self.settings.top_k, filters)
        timings["retrieve"] = time.perf_counter() - clock - timings["rewrite"]
        if not hits or hits[0].similarity < self.relevance_floor(language, hits[0]):
            text = not_in_sources(language, self.settings)
            yield text
            timings["total"] = time.perf_counter() - clock
            yield Answer(
                question,
                text,
                (),
                True,
                backends[0].name,
                standalone,
                tuple(hits),
                (),
                timings,
                "retrieval",
            )
            return
        evidence = Evidence.gather(standalone, hits, self.embedder)
        generated: list[str] = []
        generating = time.perf_counter()
        failures: list[str] = []
        for backend in backends:
            try:
                for delta in backend.answer(question, evidence, language):
                    if not generated:
                        timings["first_token"] = time.perf_counter() - clock
                    generated.append(delta)
                    yield delta
            except LLMError as exc:
                if generated:  # the answer was under way: say so rather than start over
                    raise LLMError(f"{exc} (after {len(generated)} chunks of the answer)") from None
                failures.append(str(exc))
                continue
            break
        else:
            raise LLMError("the language model failed: " + "; ".join(failures))
        timings["generate"] = time.perf_counter() - generating
        checking = time.perf_counter()
        answer = self.finish(question, "".join(generated), evidence, backend, language, standalone)
        timings["check"] = time.perf_counter() - checking
        timings["total"] = time.perf_counter() - clock
        yield replace(answer, timings=timings)

    def ask(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        model: str | None = None,
        k: int | None = None,
        filters: Filters = NO_FILTERS,
    ) -> Answer:
        """The final Answer of ``stream``."""
        final = None
        for item in self.stream(question, history, model, k, filters):
            final = item
        assert isinstance(final, Answer)
        return final

    def relevance_floor(self, language: str, best: Hit) -> float:
        """The similarity the best passage needs: higher when question and article share a
        language, since same-language text always scores higher with e5."""
        same = best.language == language
        return self.settings.min_similarity + (SAME_LANGUAGE_MARGIN if same else 0.0)

    def finish(
        self,
        question: str,
        raw: str,
        evidence: Evidence,
        backend: Generator,
        language: str,
        standalone: str,
    ) -> Answer:
        """Parse and check citations; abstain when the model declined or cited nothing."""
        hits = evidence.hits
        text, cited, invalid = parse_citations(raw.replace(ABSTAIN_MARK, ""), len(hits))
        reason = ""
        if ABSTAIN_MARK in raw.upper().replace(" ", "_") or not text.strip():
            reason = "declined"
        elif not cited:
            reason = "uncited"
        elif ungrounded_numbers(strip_markers(text), question, hits):
            reason = "ungrounded"
        if reason:
            return Answer(
                question,
                not_in_sources(language, self.settings),
                (),
                True,
                backend.name,
                standalone,
                hits,
                tuple(invalid),
                abstain_reason=reason,
            )
        text, support = reattribute(text, evidence, self.embedder)
        citations = tuple(citation(n, evidence, *support[n]) for n in cited_numbers(text))
        return Answer(
            question, text, citations, False, backend.name, standalone, hits, tuple(invalid)
        )
