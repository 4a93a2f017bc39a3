"""Every eval metric pinned to exact values on hand-built inputs (no model, no index)."""

from __future__ import annotations

import math

import pytest

from rag.evaluate import metrics

# Rank 1 misses, rank 2 supports gold quote 0, rank 3 repeats quote 0, rank 4 supports quote 1.
RANKED = [set(), {0}, {0}, {1}]


@pytest.mark.parametrize(
    "relevance, k, rank, hit, rr",
    [
        (RANKED, 10, 2, 1.0, 0.5),
        (RANKED, 1, None, 0.0, 0.0),
        (RANKED, 2, 2, 1.0, 0.5),
        ([{0}], 5, 1, 1.0, 1.0),
        ([set(), set(), set(), set(), {0}], 5, 5, 1.0, 0.2),
        ([set(), set(), set(), set(), set(), {0}], 5, None, 0.0, 0.0),
        ([], 10, None, 0.0, 0.0),
    ],
)
def test_first_relevant_hit_and_reciprocal_rank(
    relevance: list[set[int]], k: int, rank: int | None, hit: float, rr: float
) -> None:
    assert metrics.first_relevant(relevance, k) == rank
    assert metrics.hit_at_k(relevance, k) == hit
    assert metrics.reciprocal_rank(relevance, k) == rr


def test_ndcg_counts_each_gold_quote_once_at_its_first_passage() -> None:
    # Gains at ranks 2 and 4 (rank 3 repeats quote 0); the ideal puts the two quotes at 1 and 2.
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert metrics.ndcg_at_k(RANKED, gold_count=2, k=10) == pytest.approx(expected, abs=1e-12)
    assert round(expected, 4) == 0.6509


@pytest.mark.parametrize(
    "relevance, gold, k, expected",
    [
        ([{0}, {1}], 2, 10, 1.0),  # ideal order
        ([{0, 1}], 2, 10, 1 / (1 + 1 / math.log2(3))),  # one passage holds both quotes
        ([set(), {0}], 1, 10, 1 / math.log2(3)),
        ([set(), {0}], 1, 1, 0.0),  # cut off before the relevant passage
        ([{0}], 3, 1, 1.0),  # the ideal is cut at k too
        ([set()], 0, 10, 0.0),  # no gold quote: nothing to find
    ],
)
def test_ndcg_exact_values(relevance: list[set[int]], gold: int, k: int, expected: float) -> None:
    assert metrics.ndcg_at_k(relevance, gold, k) == pytest.approx(expected, abs=1e-12)


FACTS = (("Kinzhal",), ("MiG-31I", "MiG 31I"))


@pytest.mark.parametrize(
    "text, correct, recall",
    [
        ("Kim saw the Kinzhal missile on a MiG-31I.", 1.0, 1.0),
        ("Kim melihat rudal KINZHAL di MiG 31I.", 1.0, 1.0),  # any spelling, any case
        ("Kim saw the Kinzhal missile.", 0.0, 0.5),
        ("Kim saw a frigate.", 0.0, 0.0),
    ],
)
def test_answer_correctness_needs_every_key_fact(text: str, correct: float, recall: float) -> None:
    assert metrics.answer_correct(text, FACTS) == correct
    assert metrics.fact_recall(text, FACTS) == recall


def test_an_item_without_key_facts_is_never_correct() -> None:
    assert metrics.answer_correct("anything", ()) == 0.0
    assert metrics.fact_recall("anything", ()) == 0.0


@pytest.mark.parametrize(
    "cited, gold, precision, recall",
    [
        ([{0}, set(), {1}, set()], 2, 0.5, 1.0),
        ([{0}, {0}], 3, 1.0, 1 / 3),
        ([set()], 1, 0.0, 0.0),
        ([], 2, None, 0.0),  # nothing cited: precision undefined, recall zero
        ([{0}], 0, 1.0, None),  # no gold quotes: recall undefined
    ],
)
def test_citation_precision_and_recall(
    cited: list[set[int]], gold: int, precision: float | None, recall: float | None
) -> None:
    assert metrics.citation_precision(cited) == precision
    assert metrics.citation_recall(cited, gold) == recall


def test_abstention_precision_and_recall() -> None:
    # Five questions: the last two are unanswerable; kabar declined questions 2, 4 and 5.
    answerable = [True, True, True, False, False]
    abstained = [False, True, False, True, True]
    assert metrics.abstention_precision(abstained, answerable) == 2 / 3
    assert metrics.abstention_recall(abstained, answerable) == 1.0
    # Declined only one of the two unanswerable ones, and nothing else.
    abstained = [False, False, False, True, False]
    assert metrics.abstention_precision(abstained, answerable) == 1.0
    assert metrics.abstention_recall(abstained, answerable) == 0.5


def test_abstention_metrics_are_undefined_without_their_denominator() -> None:
    assert metrics.abstention_precision([False, False], [True, False]) is None  # never declined
    assert metrics.abstention_recall([True], [True]) is None  # nothing unanswerable


@pytest.mark.parametrize(
    "q, expected", [(0.0, 1.0), (0.5, 3.0), (0.95, 5.0), (1.0, 5.0), (0.25, 2.0)]
)
def test_percentile_is_nearest_rank(q: float, expected: float) -> None:
    assert metrics.percentile([5.0, 1.0, 4.0, 2.0, 3.0], q) == expected


def test_percentile_of_nothing_is_none() -> None:
    assert metrics.percentile([], 0.5) is None
