"""Evaluation: score retrieval and answers on a curated question set; compare two runs.

An item's gold is a set of supporting quotes in named articles. A retrieved passage is
relevant when it comes from (or collapses) a gold article and holds most of a gold quote, so
passages that straddle a quote, or another outlet's retelling of it, still count.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.search import Hit

QUOTE_COVERAGE = 0.5  # share of a quote's word trigrams a passage must contain


@dataclass(frozen=True)
class EvalItem:
    """One question with its gold documents, quotes, reference answer and key facts."""

    id: str
    question: str
    lang: str = "en"
    kind: str = "fact"
    answerable: bool = True
    gold_docs: tuple[str, ...] = ()
    gold_quotes: tuple[str, ...] = ()
    reference_answer: str = ""
    key_facts: tuple[tuple[str, ...], ...] = ()
    history: tuple[dict[str, str], ...] = ()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EvalItem:
        return cls(
            id=str(raw["id"]),
            question=str(raw["question"]),
            lang=raw.get("lang", "en"),
            kind=raw.get("kind", "fact"),
            answerable=bool(raw.get("answerable", True)),
            gold_docs=tuple(raw.get("gold_docs", ())),
            gold_quotes=tuple(raw.get("gold_quotes", ())),
            reference_answer=raw.get("reference_answer", ""),
            key_facts=tuple(tuple(f) for f in raw.get("key_facts", ())),
            history=tuple(raw.get("history", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "lang": self.lang,
            "kind": self.kind,
            "answerable": self.answerable,
            "gold_docs": list(self.gold_docs),
            "gold_quotes": list(self.gold_quotes),
            "reference_answer": self.reference_answer,
            "key_facts": [list(f) for f in self.key_facts],
            "history": list(self.history),
        }


def load_items(path: str | Path) -> list[EvalItem]:
    """Read an eval set (JSON Lines, one item a line)."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(EvalItem.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a valid eval item: {exc}") from None
    return items


def relevant_units(item: EvalItem, hit: Hit) -> set[int]:
    """Indices of the item's gold quotes that this passage supports."""
    docs = {hit.source, *(s.source for s in hit.also_in)}
    if not docs & set(item.gold_docs):
        return set()
    text = _trigrams(hit.text)
    return {
        i
        for i, quote in enumerate(item.gold_quotes)
        if (q := _trigrams(quote)) and len(q & text) / len(q) >= QUOTE_COVERAGE
    }


@dataclass
class RetrievalScore:
    """Rank-based scores of one question's retrieved passages."""

    first_relevant: int | None  # 1-based rank, None when no relevant passage was retrieved
    ndcg: float
    covered: list[bool] = field(default_factory=list)

    def hit_at(self, k: int) -> float:
        return float(self.first_relevant is not None and self.first_relevant <= k)

    @property
    def reciprocal_rank(self) -> float:
        return 1.0 / self.first_relevant if self.first_relevant else 0.0


def score_retrieval(item: EvalItem, hits: list[Hit], k: int = 10) -> RetrievalScore:
    """hit@k, MRR@k and nDCG@k; each gold quote counts once, for the first passage covering it."""
    covered: set[int] = set()
    first = None
    dcg = 0.0
    flags = []
    for rank, hit in enumerate(hits[:k], 1):
        units = relevant_units(item, hit)
        flags.append(bool(units))
        if units and first is None:
            first = rank
        new = units - covered
        if new:
            dcg += 1.0 / math.log2(rank + 1)
            covered |= new
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(item.gold_quotes), k) + 1))
    return RetrievalScore(first, dcg / ideal if ideal else 0.0, flags)


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}
