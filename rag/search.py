"""Hybrid retrieval: dense (chromadb) and BM25 ranks fused, near-duplicates collapsed.

Two measured choices (``eval/``, seed set):
- A passage's dense score is its own similarity plus ``ARTICLE_WEIGHT`` times the best
  similarity among its article's candidates, so a paragraph that never names its place (the
  Kinzhal paragraph never says "Vladivostok") rises with the article that does.
- The lexical side is weighted by the square of the share of the question's words that occur in
  the corpus: an English question over Indonesian articles shares few words with them and BM25
  would add noise; an Indonesian question, or one naming people and places, gets its help.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rag.embed import Embedder
from rag.lexical import LexicalIndex
from rag.store import Record, Store

RRF_K = 60
ARTICLE_WEIGHT = 0.3
DUPLICATE_OVERLAP = 0.45  # share of the shorter passage's word trigrams in the other; retellings
# of one wire story in the seeds overlap 0.47-0.85, unrelated passages at most 0.33


@dataclass(frozen=True)
class Source:
    """Where a passage also appears (another outlet reporting the same story)."""

    chunk_id: str
    doc_id: str
    source: str
    title: str
    outlet: str
    date: str


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its article's metadata and where it sits in the original."""

    chunk_id: str
    doc_id: str
    source: str
    title: str
    date: str
    text: str
    score: float
    """Fused rank score (higher is better); comparable within one result list only."""
    start: int
    end: int
    similarity: float = 0.0
    """Cosine similarity of the passage to the question (dense side)."""
    outlet: str = ""
    city: str = ""
    language: str = ""
    url: str = ""
    """Where the article was published, when known: link the citation to it."""
    spans: tuple[tuple[int, int], ...] = ()
    also_in: tuple[Source, ...] = field(default=())
    """Near-identical passages from other articles, collapsed into this hit."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "outlet": self.outlet,
            "city": self.city,
            "language": self.language,
            "url": self.url,
            "text": self.text,
            "score": round(self.score, 6),
            "similarity": round(self.similarity, 4),
            "start": self.start,
            "end": self.end,
            "also_in": [s.__dict__ for s in self.also_in],
        }


@dataclass(frozen=True)
class Filters:
    """Optional restrictions: only these source files, only dates within a range (ISO)."""

    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.date_from:
            clauses.append({"date_num": {"$gte": _date_num(self.date_from)}})
        if self.date_to:
            clauses.append({"date_num": {"$lte": _date_num(self.date_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def mask(self, lexical: LexicalIndex) -> np.ndarray | None:
        if not (self.sources or self.date_from or self.date_to):
            return None
        keep = np.ones(len(lexical.ids), dtype=bool)
        if self.sources:
            keep &= np.isin(np.asarray(lexical.sources), list(self.sources))
        if self.date_from:
            keep &= lexical.dates >= _date_num(self.date_from)
        if self.date_to:
            keep &= lexical.dates <= _date_num(self.date_to)
        return keep.astype(np.float32)


def hybrid_search(
    query: str,
    k: int,
    store: Store,
    lexical: LexicalIndex,
    embedder: Embedder,
    filters: Filters = Filters(),
) -> list[Hit]:
    """The ``k`` best passages for ``query``: fused dense and lexical ranks, duplicates merged."""
    stored = store.count()
    if stored == 0:
        return []
    pool = max(4 * k, 20)
    vector = embedder.query(query)
    dense = _with_article_context(store.query(vector, min(pool, stored), filters.chroma_where()))
    weight = lexical.vocabulary_coverage(query) ** 2
    lexical_hits = lexical.search(query, pool, filters.mask(lexical)) if weight > 0 else []
    fused: dict[str, float] = {}
    for rank, record in enumerate(dense):
        fused[record.chunk_id] = 1.0 / (RRF_K + rank + 1)
    for rank, (chunk_id, _) in enumerate(lexical_hits):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
    records = {r.chunk_id: r for r in dense}
    # Passages only BM25 found: read their stored vectors to give them a similarity too.
    records.update(store.get([cid for cid in fused if cid not in records], vector))
    ranked = sorted((cid for cid in fused if cid in records), key=lambda c: -fused[c])
    return _collapse([_hit(records[c], fused[c]) for c in ranked], k)


def _with_article_context(records: list[Record]) -> list[Record]:
    """Dense candidates re-ranked by own similarity plus their article's best similarity."""
    best: dict[str, float] = {}
    for r in records:
        source = r.metadata.get("source", "")
        best[source] = max(best.get(source, -1.0), r.similarity)
    return sorted(
        records, key=lambda r: -(r.similarity + ARTICLE_WEIGHT * best[r.metadata.get("source", "")])
    )


def _hit(record: Record, score: float) -> Hit:
    meta = record.metadata
    spans = tuple(tuple(s) for s in json.loads(meta.get("spans", "[]")))
    return Hit(
        chunk_id=record.chunk_id,
        doc_id=meta.get("doc_id", ""),
        source=meta.get("source", ""),
        title=meta.get("title", ""),
        date=meta.get("date", ""),
        text=record.text,
        score=score,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        similarity=record.similarity,
        outlet=meta.get("outlet", ""),
        city=meta.get("city", ""),
        language=meta.get("language", ""),
        url=meta.get("url", ""),
        spans=spans,  # type: ignore[arg-type]
    )


def _collapse(hits: list[Hit], k: int) -> list[Hit]:
    """Merge near-identical passages from different articles into the best-ranked one."""
    kept: list[tuple[Hit, set[tuple[str, ...]]]] = []
    for hit in hits:
        grams = trigrams(hit.text)
        for i, (other, other_grams) in enumerate(kept):
            if other.source != hit.source and _overlap(grams, other_grams) >= DUPLICATE_OVERLAP:
                source = Source(
                    hit.chunk_id, hit.doc_id, hit.source, hit.title, hit.outlet, hit.date
                )
                if all(s.source != hit.source for s in other.also_in):
                    kept[i] = (_with_source(other, source), other_grams)
                break
        else:
            if len(kept) < k:
                kept.append((hit, grams))
    return [hit for hit, _ in kept]


def _with_source(hit: Hit, source: Source) -> Hit:
    return replace(hit, also_in=(*hit.also_in, source))


def trigrams(text: str) -> set[tuple[str, ...]]:
    """Word trigrams of ``text``, case-folded: the unit of near-duplicate and quote matching."""
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}


def _overlap(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)


def _date_num(iso: str) -> int:
    return int(iso.replace("-", "")[:8].ljust(8, "0"))
