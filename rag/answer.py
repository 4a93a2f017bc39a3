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

A model answers in the language most passages are written in, where it copies names and facts
instead of translating them as it reads, and where the checks and the completing compare like
with like; the checked answer is then translated into the question's language (streamed), and
kept as written, with a note, when the translation loses a mark, a number or a day, fails the
check, or leaves a sentence in the passages' language; a word it left so is named in a note.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator as Generator_
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rag.calibration import Calibration
from rag.chunk import sentences
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
from rag.grounding import (
    anchors,
    figures,
    names,
    names_held,
    names_named_in,
    negated,
    quantity_missing,
    restates,
    ungrounded,
    weekdays,
)
from rag.language import (
    capitals_mark_names,
    detect_language,
    left_whole,
    question_language,
    untranslated,
)
from rag.lexical import tokenize
from rag.prompts import ABSTAIN_MARK, declines, localized, not_in_sources
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
    """Seconds: rewrite, retrieve, sources, first_token, generate, check, translate (when the
    answer was written in the passages' language), total."""
    abstain_reason: str = ""
    """Why it abstained: ``retrieval`` (nothing close enough), ``names`` (the passages lack most
    of what the question names, or no article names one of them), ``declined`` (the model said so),
    ``unsupported`` (no claim supported by a passage), ``ungrounded`` (a number, or a name
    in an untranslated answer, that no passage contains)."""
    dropped: tuple[str, ...] = ()
    """Claims of the model's text that no passage supports, or that only repeat the question
    (removed from ``text``)."""
    draft: str = ""
    """The model's text as it wrote it, before the checks and any translation ("" when the
    model was not asked)."""

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


