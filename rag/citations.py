"""Citations as data: parse the model's ``[n]`` markers, point each at the passage that
supports its claim, and record the supporting sentence with offsets in the original article."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rag.chunk import sentences
from rag.embed import Embedder
from rag.evidence import Evidence
from rag.grounding import SUPPORTED, support
from rag.search import Hit

# "[1]", "[1, 3]", "[2][3]", "[Passage 2]", "[sumber 1]"
_MARKER = re.compile(
    r"\[\s*(?:(?:passage|source|sumber|bagian)\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.IGNORECASE
)
REATTRIBUTE_MARGIN = 0.03  # another passage must support a claim this much better to take its [n]


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


def reattribute(
    text: str, evidence: Evidence, embedder: Embedder
) -> tuple[str, dict[int, tuple[int, float]]]:
    """Point each claim's markers at the passages that support it; find each quote.

    A marker moves to another passage only when that passage supports the claim clearly
    better (``REATTRIBUTE_MARGIN``). Returns the text and, per cited passage, its best
    supporting sentence (an index into ``evidence.spans``) with that sentence's score.
    """
    best_support: dict[int, tuple[int, float]] = {}
    pieces = []
    cursor = 0
    for start, end in sentences(text):
        sentence = text[start:end]
        numbers = cited_numbers(sentence)
        claim = strip_markers(sentence)
        if numbers and claim:
            scores = support(evidence, embedder.query(claim), claim)
            best = {n: max(evidence.rows(n), key=lambda i: scores[i]) for n in evidence.numbers}
            top = max(best, key=lambda n: scores[best[n]])
            moved = {
                n: (top if scores[best[top]] - scores[best[n]] > REATTRIBUTE_MARGIN else n)
                for n in numbers
            }
            sentence = re.sub(r"\[(\d+)\]", _renumber(moved), sentence)
            sentence = re.sub(r"(\[\d+\])(?=.*\1)", "", sentence)  # [5][5] -> [5]
            for n in set(moved.values()):
                if n not in best_support or scores[best[n]] > best_support[n][1]:
                    best_support[n] = (best[n], float(scores[best[n]]))
        pieces.append(text[cursor:start] + sentence)
        cursor = end
    text = "".join(pieces) + text[cursor:]
    for n in cited_numbers(text):  # a marker on a "sentence" with no words of its own
        if n not in best_support:
            i = max(evidence.rows(n), key=lambda r: evidence.scores[r])
            best_support[n] = (i, float(evidence.scores[i]))
    return text, best_support


def _renumber(moved: dict[int, int]) -> Callable[[re.Match[str]], str]:
    return lambda m: f"[{moved[int(m.group(1))]}]"


def citation(n: int, evidence: Evidence, sentence: int, score: float) -> Citation:
    """The Citation of passage ``n`` quoting evidence sentence ``sentence``."""
    hit = evidence.hits[n - 1]
    _, start, end = evidence.spans[sentence]
    return Citation(
        n=n,
        passage=hit,
        quote=hit.text[start:end],
        quote_start=to_original(hit, start),
        quote_end=to_original(hit, end),
        supported=score >= SUPPORTED,
    )


def to_original(hit: Hit, position: int) -> int:
    """Map an offset in ``hit.text`` (its spans joined by newlines) to the original article."""
    offset = 0
    for start, end in hit.spans:
        if position <= offset + (end - start):
            return start + (position - offset)
        offset += end - start + 1
    return hit.end
