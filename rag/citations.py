"""Citations as data: parse the model's ``[n]`` markers, point each at the passage that
supports its claim, and record the supporting sentence with offsets in the original article."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rag.calibration import Calibration
from rag.chunk import sentences
from rag.embed import Embedder
from rag.evidence import Evidence
from rag.grounding import NAME_MIN_CHARS, support
from rag.search import Hit

# "[1]", "[1, 3]", "[2][3]", "[Passage 2]", "[sumber 1]"
_MARKER = re.compile(
    r"\[\s*(?:(?:passage|source|sumber|bagian)\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.IGNORECASE
)


@dataclass(frozen=True)
class Citation:
    """One cited passage: its number in the answer, the passage, and its supporting sentence."""

    n: int
    passage: Hit
    quote: str
    """The passage sentence that best supports the claims citing it."""
    quote_start: int
    quote_end: int
    """Offsets of ``quote`` in the original article text."""
    supported: bool
    """Whether the quote is close enough to the claim to count as checked support."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            **self.passage.to_dict(),
            "quote": self.quote,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
            "supported": self.supported,
        }


def parse_citations(raw: str, passages: int) -> tuple[str, list[int], list[int]]:
    """Normalise markers to ``[n]`` and drop those pointing to no passage.

    Returns the cleaned text, the valid numbers in order of first use, and the invalid ones.
    """
    cited: list[int] = []
    invalid: list[int] = []

    def replace(match: re.Match[str]) -> str:
        kept = []
        for number in (int(x) for x in re.split(r"\s*[,;]\s*", match.group(1))):
            if 1 <= number <= passages:
                kept.append(number)
                if number not in cited:
                    cited.append(number)
            elif number not in invalid:
                invalid.append(number)
        return "".join(f"[{n}]" for n in kept) or "\x00"  # \x00: a dropped marker

    text = _MARKER.sub(replace, raw)
    text = re.sub(r"[ \t]*\x00", "", text)
    return markers_inside(text).strip(), cited, invalid


def cited_numbers(text: str) -> list[int]:
    """Passage numbers cited in ``text``, in order of first use."""
    return list(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", text)))


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers."""
    return re.sub(r"\s*\[\d+\]", "", text).strip()


def markers_inside(text: str) -> str:
    """ "claim. [1]" -> "claim [1].": a marker belongs to the sentence before it."""
    return re.sub(r"\s*([.!?])[ \t]*((?:\[\d+\])+)", r" \2\1", text)


@dataclass(frozen=True)
class Checked:
    """An answer after the check: its kept claims, re-pointed markers and dropped claims."""

    text: str
    support: dict[int, tuple[int, float]]
    """Per cited passage: its best supporting sentence (index into ``evidence.spans``), score."""
    dropped: tuple[str, ...]
    """Claims no passage supports well enough (removed from ``text``)."""


def check(text: str, evidence: Evidence, embedder: Embedder, calibration: Calibration) -> Checked:
    """Check every sentence of ``text`` against the evidence, as a claim.

    A marker moves to another passage when that one supports the claim better by
    ``calibration.reattribute_margin``; a sentence without a marker gets the best passage's; a
    claim whose best support is under ``calibration.supported`` is dropped, unless a passage
    says it word for word: then that passage is cited. A bare name ("Syamsurizal") is too short
    for the similarity to support it (on FacQA two right answers were dropped so).
    """
    margin = calibration.reattribute_margin
    best_support: dict[int, tuple[int, float]] = {}
    kept: list[str] = []
    dropped: list[str] = []
    for start, end in sentences(text):
        sentence = text[start:end]
        claim = strip_markers(sentence)
        numbers = cited_numbers(sentence)
        if not re.search(r"\w", claim):  # a marker with no words of its own
            kept.append(sentence)
            continue
        scores = support(evidence, embedder.query(claim), claim, calibration.anchor_bonus)
        best = {n: max(evidence.rows(n), key=lambda i: scores[i]) for n in evidence.numbers}
        top = max(best, key=lambda n: scores[best[n]])
        moved = {n: (top if scores[best[top]] - scores[best[n]] > margin else n) for n in numbers}
        cited = set(moved.values()) or {top}
        if max(float(scores[best[n]]) for n in cited) < calibration.supported:
            said = said_by(claim, evidence)
            if not said:
                dropped.append(claim)
                continue
            for n, i in said.items():  # word for word: supported, however short
                best[n] = i
                scores[i] = max(scores[i], calibration.supported)
            top = max(said, key=lambda n: scores[best[n]])
            moved = {n: (n if n in said else top) for n in numbers}
            cited = set(moved.values()) or {top}
        if numbers:
            sentence = re.sub(r"\[(\d+)\]", _renumber(moved), sentence)
            sentence = re.sub(r"(\[\d+\])(?=.*\1)", "", sentence)  # [5] [5] -> [5]
            sentence = re.sub(r" {2,}", " ", sentence)
        else:
            sentence = markers_inside(f"{sentence} [{top}]")
        for n in cited:
            if n not in best_support or scores[best[n]] > best_support[n][1]:
                best_support[n] = (best[n], float(scores[best[n]]))
        kept.append(sentence)
    checked = " ".join(kept)
    for n in cited_numbers(checked):
        if n not in best_support:
            i = evidence.best(n)
            best_support[n] = (i, float(evidence.scores[i]))
    return Checked(checked, best_support, tuple(dropped))


def said_by(claim: str, evidence: Evidence) -> dict[int, int]:
    """Passage number -> its first sentence that holds ``claim`` word for word (case and
    spacing aside, a final stop dropped)."""
    words = " ".join(claim.casefold().split()).rstrip(".")
    if len(words) < NAME_MIN_CHARS:  # shorter than any name: found anywhere
        return {}
    said: dict[int, int] = {}
    for i in range(len(evidence.spans)):
        if words in " ".join(evidence.sentence(i).casefold().split()):
            said.setdefault(evidence.spans[i][0], i)
    return said


def _renumber(moved: dict[int, int]) -> Callable[[re.Match[str]], str]:
    return lambda m: f"[{moved[int(m.group(1))]}]"


def citation(n: int, evidence: Evidence, sentence: int, supported: bool) -> Citation:
    """The Citation of passage ``n`` quoting evidence sentence ``sentence``."""
    hit = evidence.hits[n - 1]
    _, start, end = evidence.spans[sentence]
    return Citation(
        n=n,
        passage=hit,
        quote=hit.text[start:end],
        quote_start=to_original(hit, start),
        quote_end=to_original(hit, end),
        supported=supported,
    )


def to_original(hit: Hit, position: int) -> int:
    """Map an offset in ``hit.text`` (its spans joined by newlines) to the original article."""
    offset = 0
    for start, end in hit.spans:
        if position <= offset + (end - start):
            return start + (position - offset)
        offset += end - start + 1
    return hit.end
