"""Running an eval: judge each retrieved or cited passage against the gold, score, aggregate.

A retrieved passage is relevant when it comes from (or collapses) a gold article and holds
most of a gold quote, so passages that straddle a quote, or another outlet's retelling of it,
still count. Answers are correct when they contain every key fact (any accepted spelling, in
either language).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rag.evaluate import metrics
from rag.evaluate.items import EvalItem
from rag.query import search_query
from rag.search import Hit, trigrams

if TYPE_CHECKING:
    from rag.answer import Answer
    from rag.engine import RAG
    from rag.timeline import Timeline

QUOTE_COVERAGE = 0.5
"""Share of a gold quote's word trigrams a passage must hold to count as relevant: set on the
seed set so a passage that straddles a quote still counts and a passage sharing only a name
does not."""

RANK_CUTOFF = 10
"""Passages scored per question (the @10 of MRR and nDCG)."""

Progress = Callable[[int, int, str], None]
TIMELINE = "timeline"
"""The ``kind`` of items scored as timelines (their question is the topic)."""


def relevant_units(item: EvalItem, hit: Hit) -> set[int]:
    """Indices of the item's gold quotes that this passage supports."""
    docs = {hit.source, *(s.source for s in hit.also_in)}
    if not docs & set(item.gold_docs):
        return set()
    text = trigrams(hit.text)
    return {
        i
        for i, quote in enumerate(item.gold_quotes)
        if (q := trigrams(quote)) and len(q & text) / len(q) >= QUOTE_COVERAGE
    }


@dataclass(frozen=True)
class RetrievalScore:
    """Rank-based scores of one question's retrieved passages."""

    first_relevant: int | None
    """1-based rank of the first relevant passage, None when none was retrieved."""
    ndcg: float

    def hit_at(self, k: int) -> float:
        """1.0 when the first relevant passage is within the top ``k``."""
        return float(self.first_relevant is not None and self.first_relevant <= k)

    @property
    def reciprocal_rank(self) -> float:
        """1 / rank of the first relevant passage (0.0 when none)."""
        return 1.0 / self.first_relevant if self.first_relevant else 0.0


def score_retrieval(item: EvalItem, hits: list[Hit], k: int = RANK_CUTOFF) -> RetrievalScore:
    """First relevant rank and nDCG@k; each gold quote counts once, for its first passage."""
    relevance = [relevant_units(item, hit) for hit in hits[:k]]
    return RetrievalScore(
        metrics.first_relevant(relevance, k),
        metrics.ndcg_at_k(relevance, len(item.gold_quotes), k),
    )


def score_answer(item: EvalItem, answer: Answer) -> dict[str, float | None]:
    """Correctness (all key facts), fact recall, citation precision/recall, abstention."""
    if not item.answerable:
        return {"abstained": float(answer.abstained)}
    text = "" if answer.abstained else answer.text
    cited = [
        relevant_units(item, answer.passages[c.n - 1])
        for c in answer.citations
        if c.n <= len(answer.passages)
    ]
    return {
        "abstained": float(answer.abstained),
        "correct": metrics.answer_correct(text, item.key_facts),
        "fact_recall": metrics.fact_recall(text, item.key_facts),
        "citation_precision": metrics.citation_precision(cited),
        "citation_recall": metrics.citation_recall(cited, len(item.gold_quotes)),
    }


def score_timeline(item: EvalItem, timeline: Timeline) -> dict[str, float]:
    """Expected events found, and found with the date the text gives (``events`` of the item)."""
    recall, accuracy = metrics.timeline_scores(
        item.events, [(e.date, e.text) for e in timeline.events]
    )
    return {"timeline_recall": recall, "timeline_date_accuracy": accuracy}


