"""Building a candidate eval set from any corpus: an LLM writes, kabar verifies, a human reviews."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, TypeVar

from rag import llm
from rag.errors import KabarError
from rag.evaluate.items import EvalItem
from rag.evaluate.run import Progress
from rag.generate import EXTRACTIVE
from rag.language import question_language
from rag.prompts import prompt

if TYPE_CHECKING:
    from rag.engine import RAG
    from rag.store import Record

T = TypeVar("T")

MIN_QUOTE_CHARS = 20
"""A shorter "quote" is a phrase that occurs anywhere, not evidence for one passage."""
MAX_FACTS = 3
REPLY_TOKENS = 200
"""Enough for the JSON object the prompt asks for (question, answer, quote, key facts)."""
CANDIDATES_PER_ITEM = 3
"""Passages tried per wanted item: about a third of the local model's drafts pass the checks."""
VERIFY_TOP_K = 5


def build(
    engine: RAG, n: int, model: str | None = None, progress: Progress | None = None
) -> list[EvalItem]:
    """Up to ``n`` LLM-written items from the indexed articles, each one verified: its quote
    occurs verbatim in the passage, its key facts in the quote or answer, and searching its
    question finds the passage among the top 5. Review them by hand before trusting them."""
    model = model or engine.settings.llm
    if model == EXTRACTIVE:
        raise KabarError("building an eval set needs a language model, not 'extractive'")
    by_source: dict[str, list[Record]] = {}
    for record in engine.store.records():
        by_source.setdefault(record.metadata.get("source", ""), []).append(record)
    for records in by_source.values():
        records.sort(key=lambda r: r.metadata.get("position", 0))
    queue = round_robin(list(by_source.values()))
    items: list[EvalItem] = []
    for tried, record in enumerate(queue[: CANDIDATES_PER_ITEM * n]):
        if len(items) >= n:
            break
        if progress:
            progress(len(items), n, f"passage {tried + 1}")
        request = prompt(
            "eval_question.md",
            engine.settings,
            language="English" if tried % 2 == 0 else "Indonesian",
            title=record.metadata.get("title", ""),
            date=record.metadata.get("date", ""),
            text=record.text,
        )
        try:
            reply = llm.complete(
                [{"role": "user", "content": request}],
                model,
                engine.settings,
                max_tokens=REPLY_TOKENS,
            )
        except KabarError:
            continue
        item = _verified(engine, record, reply, f"g{len(items) + 1:02d}")
        if item:
            items.append(item)
    if progress:
        progress(len(items), n, "")
    return items


def _verified(engine: RAG, record: Record, reply: str, item_id: str) -> EvalItem | None:
    match = re.search(r"\{.*\}", reply, re.DOTALL)
    try:
        data: Any = json.loads(match.group()) if match else {}
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    question, answer = str(data.get("question", "")).strip(), str(data.get("answer", "")).strip()
    quote = str(data.get("quote", "")).strip().strip('"')
    if not question or not answer or len(quote) < MIN_QUOTE_CHARS or quote not in record.text:
        return None
    raw_facts = data.get("key_facts", [])
    facts = (
        [str(f).strip() for f in raw_facts if str(f).strip()] if isinstance(raw_facts, list) else []
    )
    facts = [f for f in facts if f and f.casefold() in (quote + " " + answer).casefold()]
    if not facts:
        return None
    hits = engine.search(question, k=VERIFY_TOP_K)
    found = {h.chunk_id for h in hits} | {s.chunk_id for h in hits for s in h.also_in}
    if record.chunk_id not in found:
        return None
    return EvalItem(
        id=item_id,
        question=question,
        lang=question_language(question),
        kind="fact",
        gold_docs=(record.metadata.get("source", ""),),
        gold_quotes=(quote,),
        reference_answer=answer,
        key_facts=tuple((f,) for f in facts[:MAX_FACTS]),
    )


def round_robin(groups: list[list[T]]) -> list[T]:
    """[[a1, a2], [b1]] -> [a1, b1, a2]: one passage of each article in turn."""
    depth = max((len(g) for g in groups), default=0)
    return [g[i] for i in range(depth) for g in groups if i < len(g)]
