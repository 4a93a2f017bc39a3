"""Evaluation: score retrieval and answers on a question set, report, and gate model swaps.

Modules in the order data flows: ``items`` (the set's schema, load and save), ``metrics``
(pure functions: hit@k, MRR, nDCG, answer correctness, citation and abstention precision and
recall), ``run`` (judge passages against the gold and score an engine), ``report`` (Markdown
and charts), ``compare`` (the gate before a swap) and ``build`` (LLM-written candidate items).
"""

from __future__ import annotations

from rag.evaluate.build import build
from rag.evaluate.compare import compare, flipped, load_result
from rag.evaluate.items import EvalItem, EvalSetError, load_items, save_items
from rag.evaluate.metrics import METRICS
from rag.evaluate.report import chart, write_report
from rag.evaluate.run import RetrievalScore, run, score_answer, score_retrieval

__all__ = [
    "METRICS",
    "EvalItem",
    "EvalSetError",
    "RetrievalScore",
    "build",
    "chart",
    "compare",
    "flipped",
    "load_items",
    "load_result",
    "run",
    "save_items",
    "score_answer",
    "score_retrieval",
    "write_report",
]
