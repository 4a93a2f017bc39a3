"""Evaluation: score retrieval and answers on a question set, report, and gate model swaps.

An item's gold is a set of supporting quotes in named articles. A retrieved passage is
relevant when it comes from (or collapses) a gold article and holds most of a gold quote, so
passages that straddle a quote, or another outlet's retelling of it, still count. Answers are
correct when they contain every key fact (any accepted spelling, in either language).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rag.answer import Answer
from rag.config import Settings
from rag.errors import KabarError
from rag.search import Hit, trigrams

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
    text = trigrams(hit.text)
    return {
        i
        for i, quote in enumerate(item.gold_quotes)
        if (q := trigrams(quote)) and len(q & text) / len(q) >= QUOTE_COVERAGE
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


def has_fact(text: str, variants: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(v.casefold() in folded for v in variants)


def score_answer(item: EvalItem, answer: Answer) -> dict[str, float | None]:
    """Correctness (all key facts), fact recall, citation precision/recall, abstention."""
    if not item.answerable:
        return {"abstained": float(answer.abstained)}
    facts = [has_fact(answer.text, f) for f in item.key_facts] if not answer.abstained else []
    fact_recall = sum(facts) / len(item.key_facts) if item.key_facts else 0.0
    cited = [answer.passages[c.n - 1] for c in answer.citations if c.n <= len(answer.passages)]
    units = [relevant_units(item, hit) for hit in cited]
    covered = set().union(*units) if units else set()
    return {
        "abstained": float(answer.abstained),
        "correct": float(bool(facts) and all(facts)),
        "fact_recall": fact_recall,
        "citation_precision": sum(bool(u) for u in units) / len(units) if units else None,
        "citation_recall": len(covered) / len(item.gold_quotes) if item.gold_quotes else None,
    }


METRICS = {
    # name: (direction, gated by compare)
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
    "search_p50_ms": ("lower", False),
    "search_p95_ms": ("lower", False),
    "answer_p50_s": ("lower", False),
    "answer_p95_s": ("lower", False),
}


def run(
    engine: Any,
    items: list[EvalItem],
    answers: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Score ``engine`` (a RAG) on ``items``; returns the JSON-ready result."""
    rows: list[dict[str, Any]] = []
    search_ms: list[float] = []
    answer_s: list[float] = []
    for done, item in enumerate(items):
        if progress:
            progress(done, len(items), item.id)
        row: dict[str, Any] = {
            "id": item.id,
            "lang": item.lang,
            "kind": item.kind,
            "question": item.question,
            "answerable": item.answerable,
        }
        question = item.question
        if answers:
            answer = engine.ask(item.question, history=list(item.history))
            question = answer.standalone_question or item.question
            answer_s.append(answer.timings.get("total", 0.0))
            row.update(score_answer(item, answer))
            row["answer"] = answer.text
            row["abstain_reason"] = answer.abstain_reason
            row["citations"] = [f"[{c.n}] {c.passage.source}" for c in answer.citations]
        elif item.history:
            asked = [t["content"] for t in item.history if t["role"] == "user"]
            question = " ".join([*asked, item.question])
        started = time.perf_counter()
        hits = engine.search(question, k=10)
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
    settings: Settings = engine.settings
    return {
        "created": datetime.now().isoformat(timespec="seconds"),
        "embedder": settings.embedder,
        "llm": settings.llm if answers else None,
        "settings": {k: v for k, v in settings.__dict__.items() if k != "api_key"},
        "items": len(items),
        "metrics": _aggregate(rows, search_ms, answer_s),
        "rows": rows,
    }


def _aggregate(
    rows: list[dict[str, Any]], search_ms: list[float], answer_s: list[float]
) -> dict[str, float]:
    def mean(key: str, answerable: bool = True) -> float | None:
        values = [r[key] for r in rows if r["answerable"] == answerable and r.get(key) is not None]
        return statistics.mean(values) if values else None

    metrics: dict[str, float | None] = {
        "hit@1": mean("hit@1"),
        "hit@5": mean("hit@5"),
        "mrr@10": mean("mrr@10"),
        "ndcg@10": mean("ndcg@10"),
        "search_p50_ms": _percentile(search_ms, 0.5),
        "search_p95_ms": _percentile(search_ms, 0.95),
    }
    if answer_s:
        abstained = [r for r in rows if r.get("abstained")]
        unanswerable = [r for r in rows if not r["answerable"]]
        right = [r for r in abstained if not r["answerable"]]
        metrics.update(
            {
                "answer_correct": mean("correct"),
                "fact_recall": mean("fact_recall"),
                "citation_precision": mean("citation_precision"),
                "citation_recall": mean("citation_recall"),
                "abstention_precision": len(right) / len(abstained) if abstained else None,
                "abstention_recall": len(right) / len(unanswerable) if unanswerable else None,
                "answer_p50_s": _percentile(answer_s, 0.5),
                "answer_p95_s": _percentile(answer_s, 0.95),
            }
        )
    return {k: round(v, 4) for k, v in metrics.items() if v is not None}


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- building a candidate set from any corpus ---------------------------------------------------


