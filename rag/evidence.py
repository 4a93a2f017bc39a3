"""The retrieved passages cut into sentences, each sentence embedded once per process.

The model reads an excerpt of each passage: its sentences closest to the question, in article
order. Citations pick their supporting sentence from the same vectors, and the extractive
answerer answers with the sentences closest to the question.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.chunk import sentences
from rag.embed import Embedder
from rag.search import Hit

EXCERPT_SENTENCES = 2
"""Sentences of each passage the model reads. On the seed set these excerpts hold every key
fact for 86% of the answerable questions (the whole passages for 91.5%), and the prompt
shrinks from 1,296 to 896 tokens at p50, which is most of the time to the first token on a
CPU (see README, Benchmarks)."""
GAP = " … "
CACHED_SENTENCES = 20_000
"""Sentence vectors kept per process (~30 MB at e5-small's 384 dimensions). Questions about one
story retrieve the same passages again: on the 161 questions of ``seeds_cross.jsonl`` embedding
the passages' sentences took 117 s against 11 s for the searches, most of it repeated work."""


class SentenceVectors:
    """A bounded, thread-safe cache of sentence vectors keyed by embedder and text."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        with self.lock:
            missing = [t for t in dict.fromkeys(texts) if (embedder.name, t) not in self.vectors]
        fresh = embedder.passages(missing)
        with self.lock:
            for text, vector in zip(missing, fresh, strict=True):
                self.vectors[embedder.name, text] = vector
            found = [self.vectors[embedder.name, t] for t in texts]
            for t in texts:
                self.vectors.move_to_end((embedder.name, t))
            while len(self.vectors) > self.size:
                self.vectors.popitem(last=False)
        return np.stack(found) if found else np.zeros((0, embedder.dim), dtype=np.float32)


sentence_vectors = SentenceVectors(CACHED_SENTENCES)


@dataclass(frozen=True)
class Evidence:
    """Passages, their sentences (as spans) and the sentences' vectors and question scores."""

    question: str
    hits: tuple[Hit, ...]
    spans: tuple[tuple[int, int, int], ...]
    """(passage number, start, end) of every sentence, offsets in the passage text."""
    vectors: np.ndarray
    scores: np.ndarray
    """Similarity of each sentence to the question."""

    @classmethod
    def gather(cls, question: str, hits: Sequence[Hit], embedder: Embedder) -> Evidence:
        spans = tuple((n, s, e) for n, hit in enumerate(hits, 1) for s, e in sentences(hit.text))
        vectors = sentence_vectors(embedder, [hits[n - 1].text[s:e] for n, s, e in spans])
        return cls(question, tuple(hits), spans, vectors, vectors @ embedder.query(question))

    @property
    def numbers(self) -> list[int]:
        """The passage numbers, 1-based, as the answer cites them."""
        return list(range(1, len(self.hits) + 1))

    @property
    def language(self) -> str:
        """The language most passages are written in (on a tie, the best-ranked one's)."""
        counts = Counter(hit.language for hit in self.hits if hit.language)
        return counts.most_common(1)[0][0] if counts else ""

    def rows(self, n: int) -> list[int]:
        """Indices (into ``spans``) of passage ``n``'s sentences."""
        return [i for i, (m, _, _) in enumerate(self.spans) if m == n]

    def best(self, n: int) -> int:
        """Passage ``n``'s sentence closest to the question (an index into ``spans``)."""
        return max(self.rows(n), key=lambda i: float(self.scores[i]))

    def excerpt(self, n: int, size: int = EXCERPT_SENTENCES) -> str:
        """Passage ``n``'s ``size`` sentences closest to the question, in article order."""
        rows = self.rows(n)
        chosen = sorted(sorted(rows, key=lambda i: -float(self.scores[i]))[:size])
        pieces = []
        for before, i in zip([None, *chosen], chosen, strict=False):
            gap = before is not None and i != before + 1
            pieces.append((GAP if gap else " ") + self.sentence(i))
        return "".join(pieces).strip()

    def sentence(self, i: int) -> str:
        n, s, e = self.spans[i]
        return self.hits[n - 1].text[s:e]

    def hit_of(self, i: int) -> Hit:
        """The passage sentence ``i`` comes from."""
        return self.hits[self.spans[i][0] - 1]
