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
from dataclasses import dataclass, replace
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


def build_timeline(topic: str, hits: Sequence[Hit]) -> Timeline:
    """The timeline of ``hits`` (retrieved for ``topic``): dated events, merged and ordered."""
    candidates = [c for hit in hits for c in _statements(hit)]
    candidates.sort(key=lambda c: (c[0] == "reported", c[3].source, c[4]))  # dated first
    kept: list[tuple[str, str, str, Hit, int, int, set[tuple[str, ...]], list[Source]]] = []
    named: set[str] = set()
    for precision, date, text, hit, start, end in candidates:
        grams = trigrams(text)
        twin = next(
            (
                k
                for k in kept
                if k[3].source != hit.source and overlap(grams, k[6]) >= DUPLICATE_OVERLAP
            ),
            None,
        )
        if twin is not None:
            if all(s.source != hit.source for s in twin[7]):
                twin[7].append(
                    Source(hit.chunk_id, hit.doc_id, hit.source, hit.title, hit.outlet, hit.date)
                )
            continue
        names = anchors(text) - {date[:4]}
        if precision == "reported" and (not names - named or len(text.split()) < MIN_WORDS):
            continue
        named |= names
        kept.append((precision, date, text, hit, start, end, grams, list(hit.also_in)))
    kept.sort(key=lambda k: (k[1], k[0] == "reported", k[3].source, k[4]))
    stories = _stories([k[3] for k in kept], [k[7] for k in kept])
    numbers: dict[str, int] = {}
    events = []
    for precision, date, _, hit, start, end, _, also in kept:
        n = numbers.setdefault(hit.chunk_id, len(numbers) + 1)
        quote = hit.text[start:end]
        cite = Citation(n, hit, quote, to_original(hit, start), to_original(hit, end), True)
        events.append(
            Event(date, precision, _short(quote), cite, tuple(also), stories[hit.source][0])
        )
    titles = {index: title for index, title in stories.values()}
    return Timeline(topic, tuple(events), tuple(titles[i] for i in sorted(titles)))


def _statements(hit: Hit) -> list[tuple[str, str, str, Hit, int, int]]:
    """(precision, ISO date, sentence, hit, start, end) for the sentences of a passage that
    tells a dated event: its dated sentences, and its others as ``reported`` details."""
    try:
        published = datetime.date.fromisoformat(hit.date)
    except ValueError:
        return []  # an undated article cannot be placed in time
    found = []
    for start, end in sentences(hit.text):
        text = hit.text[start:end]
        dated = event_date(text, published)
        if dated is None:
            found.append(("reported", hit.date, text, hit, start, end))
        else:
            found.append((dated[1], dated[0].isoformat(), text, hit, start, end))
    return found if any(f[0] != "reported" for f in found) else []


def _stories(hits: Sequence[Hit], copies: Sequence[list[Source]]) -> dict[str, tuple[int, str]]:
    """Story number and title for each article: linked by wire copies or close dates."""
    parent: dict[str, str] = {}

    def root(source: str) -> str:
        while parent.setdefault(source, source) != source:
            source = parent[source]
        return source

    dates = {h.source: h.date for h in hits} | {s.source: s.date for c in copies for s in c}
    titles = {h.source: h.title for h in hits} | {s.source: s.title for c in copies for s in c}
    for hit, also in zip(hits, copies, strict=True):
        for other in also:
            parent[root(other.source)] = root(hit.source)
    ordered = sorted(dates, key=lambda s: (dates[s], s))
    for before, after in zip(ordered, ordered[1:], strict=False):
        gap = datetime.date.fromisoformat(dates[after]) - datetime.date.fromisoformat(dates[before])
        if gap.days <= STORY_DAYS:
            parent[root(after)] = root(before)
    numbers: dict[str, int] = {}
    result = {}
    for source in ordered:
        number = numbers.setdefault(root(source), len(numbers))
        first = next(s for s in ordered if root(s) == root(source))
        result[source] = (number, titles[first])
    return result


def _short(sentence: str) -> str:
    """The sentence without a leading dateline ("TEMPO.CO, Jakarta - "), cut to MAX_CHARS."""
    text = re.sub(r"^[A-Z][\w.]*(?:,\s*[A-Za-z ]+)?\s+(?:--|[-–—])\s+", "", sentence.strip())
    text = " ".join(text.split())
    if len(text) <= MAX_CHARS:
        return text
    return text[:MAX_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
