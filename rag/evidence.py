"""The retrieved passages cut into sentences, each sentence embedded once per answer.

Citations pick their supporting sentence from these vectors, and the extractive answerer
answers with the sentences closest to the question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.chunk import sentences
from rag.embed import Embedder
from rag.search import Hit


@dataclass(frozen=True)
class Evidence:
    """Passages, their sentences (as spans) and the sentences' vectors and question scores."""

    hits: tuple[Hit, ...]
    spans: tuple[tuple[int, int, int], ...]
    """(passage number, start, end) of every sentence, offsets in the passage text."""
    vectors: np.ndarray
    scores: np.ndarray
    """Similarity of each sentence to the question."""

    @classmethod
    def gather(cls, question: str, hits: Sequence[Hit], embedder: Embedder) -> Evidence:
        spans = tuple((n, s, e) for n, hit in enumerate(hits, 1) for s, e in sentences(hit.text))
        vectors = embedder.passages([hits[n - 1].text[s:e] for n, s, e in spans])
        return cls(tuple(hits), spans, vectors, vectors @ embedder.query(question))

    @property
    def numbers(self) -> list[int]:
        """The passage numbers, 1-based, as the answer cites them."""
        return list(range(1, len(self.hits) + 1))

    def rows(self, n: int) -> list[int]:
        """Indices (into ``spans``) of passage ``n``'s sentences."""
        return [i for i, (m, _, _) in enumerate(self.spans) if m == n]

    def sentence(self, i: int) -> str:
        n, s, e = self.spans[i]
        return self.hits[n - 1].text[s:e]
