"""Eval metrics as pure functions of plain inputs, so each can be checked with exact numbers.

Retrieval metrics read a *relevance list*: for each ranked passage, the set of gold-quote
indices it supports (empty when it is not relevant). Answer metrics read the answer text, its
key facts and, for citations, the gold-quote sets of the cited passages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

Relevance = Sequence[set[int]]
"""Per ranked passage (rank 1 first), the indices of the gold quotes it supports."""

Direction = Literal["higher", "lower"]

METRICS: dict[str, tuple[Direction, bool]] = {
    # name: (which direction is better, gated by ``kabar eval compare``)
    "hit@1": ("higher", True),
    "hit@5": ("higher", True),
    "mrr@10": ("higher", True),
    "ndcg@10": ("higher", True),
    "answer_correct": ("higher", True),
    "fact_recall": ("higher", False),
    "citation_precision": ("higher", True),
    "citation_recall": ("higher", False),
    "abstention_precision": ("higher", False),
    "abstention_recall": ("higher", True),
    "timeline_recall": ("higher", True),
    "timeline_date_accuracy": ("higher", True),
    "search_p50_ms": ("lower", False),
    "search_p95_ms": ("lower", False),
    "answer_p50_s": ("lower", False),
    "answer_p95_s": ("lower", False),
}


def timeline_scores(
    expected: Sequence[tuple[str, str]], events: Sequence[tuple[str, str]]
) -> tuple[float, float]:
    """Recall of expected (date, phrase) events among a timeline's (date, text) events, and the
    share of the found ones that carry the expected date (the event's, not the article's).

    An expected event is found when some event's text contains its phrase, or one of the
    alternatives it lists separated by ``|`` (another outlet's wording), case-folded.
    """
    if not expected:
        return 0.0, 0.0
    found = dated = 0
    for date, phrase in expected:
        wordings = [w.strip().casefold() for w in phrase.split("|")]
        matching = [d for d, text in events if any(w in text.casefold() for w in wordings)]
        found += bool(matching)
        dated += date in matching
    return found / len(expected), (dated / found if found else 0.0)


def first_relevant(relevance: Relevance, k: int) -> int | None:
    """1-based rank of the first relevant passage within the top ``k``, or None."""
    return next((rank for rank, units in enumerate(relevance[:k], 1) if units), None)


def hit_at_k(relevance: Relevance, k: int) -> float:
    """1.0 when a relevant passage is among the top ``k``, else 0.0."""
    return float(first_relevant(relevance, k) is not None)


def reciprocal_rank(relevance: Relevance, k: int) -> float:
    """1 / rank of the first relevant passage within the top ``k`` (0.0 when none): MRR@k."""
    rank = first_relevant(relevance, k)
    return 1.0 / rank if rank else 0.0


def ndcg_at_k(relevance: Relevance, gold_count: int, k: int) -> float:
    """nDCG@k with binary gain per gold quote: a passage gains 1 / log2(rank + 1) when it
    supports a quote no higher passage supported; the ideal ranks one new quote per passage."""
    covered: set[int] = set()
    dcg = 0.0
    for rank, units in enumerate(relevance[:k], 1):
        if units - covered:
            dcg += 1.0 / math.log2(rank + 1)
            covered |= units
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(gold_count, k) + 1))
    return dcg / ideal if ideal else 0.0


def has_fact(text: str, variants: Sequence[str]) -> bool:
    """Whether ``text`` contains any accepted spelling of a fact (case-insensitive)."""
    folded = text.casefold()
    return any(v.casefold() in folded for v in variants)


def fact_recall(text: str, key_facts: Sequence[Sequence[str]]) -> float:
    """Share of the key facts the text contains (0.0 when there are none)."""
    if not key_facts:
        return 0.0
    return sum(has_fact(text, f) for f in key_facts) / len(key_facts)


def answer_correct(text: str, key_facts: Sequence[Sequence[str]]) -> float:
    """1.0 when the text contains every key fact (and there is at least one), else 0.0."""
    return float(bool(key_facts) and all(has_fact(text, f) for f in key_facts))


def citation_precision(cited: Relevance) -> float | None:
    """Share of cited passages that support a gold quote; None when nothing was cited."""
    return sum(bool(units) for units in cited) / len(cited) if cited else None


def citation_recall(cited: Relevance, gold_count: int) -> float | None:
    """Share of gold quotes supported by some cited passage; None without gold quotes."""
    if not gold_count:
        return None
    return len(set[int]().union(*cited)) / gold_count


def abstention_precision(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Of the questions answered with "not in the sources", the share that were unanswerable."""
    declined = [ok for ok, said_no in zip(answerable, abstained, strict=True) if said_no]
    return declined.count(False) / len(declined) if declined else None


def abstention_recall(abstained: Sequence[bool], answerable: Sequence[bool]) -> float | None:
    """Of the unanswerable questions, the share answered with "not in the sources"."""
    unanswerable = [said_no for ok, said_no in zip(answerable, abstained, strict=True) if not ok]
    return unanswerable.count(True) / len(unanswerable) if unanswerable else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0-1) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
