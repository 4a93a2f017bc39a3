"""Rank fusion, the article-context re-rank and duplicate collapse, pinned to exact values on
hand-built inputs (no model, no store)."""

from __future__ import annotations

import pytest

from rag.search import (
    ARTICLE_WEIGHT,
    Hit,
    collapse_duplicates,
    reciprocal_rank_fusion,
    rerank_by_article,
)
from rag.store import Record


def test_fusion_sums_weighted_reciprocal_ranks() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "d"]], [1.0, 0.5], k=60)
    assert fused == pytest.approx(
        {"c": 1 / 63 + 0.5 / 61, "a": 1 / 61, "b": 1 / 62, "d": 0.5 / 62}, abs=1e-15
    )
    assert list(fused) == ["c", "a", "b", "d"]  # c is in both rankings


def test_fusion_with_a_zero_weight_keeps_the_first_ranking() -> None:
    """An English question over Indonesian text: BM25's weight is 0, its ranks change nothing."""
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "z"]], [1.0, 0.0], k=60)
    assert list(fused) == ["a", "b", "z"]
    assert fused["z"] == 0.0 and fused["b"] == 1 / 62


def test_fusion_ties_keep_first_appearance_and_k_flattens_ranks() -> None:
    assert list(reciprocal_rank_fusion([["a", "b"], ["b", "a"]], [1.0, 1.0], k=1)) == ["a", "b"]
    small_k = reciprocal_rank_fusion([["a", "b"]], [1.0], k=1)
    assert small_k == {"a": 1 / 2, "b": 1 / 3}


def record(chunk_id: str, source: str, similarity: float) -> Record:
    return Record(chunk_id, f"text of {chunk_id}", {"source": source}, similarity)


def test_a_passage_rises_with_its_article() -> None:
    """x2 is less similar than y1 on its own, but its article holds the best passage."""
    records = [
        record("x1", "x.txt", 0.85),
        record("y1", "y.txt", 0.79),
        record("x2", "x.txt", 0.78),
    ]
    # own similarity + 0.3 x the article's best: x1 1.105, x2 1.035, y1 1.027
    assert ARTICLE_WEIGHT == 0.3
    assert [r.chunk_id for r in rerank_by_article(records)] == ["x1", "x2", "y1"]


def test_the_article_rerank_keeps_order_within_an_article_and_across_equal_ones() -> None:
    records = [record("a1", "a", 0.9), record("a2", "a", 0.5), record("b1", "b", 0.9)]
    assert [r.chunk_id for r in rerank_by_article(records)] == ["a1", "b1", "a2"]


STORY = "Shoigu menyerahkan surat dari Presiden Vladimir Putin kepada Kim Jong Un di Pyongyang"


def hit(chunk_id: str, source: str, text: str, score: float) -> Hit:
    return Hit(
        chunk_id, f"doc-{source}", source, f"title {source}", "2023-07-27", text, score, 0, 1
    )


def test_retellings_from_other_articles_collapse_into_the_best_ranked_one() -> None:
    hits = [
        hit("t1", "tempo.txt", STORY + ".", 0.9),
        hit("k1", "kompas.txt", "Kim bertemu Shoigu dan membahas kerja sama militer.", 0.8),
        hit("r1", "reuters.txt", "Menurut KCNA, " + STORY + " pada Rabu.", 0.7),
        hit("t2", "tempo.txt", STORY + " (ulang).", 0.6),  # same article: not a retelling
    ]
    kept = collapse_duplicates(hits, k=5)
    assert [h.chunk_id for h in kept] == ["t1", "k1", "t2"]
    assert [(s.chunk_id, s.source) for s in kept[0].also_in] == [("r1", "reuters.txt")]
    assert kept[1].also_in == () and kept[2].also_in == ()


def test_collapse_stops_at_k_but_still_merges_later_retellings() -> None:
    hits = [
        hit("t1", "tempo.txt", STORY + ".", 0.9),
        hit("k1", "kompas.txt", "Kim bertemu Shoigu dan membahas kerja sama militer.", 0.8),
        hit("x1", "x.txt", "Korea Utara meluncurkan kapal selam baru di Sinpo.", 0.7),
        hit("r1", "reuters.txt", STORY + " kata KCNA.", 0.6),
    ]
    kept = collapse_duplicates(hits, k=2)
    assert [h.chunk_id for h in kept] == ["t1", "k1"]
    assert [s.source for s in kept[0].also_in] == ["reuters.txt"]
