"""Timelines: dated, cited events across the articles retrieved for a topic, in order.

Each event is one sentence of a retrieved passage. Its date is the one the sentence gives
("Rabu (26/7/2023)", "pada hari Sabtu" read back from the publication day, "minggu ini"),
else the article's publication date, marked ``reported``. Undated sentences are kept only when
they name something (a person, place, number) that no earlier event names, so the background
paragraphs of a story do not crowd the list. The same event told by several outlets (wire
copy) is merged by the near-duplicate test of ``rag.search`` and lists the others as "also
reported by". Articles linked by such copies, or published within ``STORY_DAYS`` of each other,
form one story. No language model is involved: a timeline of 30 passages takes well under a
second after retrieval.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rag.chunk import sentences
from rag.citations import Citation, to_original
from rag.grounding import anchors
from rag.search import DUPLICATE_OVERLAP, Hit, Source, overlap, trigrams
from rag.when import event_date

STORY_DAYS = 3
"""Articles published this many days apart or less are one story (the seeds' July articles are
one day apart, the September ones one; the two stories are seven weeks apart)."""
MIN_WORDS = 8  # shorter undated sentences are credits and captions ("Dikutip dari CNA.")
MAX_CHARS = 240  # a statement longer than this is cut at a word
SUMMARY_EVENTS = 12  # lines of a summary answer: dated events first, then reported details
# "Summarise ...", "what happened ...", "kronologi ...": questions a timeline answers.
_SUMMARY = re.compile(
    r"\b(summar(?:y|i[sz]e)|what (?:has |have )?happened|timeline|chronolog\w*|overview|"
    r"how did .{3,80} (?:develop|unfold|evolve)|ringkas\w*|rangkum\w*|"
    r"apa (?:saja )?yang (?:telah )?terjadi|kronologi\w*|garis waktu|linimasa|"
    r"bagaimana perkembangan)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Event:
    """A dated statement with its citation and the other outlets that report it."""

    date: str
    """ISO first day of the event's period."""
    precision: str
    """``day``, ``week``, ``month``, ``year`` (from the text) or ``reported`` (publication)."""
    text: str
    citation: Citation
    also_in: tuple[Source, ...] = ()
    story: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "precision": self.precision,
            "text": self.text,
            "story": self.story,
            "citation": self.citation.to_dict(),
            "also_in": [s.__dict__ for s in self.also_in],
        }

    @property
    def when(self) -> str:
        """The date as shown: "2023-09-16", "week of 2023-07-24", "2023-09", "reported …"."""
        if self.precision == "week":
            return f"week of {self.date}"
        if self.precision == "month":
            return self.date[:7]
        if self.precision == "year":
            return self.date[:4]
        return f"reported {self.date}" if self.precision == "reported" else self.date


@dataclass(frozen=True)
class Timeline:
    """Events in date order, grouped into stories (``stories[i]`` titles story ``i``)."""

    topic: str
    events: tuple[Event, ...]
    stories: tuple[str, ...]

    @property
    def citations(self) -> tuple[Citation, ...]:
        """One citation per cited passage, numbered in order of first use."""
        return tuple({e.citation.n: e.citation for e in self.events}.values())

    def summary(self, limit: int = SUMMARY_EVENTS) -> Timeline:
        """At most ``limit`` events for a summary answer: those dated by their text first,
        then ``reported`` details, in date order, renumbered from [1]."""
        ranked = sorted(self.events, key=lambda e: e.precision == "reported")[:limit]
        picked = [e for e in self.events if e in ranked]
        numbers: dict[str, int] = {}
        events = []
        for e in picked:
            n = numbers.setdefault(e.citation.passage.chunk_id, len(numbers) + 1)
            events.append(replace(e, citation=replace(e.citation, n=n)))
        return replace(self, events=tuple(events))

    def lines(self) -> list[str]:
        """One line per event: its date, statement, citation and other outlets."""
        out = []
        for event in self.events:
            also = ", ".join(dict.fromkeys(s.outlet or s.source for s in event.also_in))
            out.append(
                f"{event.when}: {event.text} [{event.citation.n}]"
                + (f" (also reported by {also})" if also else "")
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "stories": list(self.stories),
            "events": [e.to_dict() for e in self.events],
        }


def is_summary(question: str) -> bool:
    """Whether a question asks for a summary or a chronology ("what happened", "ringkas")."""
    return bool(_SUMMARY.search(question))


