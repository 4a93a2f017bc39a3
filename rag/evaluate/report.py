"""Eval reports: result.json, a Markdown report with a per-question table, and a bar chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.evaluate.metrics import METRICS


def label(result: dict[str, Any]) -> str:
    """``embedder · model`` of a run, the name a reader knows it by."""
    return f"{result['embedder']} · {result.get('llm') or 'retrieval only'}"


def write_report(result: dict[str, Any], out: Path) -> list[Path]:
    """result.json, report.md (metrics and a per-question table) and chart.png in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    lines = [
        f"# kabar eval: {label(result)}",
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
    """A bar chart of the quality metrics (0-1), side by side with ``base`` when given.

    Each run appears once in the legend: by its name alone, or as ``base: name`` and
    ``new: name`` in a comparison.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in METRICS if k in result["metrics"] and not k.endswith(("_ms", "_s"))]
    runs = [(f"base: {label(base)}", base), (f"new: {label(result)}", result)] if base else []
    runs = runs or [(label(result), result)]
    figure, axes = plt.subplots(figsize=(max(6, len(names) * 0.9), 3.6))
    width = 0.8 / len(runs)
    for i, (name, data) in enumerate(runs):
        values = [data["metrics"].get(n, 0.0) for n in names]
        bars = axes.bar([x + i * width for x in range(len(names))], values, width, label=name)
        axes.bar_label(bars, fmt="%.2f", fontsize=7)
    axes.set_xticks(
        [x + width * (len(runs) - 1) / 2 for x in range(len(names))],
        names,
        rotation=30,
        ha="right",
        fontsize=8,
    )
    axes.set_ylim(0, 1.3)  # room above the 1.0 bars for their labels and the legend
    axes.legend(fontsize=7, loc="upper center", ncols=len(runs), frameon=False)
    axes.set_title("kabar eval", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return "✓" if value >= 1 else "✗" if value == 0 else f"{value:.2f}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
