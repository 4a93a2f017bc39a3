"""Answer speed: time to the sources, to the first token and in total; prompt size.

    python bench/bench_answer.py [--questions 10] [--llm local/qwen2.5-1.5b]

Runs seed-set questions through ``RAG.stream`` (warm process, model loaded) and prints the
median and worst time to first token and total answer time per answerer, plus the prompt size
in the local model's own tokens. Writes bench/results/answer.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rag import RAG, Settings, Sources, llm
from rag.evaluate import load_items
from rag.evidence import Evidence
from rag.language import question_language
from rag.prompts import answer_messages

HERE = Path(__file__).resolve().parent


def timed(engine: RAG, question: str, model: str) -> tuple[float, float, float]:
    """Seconds to the Sources, to the first text, and to the final Answer."""
    started = time.perf_counter()
    sources = first = None
    for item in engine.stream(question, llm=model):
        if sources is None and isinstance(item, Sources):
            sources = time.perf_counter() - started
        if first is None and isinstance(item, str):
            first = time.perf_counter() - started
    return sources or 0.0, first or 0.0, time.perf_counter() - started


def prompt_tokens(engine: RAG, question: str, model: str) -> int:
    """The prompt's size in the local model's tokens (its prefix cache makes this cheap)."""
    hits = engine.search(question)
    evidence = Evidence.gather(question, hits, engine.embedder)
    messages = answer_messages(question, evidence, question_language(question), engine.settings)
    result = llm.local_engine(model).complete({"messages": messages, "max_tokens": 1})
    return int(result["usage"]["prompt_tokens"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--llm", default="local/qwen2.5-1.5b")
    args = parser.parse_args()
    items = load_items(HERE.parent / "eval" / "seed_set.jsonl")
    questions = [i.question for i in items if i.answerable and not i.history][: args.questions]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = RAG(Settings(index_dir=tmp))
        engine.ingest([HERE.parent / "seeds"])
        timed(engine, questions[0], args.llm)  # load the model, warm the prompt cache
        for model in ("extractive", args.llm):
            runs = [timed(engine, q, model) for q in questions]
            sources, firsts, totals = ([r[i] for r in runs] for i in range(3))
            results[model] = {
                "questions": len(runs),
                "sources_p50_s": statistics.median(sources),
                "sources_max_s": max(sources),
                "first_token_p50_s": statistics.median(firsts),
                "first_token_max_s": max(firsts),
                "total_p50_s": statistics.median(totals),
                "total_max_s": max(totals),
            }
        tokens = [prompt_tokens(engine, q, args.llm) for q in questions]
        results[args.llm]["prompt_tokens_p50"] = statistics.median(tokens)
        results[args.llm]["prompt_tokens_max"] = max(tokens)
    for model, r in results.items():
        size = (
            f", prompt {r['prompt_tokens_p50']:.0f} tokens (max {r['prompt_tokens_max']})"
            if "prompt_tokens_p50" in r
            else ""
        )
        print(
            f"{model:<22} sources p50 {r['sources_p50_s']:.2f} s, "
            f"first token p50 {r['first_token_p50_s']:.2f} s "
            f"(max {r['first_token_max_s']:.2f}), answer p50 {r['total_p50_s']:.2f} s "
            f"(max {r['total_max_s']:.2f}) over {r['questions']} questions{size}"
        )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "answer.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
