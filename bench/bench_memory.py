"""Memory of one long-running process answering many questions with the local model.

    python bench/bench_memory.py [--answers 200] [--max-tokens 8] [--llm local/qwen2.5-1.5b]

The server's case: one engine, one loaded model, question after question. Prints the
process's resident memory (RSS) after 10, 50 and 200 answers, and the Python allocations
that grew most between the first and the last checkpoint (tracemalloc), so a growth can be
traced to its line. Answers are kept short (``--max-tokens``, one passage) so the run costs
minutes, not hours: what could grow (conversation state, caches, prompt cache, retrieval
objects) is exercised on every answer regardless of length. Writes bench/results/memory.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import tracemalloc
from itertools import cycle
from pathlib import Path

import psutil

from rag import RAG, Settings
from rag.evaluate import load_items

HERE = Path(__file__).resolve().parent
CHECKPOINTS = (10, 50, 200)
MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=CHECKPOINTS[-1])
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--llm", default="local/qwen2.5-1.5b")
    args = parser.parse_args()
    items = load_items(HERE.parent / "eval" / "seed_set.jsonl")
    questions = cycle([i.question for i in items if i.answerable and not i.history])
    process = psutil.Process()
    rss: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=tmp, llm=args.llm, max_tokens=args.max_tokens, top_k=1)
        engine = RAG(settings)
        engine.ingest([HERE.parent / "seeds"])
        engine.ask(next(questions))  # load the model before measuring
        gc.collect()
        rss[0] = process.memory_info().rss / MIB
        tracemalloc.start(10)
        first = None
        for done in range(1, args.answers + 1):
            engine.ask(next(questions))
            if done in CHECKPOINTS or done == args.answers:
                gc.collect()
                rss[done] = process.memory_info().rss / MIB
                print(f"after {done:>4} answers: RSS {rss[done]:.1f} MiB", flush=True)
                if first is None:
                    first = tracemalloc.take_snapshot()
        growth = tracemalloc.take_snapshot().compare_to(first, "lineno") if first else []
    print("largest Python allocation growth since the first checkpoint:")
    for stat in growth[:8]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB  {stat.traceback[0]}")
    result = {
        "llm": args.llm,
        "max_tokens": args.max_tokens,
        "rss_mib": {str(k): round(v, 1) for k, v in rss.items()},
        "growth_kib": [
            {"where": str(s.traceback[0]), "kib": round(s.size_diff / 1024, 1)} for s in growth[:8]
        ],
    }
    out = HERE / "results" / "memory.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