def language_note(text: str, sources: Iterable[str], target: str, settings: Settings) -> str:
    """The note a ``text`` in ``target`` needs about the ``sources`` languages' words in it: that
    it quotes the articles in their language (most of its words are theirs, as in an extractive
    answer or a summary's lines), or which words it left untranslated; empty when none."""
    languages = [source for source in dict.fromkeys(sources) if source and source != target]
    if any(left_whole(text, source, target) for source in languages):
        return localized("quoted", target, settings)
    left = dict.fromkeys(w for source in languages for w in untranslated(text, source, target))
    if not left:
        return ""
    return localized("untranslated_words", target, settings, words=", ".join(left))


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
        language = question_language(question)
        standalone = search_query(question, history, backends, self.settings)
        timings["rewrite"] = time.perf_counter() - clock
        hits = self.retriever.search(standalone, k or self.settings.top_k, filters)
        timings["retrieve"] = time.perf_counter() - clock - timings["rewrite"]
        reason = self.unanswerable(standalone, hits, language)
        if reason:
            text = not_in_sources(language, self.settings)
            unseen = self.unmentioned(standalone, hits) if reason == "names" else []
            if unseen:  # say which, so that a misspelt name can be put right
                listed = ", ".join(unseen)
                text += " " + localized("not_mentioned", language, self.settings, names=listed)
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
            drafting = self.drafting_language(backend, evidence, language)
            reply = backend.answer(standalone, evidence, drafting)
            try:
                for delta in reply:
                    generated.append(delta)
                    if drafting == language:
                        timings.setdefault("first_token", time.perf_counter() - clock)
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
        written = self.written_language(draft, drafting, language)
        if written == language != drafting:  # held back while its language was unknown
            timings.setdefault("first_token", time.perf_counter() - clock)
            yield draft
        finished = without_cut_sentence(draft) if reply.cut_off else draft
        answer = self.finish(question, finished, evidence, backend, standalone, language, written)
        timings["check"] = time.perf_counter() - checking
        if written != language:
            translating = time.perf_counter()
            answer = yield from self.translated(
                answer, evidence, backend, written, language, clock, timings
            )
            timings["translate"] = time.perf_counter() - translating
        elif not answer.abstained:  # written in the question's language, asked to or not
            answer = self.with_language_note(answer, drafting, language)
        timings["total"] = time.perf_counter() - clock
        yield replace(answer, timings=timings, draft=draft)

    @staticmethod
    def drafting_language(backend: Generator, evidence: Evidence, language: str) -> str:
        """The language the model answers in before any translation: the one most passages are
        in, when the backend translates (a model reads and checks best in the passages' own
        words), else the question's."""
        return (evidence.language or language) if backend.translates else language

    @staticmethod
    def written_language(draft: str, drafting: str, asked: str) -> str:
        """The language ``draft`` is checked in: the one it was drafted in, unless the model
        answered in the question's language ``asked`` anyway."""
        in_drafting = drafting != asked and detect_language(draft) == drafting
        return drafting if in_drafting else asked

    def translated(
        self,
        answer: Answer,
        evidence: Evidence,
        backend: Generator,
        source: str,
        target: str,
        clock: float,
        timings: dict[str, float],
    ) -> Generator_[str, None, Answer]:
        """Stream the checked ``answer`` translated from ``source`` into ``target`` and return
        it. The translation must keep the answer's ``[n]`` marks, numbers (a date may change
        form: "26/7/2023" as "July 26, 2023"), days of the week (on the seed set the model
        rendered "Sabtu", Saturday, as "Sunday") and any denial or negation, and each of its
        sentences must pass the claim check and be translated; otherwise (or when the model
        fails) the checked answer stays as written, with a note saying so, rather than
        mistranslated. Single words left in ``source`` are named in a note."""
        if answer.abstained:
            return answer
        pieces: list[str] = []
        reply = backend.translate(answer.text, source, target)
        try:
            for delta in reply:
                timings.setdefault("first_token", time.perf_counter() - clock)
                pieces.append(delta)
                yield delta
        except LLMError:
            pieces = []
        text, _, invalid = parse_citations("".join(pieces), len(evidence.hits))
        text = markers_inside(text.strip())
        kept = (
            text
            and not reply.cut_off
            and not invalid
            and set(cited_numbers(text)) == set(cited_numbers(answer.text))
            and figures(strip_markers(text)) == figures(strip_markers(answer.text))
            and weekdays(text) == weekdays(answer.text)
            and negated(text) == negated(answer.text)
            and not check(text, evidence, self.embedder, self.calibration).dropped
            and not any(left_whole(text[s:e], source, target) for s, e in sentences(text))
        )
        if not kept:
            note = localized("not_translated", target, self.settings)
            return replace(answer, text=f"{answer.text}\n\n{note}")
        return self.with_language_note(replace(answer, text=text), source, target)

    def with_language_note(self, answer: Answer, drafted: str, target: str) -> Answer:
        """``answer``, written in ``target``, with the note ``language_note`` gives for words of
        the language it was drafted in or of a passage it cites (the model does not know them:
        asked again, or for a gloss, it gives them back; or it copied them from the passage)."""
        cited = [c.passage.language for c in answer.citations]
        note = language_note(answer.text, [drafted, *cited], target, self.settings)
        return replace(answer, text=f"{answer.text}\n\n{note}") if note else answer

    def unanswerable(self, question: str, hits: Sequence[Hit], language: str) -> str:
        """Why the passages cannot answer, judged before the model is asked: ``retrieval``
        (the best passage is under the floor, and no passage holds all the question's names)
        or ``names`` (passages in the question's language lack most of what it names, or no
        indexed article names one of its names); "" when the model should be asked.

        Passages under the floor still count when one of them holds, word for word, every
        name the question asks about: the embedder scores short questions about a rare name low
        ("Apakah kepanjangan dari Aptindo?"). Of all 311 FacQA dev questions 8 fall under the
        floor, and for 7 of them a retrieved passage holds all their names; of the 253
        unanswerable questions under it (FacQA's asked of the seeds, the seed set's of FacQA)
        none has such a passage.

        A name the whole index never holds means the articles are about something else. On the
        FacQA index, 26 of the 62 seed questions name Shoigu, Vladivostok, Putin or KCNA, which
        FacQA never mentions; no answerable question of the seed set or of the 80 FacQA ones
        names what its index lacks (4 of all 311 FacQA dev questions do: names from the article
        around the passage, such as "AKR Corporindo"). Names are compared in the question's
        own language only, as the share is ("China" is "Cina"), and not in German, where a
        capital marks every noun ("Mit welchem Ergebnis verlor München ...?").
        """
        if not hits:
            return "retrieval"
        same = hits[0].language == language
        if hits[0].similarity < self.calibration.floor(same) and not (
            same and capitals_mark_names(language) and names_named_in(question, hits)
        ):
            return "retrieval"
        if not all(hit.language == language for hit in hits) or not capitals_mark_names(language):
            return ""
        if names_held(question, hits) < self.calibration.names_held:
            return "names"
        return "names" if self.unmentioned(question, hits) else ""

    def unmentioned(self, question: str, hits: Sequence[Hit]) -> list[str]:
        """The question's names, as it writes them, that no indexed article holds (the
        retrieved ``hits``' titles count as held: BM25 indexes passage text only)."""
        unseen = self.retriever.unseen(" ".join(names(question)))
        unseen -= set(tokenize(" ".join(hit.title for hit in hits)))
        written = re.findall(r"\w[\w\-]*", question)
        return list(dict.fromkeys(w for w in written if unseen & set(tokenize(w))))

    def finish(
        self,
        question: str,
        raw: str,
        evidence: Evidence,
        backend: Generator,
        standalone: str,
        asked: str,
        written: str,
    ) -> Answer:
        """Parse and check citations and claims of ``raw`` (written in language ``written``);
        abstain, in the question's language ``asked``, when nothing checked remains."""
        hits = evidence.hits
        text, _, invalid = parse_citations(raw.replace(ABSTAIN_MARK, ""), len(hits))
        checked = check(text, evidence, self.embedder, self.calibration)
        claims = strip_markers(checked.text)
        off_question = bool(claims) and (
            restates(claims, question, standalone) or quantity_missing(claims, question, standalone)
        )
        if off_question:  # it repeats or misses the question: answering sentences stand in
            checked = Checked("", {}, (*checked.dropped, checked.text))
        added = self.missed(checked, evidence, (question, standalone), asked, written)
        same_names = all(hit.language == written for hit in hits) and capitals_mark_names(written)
        reason = ""
        if declines(raw) or not text.strip():
            reason = "declined"
        elif ungrounded(strip_markers(text), question, hits, same_names):
            reason = "ungrounded"  # a model that invents a number or a name is not trusted
        elif not checked.text and not (off_question and added):
            reason = "unsupported"
        if reason:
            return Answer(
                question,
                not_in_sources(asked, self.settings),
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
        if added and text and not STOPPED.search(text):  # "Bharrat Ramdehol [1]" + a sentence
            text += "."
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

    def missed(
        self,
        checked: Checked,
        evidence: Evidence,
        questions: tuple[str, str],
        asked: str,
        written: str,
    ) -> list[int]:
        """The sentences in the answer's language (``written``) that answer the question (as
        put and as rewritten, asked in ``asked``) by themselves (the extractive answer; for a
        "how many" question only those that state an amount) and that the checked answer
        neither draws on nor restates: their names and numbers are not in it.

        Only sentences in the answer's language: on the seed set, having the model translate
        the English questions' sentences made 1 more of 34 answers right, cost a second model
        call (answer p95 18 s -> 37 s) and cited wrong passages (cross-language sentence
        matching is weaker), while the Indonesian answers gained 7 of 31. An answer drafted in
        the passages' language is completed before it is translated.
        """
        drawn_on = {i for i, _ in checked.support.values()}
        said = anchors(strip_markers(checked.text))
        return [
            i
            for i in key_sentences(evidence, self.calibration, asked)
            if evidence.hit_of(i).language == written
            and i not in drawn_on
            and not anchors(evidence.sentence(i)) <= said
            and not quantity_missing(evidence.sentence(i), *questions)
        ]


def without_cut_sentence(draft: str) -> str:
    """``draft``, which the model stopped writing at its token limit, without the sentence it
    was cut off in ("... the tool found by the researchers"), when one before it remains: the
    check would keep a cut quote, since its passage holds it word for word. A last sentence
    that ends in a stop or a citation mark (the limit fell right after it) stays."""
    spans = sentences(draft)
    if len(spans) <= 1 or ENDS_SENTENCE.search(draft):
        return draft
    return draft[: spans[-1][0]].rstrip()


ENDS_SENTENCE = re.compile(r"(?:[.!?…][\"'”’)]*|\[\d+\])(?:\s*\[\d+\])*[.]?\s*$")
"""A stop or a citation mark, then closing quotes and marks: "... kata TASS." "... [3]."."""
STOPPED = re.compile(r"[.!?…][\"'”’)]*(?:\s*\[\d+\])*\s*$")
"""A stop, then closing quotes and citation marks: an answer that ends so ends a sentence."""
