"""The sentences an answer reads: embedded once per process, the same vectors every time."""

from __future__ import annotations

import numpy as np

from rag import RAG
from rag.embed import Embedder
from rag.evidence import Evidence, SentenceVectors

QUESTION = "Apa yang diperiksa Kim di Vladivostok?"


class Counting:
    """The real embedder under its own cache key, counting the sentences it embeds."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.name = "counting-" + embedder.name
        self.dim = embedder.dim
        self.embedded = 0

    def passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.embedder.passages(texts)

    def query(self, text: str) -> np.ndarray:
        return self.embedder.query(text)


def test_a_repeated_question_embeds_no_sentence_twice_and_scores_alike(seeded: RAG) -> None:
    hits = seeded.search(QUESTION)
    counting = Counting(seeded.embedder)
    first = Evidence.gather(QUESTION, hits, counting)
    embedded = counting.embedded
    again = Evidence.gather(QUESTION, hits, counting)
    assert embedded == len({first.sentence(i) for i in range(len(first.spans))})
    assert counting.embedded == embedded, "the second gather embedded sentences again"
    direct = seeded.embedder.passages([first.sentence(i) for i in range(len(first.spans))])
    np.testing.assert_array_equal(first.vectors, direct)
    np.testing.assert_array_equal(again.scores, first.scores)


def test_the_cache_keeps_only_the_most_recent_sentences(seeded: RAG) -> None:
    cache = SentenceVectors(size=3)
    texts = ["Kim tiba di Vladivostok.", "Shoigu menunjukkan Kinzhal.", "Putin tiba.", "x", "y"]
    vectors = cache(seeded.embedder, texts)
    assert vectors.shape == (5, seeded.embedder.dim)
    assert [text for _, text in cache.vectors] == texts[2:]
