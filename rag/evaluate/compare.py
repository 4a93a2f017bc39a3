"""The gate before a model swap: two runs side by side, the questions that flipped, pass/fail."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.errors import KabarError
from rag.evaluate.metrics import METRICS
from rag.evaluate.report import label

FLIP_KEYS = (("hit@5", "retrieval"), ("correct", "answer"))


def load_result(path: str | Path) -> dict[str, Any]:
    """A ``result.json`` written by ``kabar eval run``."""
    try:
        result = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KabarError(f"cannot read eval result {path}: {exc}") from None
    if not isinstance(result, dict) or not {"embedder", "metrics", "rows"} <= set(result):
        raise KabarError(f"{path} is not a result.json written by kabar eval run")
    return result


def compare(base: dict[str, Any], new: dict[str, Any], max_drop: float) -> tuple[str, bool]:
    """A side-by-side table, the questions that flipped either way, and whether the gate passes.

    A gated metric fails when it is worse in ``new`` by more than ``max_drop``.
    """
    table = [("metric", "base", "new", "delta", "gate")]
    failed = []
    for name, (direction, gated) in METRICS.items():
        if name not in base["metrics"] or name not in new["metrics"]:
            continue
        old, now = base["metrics"][name], new["metrics"][name]
        worse = old - now if direction == "higher" else now - old
        verdict = ("FAIL" if worse > max_drop else "ok") if gated else ""
        if verdict == "FAIL":
            failed.append(name)
        table.append((name, f"{old:.3f}", f"{now:.3f}", f"{now - old:+.3f}", verdict))
    lines = [f"base: {label(base)}", f"new:  {label(new)}", "", *_columns(table)]
    # both ways: a local model's two runs of the same code differ on a few answers
    worse, better = flipped(base, new), flipped(new, base)
    for heading, flips in (
        ("right before, wrong now:", worse),
        ("wrong before, right now:", better),
    ):
        if flips:
            lines += ["", heading, *(f"  {i} ({what}): {question}" for i, what, question in flips)]
    if worse or better:
        lines += ["", *_columns(_split_table(worse, better)), *CHANCE_NOTE]
    answered = base.get("llm") and new.get("llm")
    if answered and (before := today_of(base)) != (now := today_of(new)):
        lines += [
            "",
            f'note: base read "today" as {before}, new as {now}; the model is told the date, so',
            "some answers differ for that alone (kabar eval run reads it as the newest article's).",
        ]
    passed = not failed
    verdict = (
        f"gate passed: no gated metric dropped more than {max_drop}"
        if passed
        else f"gate FAILED: {', '.join(failed)} dropped more than {max_drop}"
    )
    return "\n".join([*lines, "", verdict]), passed


def today_of(result: dict[str, Any]) -> str:
    """The date a run read as "today": its settings' ``as_of``, else the day it ran."""
    return str(result.get("settings", {}).get("as_of") or result.get("created", "")[:10])


def flipped(base: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(id, what, question) of questions right in ``base`` and wrong in ``new``."""
    before = {r["id"]: r for r in base["rows"]}
    flips = []
    for row in new["rows"]:
        old = before.get(row["id"])
        if not old:
            continue
        for key, what in FLIP_KEYS:
            if old.get(key) == 1.0 and row.get(key) == 0.0:
                flips.append((row["id"], what, row["question"]))
        if not row["answerable"] and old.get("abstained") and not row.get("abstained"):
            flips.append((row["id"], "abstention", row["question"]))
    return flips


CHANCE_NOTE = (
    "p: how often a change with no effect splits the flipped questions at least this unevenly",
    "(two-sided sign test); from 0.05 up, chance alone explains the difference.",
)


def _split_table(
    worse: Sequence[tuple[str, str, str]], better: Sequence[tuple[str, str, str]]
) -> list[tuple[str, ...]]:
    """Per kind of flip, how many questions went each way and how likely chance gives that."""
    table: list[tuple[str, ...]] = [("flipped", "worse", "better", "p", "")]
    for what in (*(what for _, what in FLIP_KEYS), "abstention"):
        down = sum(w == what for _, w, _ in worse)
        up = sum(w == what for _, w, _ in better)
        if down or up:
            table.append((what, str(down), str(up), f"{sign_test(down, up):.2f}", ""))
    return table


def sign_test(worse: int, better: int) -> float:
    """Two-sided exact sign test (McNemar's, exact): the probability that fair coin flips over
    ``worse + better`` questions split at least as unevenly; 1.0 when nothing flipped."""
    flips = worse + better
    tail = sum(math.comb(flips, i) for i in range(min(worse, better) + 1)) / (1 << flips)
    return min(1.0, 2.0 * tail)


def _columns(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Left-aligned first column, right-aligned numbers, at least two spaces between columns."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            [
                r[0].ljust(widths[0]),
                *(c.rjust(w) for c, w in zip(r[1:-1], widths[1:-1], strict=True)),
                r[-1],
            ]
        ).rstrip()
        for r in rows
    ]