@dataclass
class _Statement:
    """A sentence of a retrieved passage on its way to becoming an event."""

    precision: str
    date: str
    hit: Hit
    start: int
    end: int
    also_in: list[Source] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.hit.text[self.start : self.end]

    def order(self) -> tuple[str, bool, str, int]:
        """Date order; on one day, text-dated before reported, then by article and place."""
        return self.date, self.precision == "reported", self.hit.source, self.start


def build_timeline(topic: str, hits: Sequence[Hit]) -> Timeline:
    """The timeline of ``hits`` (retrieved for ``topic``): dated events, merged and ordered."""
    candidates = [c for hit in hits for c in _statements(hit)]
    candidates.sort(key=lambda c: (c.precision == "reported", c.hit.source, c.start))
    kept: list[tuple[_Statement, set[tuple[str, ...]]]] = []
    named: set[str] = set()
    for statement in candidates:
        hit, grams = statement.hit, trigrams(statement.text)
        twin = next(
            (
                kept_one
                for kept_one, kept_grams in kept
                if kept_one.hit.source != hit.source
                and overlap(grams, kept_grams) >= DUPLICATE_OVERLAP
            ),
            None,
        )
        if twin is not None:  # another outlet's copy of a kept event
            if all(s.source != hit.source for s in twin.also_in):
                twin.also_in.append(
                    Source(hit.chunk_id, hit.doc_id, hit.source, hit.title, hit.outlet, hit.date)
                )
            continue
        names = anchors(statement.text) - {statement.date[:4]}
        if statement.precision == "reported" and (
            not names - named or len(statement.text.split()) < MIN_WORDS
        ):
            continue
        named |= names
        kept.append((statement, grams))
    ordered = sorted((k for k, _ in kept), key=_Statement.order)
    stories = _stories(ordered)
    numbers: dict[str, int] = {}
    events = []
    for st in ordered:
        n = numbers.setdefault(st.hit.chunk_id, len(numbers) + 1)
        quote = st.text
        start, end = to_original(st.hit, st.start), to_original(st.hit, st.end)
        events.append(
            Event(
                st.date,
                st.precision,
                _short(quote),
                Citation(n, st.hit, quote, start, end, True),
                tuple(st.also_in),
                stories[st.hit.source][0],
            )
        )
    titles = dict(stories.values())
    return Timeline(topic, tuple(events), tuple(titles[i] for i in sorted(titles)))


def _statements(hit: Hit) -> list[_Statement]:
    """The sentences of a passage that tells a dated event: its dated sentences, and its
    others as ``reported`` details; nothing from a passage with no dated sentence."""
    try:
        published = datetime.date.fromisoformat(hit.date)
    except ValueError:
        return []  # an undated article cannot be placed in time
    found = []
    for start, end in sentences(hit.text):
        dated = event_date(hit.text[start:end], published)
        if dated is None:
            found.append(_Statement("reported", hit.date, hit, start, end, list(hit.also_in)))
        else:
            day, precision = dated
            found.append(_Statement(precision, day.isoformat(), hit, start, end, list(hit.also_in)))
    return found if any(f.precision != "reported" for f in found) else []


def _stories(statements: Sequence[_Statement]) -> dict[str, tuple[int, str]]:
    """Story number and title for each article: linked by wire copies or close dates."""
    parent: dict[str, str] = {}

    def root(source: str) -> str:
        while parent.setdefault(source, source) != source:
            source = parent[source]
        return source

    articles: dict[str, tuple[str, str]] = {}  # source -> (date, title)
    for st in statements:
        articles[st.hit.source] = (st.hit.date, st.hit.title)
        for other in st.also_in:
            articles.setdefault(other.source, (other.date or st.hit.date, other.title))
            parent[root(other.source)] = root(st.hit.source)
    ordered = sorted(articles, key=lambda s: (articles[s][0], s))
    for before, after in zip(ordered, ordered[1:], strict=False):
        gap = datetime.date.fromisoformat(articles[after][0]) - datetime.date.fromisoformat(
            articles[before][0]
        )
        if gap.days <= STORY_DAYS:
            parent[root(after)] = root(before)
    numbers: dict[str, int] = {}
    result = {}
    for source in ordered:
        number = numbers.setdefault(root(source), len(numbers))
        first = next(s for s in ordered if root(s) == root(source))
        result[source] = (number, articles[first][1])
    return result


def _short(sentence: str) -> str:
    """The sentence without a leading dateline ("TEMPO.CO, Jakarta - "), cut to MAX_CHARS."""
    text = re.sub(r"^[A-Z][\w.]*(?:,\s*[A-Za-z ]+)?\s+(?:--|[-–—])\s+", "", sentence.strip())
    text = " ".join(text.split())
    if len(text) <= MAX_CHARS:
        return text
    return text[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
