"""Cited answers: rewrite the question, retrieve, generate, then check every ``[n]``.

``stream`` yields the Sources (each passage the model will read, with its sentence closest to
the question) before the model starts, then the model's text, then the checked Answer. Every
claim of the answer is checked against the passages: a marker moves to the passage that
supports its claim, a claim no passage supports is dropped. An answer abstains, with a plain
"not in the sources" text, when retrieval finds nothing close enough, when the model says so,
when no claim is supported, or when it states a number (or, in the passages' own language, a
name) no passage holds. A claim the model left uncited gets the passage that supports it, and a
sentence in the answer's language that answers the question by itself but that the answer left
out is added, cited, so a weak model's answer still carries the evidence.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rag.calibration import Calibration
from rag.citations import (
    Checked,
    Citation,
    check,
    citation,
    cited_numbers,
    markers_inside,
    parse_citations,
    strip_markers,
)
from rag.config import Settings
from rag.embed import Embedder
from rag.errors import LLMError
from rag.evidence import Evidence
from rag.generate import Generator, cited_sentence, generators, key_sentences
from rag.grounding import anchors, names_held, restates, ungrounded
from rag.language import detect_language
from rag.prompts import ABSTAIN_MARK, declines, not_in_sources
from rag.query import search_query
from rag.search import NO_FILTERS, Filters, Hit, Retriever


@dataclass(frozen=True)
class Sources:
    """What the answer will draw on, known before the model writes: each passage it reads, with
    the passage's sentence closest to the question as ``quote``."""

    question: str
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "citations": [c.to_dict() for c in self.citations]}


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
    """Why it abstained: ``retrieval`` (nothing close enough), ``names`` (the passages lack most
    of what the question names), ``declined`` (the model said so),
    ``unsupported`` (no claim supported by a passage), ``ungrounded`` (a number, or a name
    in an untranslated answer, that no passage contains)."""
    dropped: tuple[str, ...] = ()
    """Claims of the model's text that no passage supports, or that only repeat the question
    (removed from ``text``)."""
    draft: str = ""
    """The model's text as it wrote it, before the checks ("" when the model was not asked)."""

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
            "dropped": list(self.dropped),
            "draft": self.draft,
        }


class Answerer:
    """Turns a question (and its conversation) into a cited Answer; streams it if asked."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        embedder: Embedder,
        calibration: Calibration,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.embedder = embedder
        self.calibration = calibration

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        model: str | None = None,
        k: int | None = None,
        filters: Filters = NO_FILTERS,
    ) -> Iterator[str | Sources | Answer]:
        """Yield the Sources, then text deltas as they are generated, then the final Answer."""
        backends = generators(model or self.settings.llm, self.settings, self.calibration)
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        language = detect_language(question)
        standalone = search_query(question, history, backends, self.settings)
        timings["rewrite"] = time.perf_counter() - clock
        hits = self.retriever.search(standalone, k or self.settings.top_k, filters)
        timings["retrieve"] = time.perf_counter() - clock - timings["rewrite"]
        reason = self.unanswerable(standalone, hits, language)
        if reason:
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
                reason,
            )
            return
        evidence = Evidence.gather(standalone, hits, self.embedder)
        yield Sources(
            question,
            tuple(citation(n, evidence, evidence.best(n), False) for n in evidence.numbers),
        )
        timings["sources"] = time.perf_counter() - clock
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
        draft = "".join(generated)
        answer = self.finish(question, draft, evidence, backend, language, standalone)
        timings["check"] = time.perf_counter() - checking
        timings["total"] = time.perf_counter() - clock
        yield replace(answer, timings=timings, draft=draft)

    def unanswerable(self, question: str, hits: Sequence[Hit], language: str) -> str:
        """Why the passages cannot answer, judged before the model is asked: ``retrieval``
        (the best passage is under the floor) or ``names`` (passages in the question's
        language lack most of what it names); "" when the model should be asked."""
        if not hits or hits[0].similarity < self.calibration.floor(hits[0].language == language):
            return "retrieval"
        untranslated = all(hit.language == language for hit in hits)
        if untranslated and names_held(question, hits) < self.calibration.names_held:
            return "names"
        return ""

    def finish(
        self,
        question: str,
        raw: str,
        evidence: Evidence,
        backend: Generator,
        language: str,
        standalone: str,
    ) -> Answer:
        """Parse and check citations and claims; abstain when nothing checked remains."""
        hits = evidence.hits
        text, _, invalid = parse_citations(raw.replace(ABSTAIN_MARK, ""), len(hits))
        checked = check(text, evidence, self.embedder, self.calibration)
        echo = bool(checked.text) and restates(strip_markers(checked.text), question, standalone)
        if echo:  # it repeats the question: only the sentences that answer it can stand in
            checked = Checked("", {}, (*checked.dropped, checked.text))
        added = self.missed(checked, evidence, language)
        untranslated = all(hit.language == language for hit in hits)
        reason = ""
        if declines(raw) or not text.strip():
            reason = "declined"
        elif ungrounded(strip_markers(text), question, hits, untranslated):
            reason = "ungrounded"  # a model that invents a number or a name is not trusted
        elif not checked.text and not (echo and added):
            reason = "unsupported"
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
                dropped=checked.dropped,
            )
        supported = self.calibration.supported
        quoted = {n: (i, score >= supported) for n, (i, score) in checked.support.items()}
        text = checked.text
        for i in added:
            text = markers_inside(f"{text} {cited_sentence(evidence, i)}".lstrip())
            quoted[evidence.spans[i][0]] = (i, True)  # the sentence that answers is the quote
        citations = tuple(citation(n, evidence, *quoted[n]) for n in cited_numbers(text))
        return Answer(
            question,
            text,
            citations,
            False,
            backend.name,
            standalone,
            hits,
            tuple(invalid),
            dropped=checked.dropped,
        )

    def missed(self, checked: Checked, evidence: Evidence, language: str) -> list[int]:
        """The sentences in the answer's language that answer the question by themselves (the
        extractive answer) and that the checked answer neither draws on nor restates: their
        names and numbers are not in it.

        Only sentences in the answer's language: on the seed set, having the model translate
        the English questions' sentences made 1 more of 34 answers right, cost a second model
        call (answer p95 18 s -> 37 s) and cited wrong passages (cross-language sentence
        matching is weaker), while the Indonesian answers gained 7 of 31.
        """
        drawn_on = {i for i, _ in checked.support.values()}
        said = anchors(strip_markers(checked.text))
        return [
            i
            for i in key_sentences(evidence, self.calibration, language)
            if evidence.hit_of(i).language == language
            and i not in drawn_on
            and not anchors(evidence.sentence(i)) <= said
        ]
