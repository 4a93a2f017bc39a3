"""FacQA (IndoNLU, MIT) as a second eval corpus: real Indonesian news passages, factoid
questions whose gold answer is a span of one passage.

``convert`` writes each passage as an article (``facqa_NNNN.txt``) and two eval sets:
``facqa.jsonl`` holds the FacQA questions (key fact: the gold span) plus the seed set's
questions as unanswerable ones (2023 Russia-North Korea news is not in 2005 Kompas), and
``seeds_cross.jsonl`` holds the seed set plus the FacQA questions as unanswerable ones. So
each corpus is scored on its own questions and on real off-corpus questions at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag.chunk import sentences
from rag.errors import KabarError
from rag.evaluate.items import EvalItem, load_items, save_items


def convert(source: Path, out: Path, seed_set: Path, questions: int = 0) -> list[Path]:
    """Write ``out/articles/``, ``out/facqa.jsonl`` and ``out/seeds_cross.jsonl``.

    ``questions`` > 0 keeps that many FacQA questions, evenly spaced over the dev set (for
    quicker runs of the local model); 0 keeps all 311.
    """
    passages = {int(r["i"]): str(r["text"]) for r in _jsonl(source / "passages.jsonl")}
    rows = _jsonl(source / "questions-dev.jsonl")
    if questions > 0:
        step = max(len(rows) / questions, 1.0)
        rows = [rows[int(i * step)] for i in range(min(questions, len(rows)))]
    articles = out / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    for i, text in passages.items():
        (articles / _article(i)).write_text(text + "\n", encoding="utf-8")
    try:
        facqa = [_item(row, passages) for row in rows]
    except (KeyError, ValueError, TypeError) as exc:
        raise KabarError(f"{source / 'questions-dev.jsonl'}: not a FacQA question: {exc}") from None
    seeds = load_items(seed_set)
    off_seeds = [_unanswerable(s, "seed-") for s in seeds if s.answerable and not s.history]
    save_items([*facqa, *off_seeds], out / "facqa.jsonl")
    save_items([*seeds, *(_unanswerable(f, "facqa-") for f in facqa)], out / "seeds_cross.jsonl")
    return [articles, out / "facqa.jsonl", out / "seeds_cross.jsonl"]


def _item(row: dict[str, Any], passages: dict[int, str]) -> EvalItem:
    passage = passages[int(row["passage"])]
    span = str(row["answer"]).strip()
    quote = next((passage[s:e] for s, e in sentences(passage) if span in passage[s:e]), passage)
    return EvalItem(
        id=f"facqa-{row['id']}",
        question=str(row["question"]),
        lang="id",
        kind="fact",
        gold_docs=(_article(int(row["passage"])),),
        gold_quotes=(quote,),
        reference_answer=span,
        key_facts=(spellings(span),),
    )


def spellings(span: str) -> tuple[str, ...]:
    """The gold span, and for "Long Name (ABBR)" also each part alone: an answer naming
    "Badan Tenaga Atom Internasional" or "IAEA" states the fact."""
    match = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", span)
    return (span, match.group(1), match.group(2)) if match else (span,)


def _unanswerable(item: EvalItem, prefix: str) -> EvalItem:
    return replace(
        item,
        id=prefix + item.id.removeprefix("facqa-"),
        kind="off-corpus",
        answerable=False,
        gold_docs=(),
        gold_quotes=(),
        reference_answer="",
        key_facts=(),
        filters={},  # a seed question's outlet is not in the other corpus: ask it unfiltered
    )


def _article(i: int) -> str:
    return f"facqa_{i:04d}.txt"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    except (OSError, ValueError) as exc:
        raise KabarError(f"cannot read FacQA file {path}: {exc}") from None