def run(
    engine: RAG, items: list[EvalItem], answers: bool = True, progress: Progress | None = None
) -> dict[str, Any]:
    """Score ``engine`` on ``items``; returns the JSON-ready result (settings, metrics, rows).

    Unless the settings give one, "today" is the newest article's date (an item's own ``as_of``
    still wins): the prompt tells the model the date, and with the real one a run of the same
    code the next day gave 22 of 81 different seed drafts.
    """
    if not engine.settings.as_of:
        newest = max((article.date for article in engine.articles()), default="")
        engine = type(engine)(engine.settings.replace(as_of=newest)) if newest else engine
    rows: list[dict[str, Any]] = []
    search_ms: list[float] = []
    answer_s: list[float] = []
    dated: dict[str, RAG] = {}
    for done, item in enumerate(items):
        if progress:
            progress(done, len(items), item.id)
        if item.as_of and item.as_of not in dated:
            dated[item.as_of] = type(engine)(engine.settings.replace(as_of=item.as_of))
        asked = dated[item.as_of] if item.as_of else engine
        filters = item.search_filters
        row: dict[str, Any] = {
            "id": item.id,
            "lang": item.lang,
            "kind": item.kind,
            "question": item.question,
            "answerable": item.answerable,
        }
        question = item.question
        if item.kind == TIMELINE:
            rows.append({**row, **score_timeline(item, asked.timeline(question, filters=filters))})
            continue
        if answers:
            answer = asked.ask(item.question, history=list(item.history), filters=filters)
            question = answer.standalone_question or item.question
            answer_s.append(answer.timings.get("total", 0.0))
            row.update(score_answer(item, answer))
            row["answer"] = answer.text
            row["abstain_reason"] = answer.abstain_reason
            row["draft"] = answer.draft
            row["citations"] = [f"[{c.n}] {c.passage.source}" for c in answer.citations]
        else:
            question = search_query(item.question, item.history, (), engine.settings)
        started = time.perf_counter()
        hits = asked.search(question, k=RANK_CUTOFF, filters=filters)
        search_ms.append((time.perf_counter() - started) * 1000)
        if item.answerable:
            scored = score_retrieval(item, hits)
            row.update(
                {
                    "hit@1": scored.hit_at(1),
                    "hit@5": scored.hit_at(5),
                    "mrr@10": scored.reciprocal_rank,
                    "ndcg@10": scored.ndcg,
                    "first_relevant": scored.first_relevant,
                }
            )
        row["top_sources"] = [h.source for h in hits[:3]]
        rows.append(row)
    if progress:
        progress(len(items), len(items), "")
    settings = engine.settings
    return {
        "created": datetime.now().isoformat(timespec="seconds"),
        "embedder": settings.embedder,
        "llm": settings.llm if answers else None,
        "settings": {k: v for k, v in asdict(settings).items() if k != "api_key"},
        "items": len(items),
        "metrics": aggregate(rows, search_ms, answer_s),
        "rows": rows,
    }


def aggregate(
    rows: list[dict[str, Any]], search_ms: list[float], answer_s: list[float]
) -> dict[str, float]:
    """Means of the per-question scores, abstention precision/recall and latency quantiles."""

    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if r["answerable"] and r.get(key) is not None]
        return statistics.mean(values) if values else None

    found: dict[str, float | None] = {
        "timeline_recall": mean("timeline_recall"),
        "timeline_date_accuracy": mean("timeline_date_accuracy"),
        "hit@1": mean("hit@1"),
        "hit@5": mean("hit@5"),
        "mrr@10": mean("mrr@10"),
        "ndcg@10": mean("ndcg@10"),
        "search_p50_ms": metrics.percentile(search_ms, 0.5),
        "search_p95_ms": metrics.percentile(search_ms, 0.95),
    }
    if answer_s:
        answered = [r for r in rows if "abstained" in r]  # timeline items are not answers
        abstained = [bool(r["abstained"]) for r in answered]
        answerable = [bool(r["answerable"]) for r in answered]
        found.update(
            {
                "answer_correct": mean("correct"),
                "fact_recall": mean("fact_recall"),
                "citation_precision": mean("citation_precision"),
                "citation_recall": mean("citation_recall"),
                "abstention_precision": metrics.abstention_precision(abstained, answerable),
                "abstention_recall": metrics.abstention_recall(abstained, answerable),
                "answer_p50_s": metrics.percentile(answer_s, 0.5),
                "answer_p95_s": metrics.percentile(answer_s, 0.95),
            }
        )
    return {k: round(v, 4) for k, v in found.items() if v is not None}