def build(
    engine: Any,
    n: int,
    model: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[EvalItem]:
    """Up to ``n`` LLM-written items from the indexed articles, each one verified: its quote
    occurs verbatim in the passage, its key facts in the quote or answer, and searching its
    question finds the passage among the top 5. Review them by hand before trusting them."""
    from rag import llm
    from rag.answer import prompt
    from rag.clean import detect_language

    model = model or engine.settings.llm
    if model == llm.EXTRACTIVE:
        raise KabarError("building an eval set needs a language model, not 'extractive'")
    by_source: dict[str, list[Any]] = {}
    for record in engine.store.records():
        by_source.setdefault(record.metadata.get("source", ""), []).append(record)
    for records in by_source.values():
        records.sort(key=lambda r: r.metadata.get("position", 0))
    queue = [r for group in _round_robin(list(by_source.values())) for r in group]
    items: list[EvalItem] = []
    for tried, record in enumerate(queue[: 3 * n]):
        if len(items) >= n:
            break
        if progress:
            progress(len(items), n, f"passage {tried + 1}")
        language = "English" if tried % 2 == 0 else "Indonesian"
        request = prompt(
            "eval_question.md",
            engine.settings,
            language=language,
            title=record.metadata.get("title", ""),
            date=record.metadata.get("date", ""),
            text=record.text,
        )
        try:
            reply = llm.complete(
                [{"role": "user", "content": request}], model, engine.settings, max_tokens=200
            )
        except KabarError:
            continue
        item = _verified(engine, record, reply, f"g{len(items) + 1:02d}", detect_language)
        if item:
            items.append(item)
    if progress:
        progress(len(items), n, "")
    return items


def _verified(
    engine: Any, record: Any, reply: str, item_id: str, detect_language: Callable[[str], str]
) -> EvalItem | None:
    match = re.search(r"\{.*\}", reply, re.DOTALL)
    try:
        data = json.loads(match.group()) if match else {}
    except ValueError:
        return None
    question, answer = str(data.get("question", "")).strip(), str(data.get("answer", "")).strip()
    quote = str(data.get("quote", "")).strip().strip('"')
    if not question or not answer or len(quote) < 20 or quote not in record.text:
        return None
    facts = [str(f).strip() for f in data.get("key_facts", []) if str(f).strip()]
    facts = [f for f in facts if f.casefold() in (quote + " " + answer).casefold()]
    if not facts:
        return None
    hits = engine.search(question, k=5)
    if record.chunk_id not in {h.chunk_id for h in hits} | {
        s.chunk_id for h in hits for s in h.also_in
    }:
        return None
    return EvalItem(
        id=item_id,
        question=question,
        lang=detect_language(question),
        kind="fact",
        gold_docs=(record.metadata.get("source", ""),),
        gold_quotes=(quote,),
        reference_answer=answer,
        key_facts=tuple((f,) for f in facts[:3]),
    )


def _round_robin(groups: list[list[Any]]) -> list[list[Any]]:
    """[[a1, a2], [b1]] -> [[a1, b1], [a2]]: one passage of each article in turn."""
    rounds = []
    depth = max((len(g) for g in groups), default=0)
    for i in range(depth):
        rounds.append([g[i] for g in groups if i < len(g)])
    return rounds


def save_items(items: list[EvalItem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(i.to_dict(), ensure_ascii=False) + "\n" for i in items), encoding="utf-8"
    )


# -- reports ------------------------------------------------------------------------------------


def write_report(result: dict[str, Any], out: Path) -> list[Path]:
    """result.json, report.md (metrics and a per-question table) and chart.png in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    lines = [
        f"# kabar eval: {result['embedder']} · {result['llm'] or 'retrieval only'}",
        "",
        f"{result['items']} questions, {result['created']}.",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {k} | {v:.3f} |" for k, v in result["metrics"].items()),
        "",
        "## Questions",
        "",
        "| id | lang | kind | hit@5 | rank | correct | abstained | question | answer |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        cells = [
            r["id"],
            r["lang"],
            r["kind"],
            _cell(r.get("hit@5")),
            str(r.get("first_relevant") or "-"),
            _cell(r.get("correct")),
            _cell(r.get("abstained"))
            + (f" {r['abstain_reason']}" if r.get("abstain_reason") else ""),
            _md(r["question"]),
            _md(r.get("answer", ""))[:200],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    (out / "report.md").write_text("\n".join(lines) + "\n", "utf-8")
    chart(result, out / "chart.png")
    return [out / "result.json", out / "report.md", out / "chart.png"]


def chart(result: dict[str, Any], path: Path, base: dict[str, Any] | None = None) -> None:
    """A bar chart of the quality metrics (0-1), side by side with ``base`` when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in METRICS if k in result["metrics"] and not k.endswith(("_ms", "_s"))]
    runs = [("new" if base else _label(result), result)]
    if base:
        runs.insert(0, ("base", base))
    figure, axes = plt.subplots(figsize=(max(6, len(names) * 0.9), 3.6))
    width = 0.8 / len(runs)
    for i, (label, data) in enumerate(runs):
        values = [data["metrics"].get(n, 0.0) for n in names]
        bars = axes.bar(
            [x + i * width for x in range(len(names))],
            values,
            width,
            label=f"{label}: {_label(data)}",
        )
        axes.bar_label(bars, fmt="%.2f", fontsize=7)
    axes.set_xticks(
        [x + width * (len(runs) - 1) / 2 for x in range(len(names))],
        names,
        rotation=30,
        ha="right",
        fontsize=8,
    )
    axes.set_ylim(0, 1.3)
    axes.legend(fontsize=7, loc="upper center", ncols=len(runs), frameon=False)
    axes.set_title("kabar eval", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def compare(base: dict[str, Any], new: dict[str, Any], max_drop: float) -> tuple[str, bool]:
    """A side-by-side table, the questions that flipped, and whether the gate passes."""
    lines = [
        f"base: {_label(base)}",
        f"new:  {_label(new)}",
        "",
        f"{'metric':<22}{'base':>9}{'new':>9}{'delta':>9}  gate",
    ]
    failed = []
    for name, (direction, gated) in METRICS.items():
        if name not in base["metrics"] or name not in new["metrics"]:
            continue
        old, now = base["metrics"][name], new["metrics"][name]
        delta = now - old
        worse = -delta if direction == "higher" else delta
        verdict = ""
        if gated:
            verdict = "FAIL" if worse > max_drop else "ok"
            if verdict == "FAIL":
                failed.append(name)
        lines.append(f"{name:<22}{old:>9.3f}{now:>9.3f}{delta:>+9.3f}  {verdict}")
    flips = _flips(base, new)
    if flips:
        lines += ["", "right before, wrong now:"]
        lines += [f"  {i} ({what}): {question}" for i, what, question in flips]
    passed = not failed
    lines += [
        "",
        f"gate {'passed' if passed else 'FAILED'}: "
        + (
            f"no gated metric dropped more than {max_drop}"
            if passed
            else f"{', '.join(failed)} dropped more than {max_drop}"
        ),
    ]
    return "\n".join(lines), passed


def _flips(base: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    before = {r["id"]: r for r in base["rows"]}
    flips = []
    for row in new["rows"]:
        old = before.get(row["id"])
        if not old:
            continue
        for key, what in (
            ("hit@5", "retrieval"),
            ("correct", "answer"),
            ("abstained", "abstention"),
        ):
            if key == "abstained":
                if not row["answerable"] and old.get(key) and not row.get(key):
                    flips.append((row["id"], what, row["question"]))
            elif old.get(key) == 1.0 and row.get(key) == 0.0:
                flips.append((row["id"], what, row["question"]))
    return flips


def load_result(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KabarError(f"cannot read eval result {path}: {exc}") from None


def _label(result: dict[str, Any]) -> str:
    return f"{result['embedder']} · {result.get('llm') or 'retrieval only'}"


def _cell(value: float | None) -> str:
    return "-" if value is None else ("✓" if value >= 1 else "✗" if value == 0 else f"{value:.2f}")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
