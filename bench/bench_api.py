"""Load test of the HTTP API: N concurrent OpenAI clients against `kabar api` on localhost.

    python bench/bench_api.py [--clients 8] [--requests 48] [--llm extractive]

Every answer is checked against the same question asked alone first, so a mixed-up answer (one
client receiving another's) counts as a failure. Prints throughput, latency p50/p95, errors and
mix-ups, and writes bench/results/api.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from servers import kabar_server  # noqa: E402

from rag import RAG, Settings  # noqa: E402
from rag.evaluate import load_items  # noqa: E402

SEEDS = HERE.parent / "seeds"


def load(url: str, questions: list[str], clients: int, requests: int) -> dict[str, object]:
    """Send ``requests`` questions from ``clients`` threads; count errors and mixed-up answers.

    An answer is mixed up when it cites a passage that its own question does not retrieve
    (retrieval is deterministic, generation need not be), or, for answers that cite nothing,
    when it differs from the one given to the same question asked alone.
    """
    import httpx
    import openai

    client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=600)

    def ask(question: str) -> tuple[str, set[str], float]:
        started = time.perf_counter()
        reply = client.chat.completions.create(
            model="kabar", messages=[{"role": "user", "content": question}]
        )
        message = reply.choices[0].message
        cited = {c["chunk_id"] for c in (message.model_extra or {}).get("citations", [])}
        return message.content or "", cited, time.perf_counter() - started

    retrieved = {
        q: {h["chunk_id"] for h in httpx.post(url + "/v1/search", json={"query": q}).json()["hits"]}
        for q in questions
    }
    alone = {q: ask(q)[0] for q in questions}
    jobs = [questions[i % len(questions)] for i in range(requests)]
    latencies, errors, mixups = [], [], []
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        futures = {pool.submit(ask, q): q for q in jobs}
        for future in concurrent.futures.as_completed(futures):
            question = futures[future]
            try:
                text, cited, seconds = future.result()
            except Exception as exc:  # counted and reported, never hidden
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(seconds)
            if (cited and not cited <= retrieved[question]) or (
                not cited and text != alone[question]
            ):
                mixups.append(question)
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "requests": requests,
        "seconds": round(wall, 2),
        "throughput_rps": round(len(latencies) / wall, 2),
        "p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
        "errors": errors,
        "mixed_up": mixups,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=48)
    parser.add_argument("--llm", default="extractive")
    args = parser.parse_args()
    items = load_items(HERE.parent / "eval" / "seed_set.jsonl")
    questions = [i.question for i in items if i.answerable and not i.history][:12]
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp)
        RAG(Settings(index_dir=str(index))).ingest([SEEDS])
        with kabar_server("api", index, index / "server.log", KABAR_LLM=args.llm) as url:
            result = {"llm": args.llm, **load(url, questions, args.clients, args.requests)}
    print(
        f"{result['clients']} clients, {result['requests']} requests ({args.llm}): "
        f"{result['throughput_rps']} req/s, p50 {result['p50_s']} s, p95 {result['p95_s']} s, "
        f"{len(result['errors'])} errors, {len(result['mixed_up'])} mixed-up answers"
    )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"api-{args.llm.replace('/', '_')}.json").write_text(
        json.dumps(result, indent=2)
    )
    sys.exit(1 if result["errors"] or result["mixed_up"] else 0)


if __name__ == "__main__":
    main()
