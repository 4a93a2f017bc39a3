"""What the model reads: share of questions whose excerpts hold every key fact, and their size.

    python bench/bench_excerpts.py                                   # seeds, seed set
    python bench/bench_excerpts.py --corpus eval/facqa/articles --set eval/facqa/facqa.jsonl

The prompt's excerpts are most of the time to the first token on a CPU (see README,
Benchmarks); this prints, for each way of choosing sentences from the retrieved passages, how
often every key fact of an answerable question survives and how many characters it costs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from rag import RAG, Settings
from rag.evaluate import load_items
from rag.evaluate.metrics import answer_correct
from rag.evidence import EXCERPT_SENTENCES, Evidence

HERE = Path(__file__).resolve().parent


def per_passage(size: int, passages: int | None = None) -> Callable[[Evidence], str]:
    """The ``size`` sentences closest to the question of each of the best ``passages`` (all by
    default: the prompt's excerpts)."""
    return lambda evidence: "\n".join(
        evidence.excerpt(n, size) for n in evidence.numbers[:passages]
    )


def overall(size: int) -> Callable[[Evidence], str]:
    """The ``size`` sentences of all passages closest to the question."""

    def choose(evidence: Evidence) -> str:
        rows = sorted(range(len(evidence.spans)), key=lambda i: -float(evidence.scores[i]))
        return " ".join(evidence.sentence(i) for i in rows[:size])

    return choose


STRATEGIES: dict[str, Callable[[Evidence], str]] = {
    "2 best sentences of each passage (today)": per_passage(EXCERPT_SENTENCES),
    "2 best sentences of the 4 best passages": per_passage(EXCERPT_SENTENCES, 4),
    "1 best sentence of each passage": per_passage(1),
    "8 best sentences of all passages": overall(8),
    "6 best sentences of all passages": overall(6),
    "4 best sentences of all passages": overall(4),
    "whole passages": lambda evidence: "\n".join(hit.text for hit in evidence.hits),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(HERE.parent / "seeds"))
    parser.add_argument("--set", default=str(HERE.parent / "eval" / "seed_set.jsonl"))
    args = parser.parse_args()
    items = [
        i
        for i in load_items(Path(args.set))
        if i.answerable and i.key_facts and i.kind == "fact" and not i.history
    ]
    held: dict[str, list[bool]] = {name: [] for name in STRATEGIES}
    chars: dict[str, list[int]] = {name: [] for name in STRATEGIES}
    with tempfile.TemporaryDirectory() as tmp:
        engine = RAG(Settings(index_dir=tmp))
        engine.ingest([Path(args.corpus)])
        for item in items:
            evidence = Evidence.gather(item.question, engine.search(item.question), engine.embedder)
            for name, choose in STRATEGIES.items():
                text = choose(evidence)
                held[name].append(bool(answer_correct(text, item.key_facts)))
                chars[name].append(len(text))
    print(f"{args.set}: {len(items)} answerable fact questions without a conversation")
    for name in STRATEGIES:
        share = sum(held[name]) / len(held[name])
        size = statistics.median(chars[name])
        print(f"{name:42s} all key facts {share:.2f}  chars p50 {size:,.0f}")


if __name__ == "__main__":
    main()
