"""The web chat: a thin Gradio layer over the same ``RAG`` object Python users call.

Answers stream into the chat; their ``[n]`` markers link to the sources panel beside it, where
each cited passage shows its article, outlet, date and file, with the supporting sentence
highlighted. Every piece of article text is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag import llm
from rag.answer import Answer, Sources
from rag.citations import Citation
from rag.engine import RAG
from rag.errors import KabarError
from rag.ingest import IngestReport
from rag.llm import redact
from rag.search import Filters
from rag.server import allowed_models
from rag.sources import READERS
from rag.timeline import Timeline

log = logging.getLogger("kabar.ui")
ANY_LANGUAGE = "any"
EXAMPLES = [
    "What did Kim inspect in Vladivostok?",
    "Apa yang diperiksa Kim di Vladivostok?",
    "Who led the Chinese delegation?",
    "Siapa yang mengirim surat kepada Kim lewat Shoigu?",
]
CSS = """
.kabar-sources { font-size: 0.92em; }
.kabar-source { border-left: 3px solid #999; padding: 0.2em 0.8em; margin: 0.8em 0; }
.kabar-source h4 { margin: 0 0 0.2em 0; }
.kabar-meta { color: #666; font-size: 0.9em; }
.kabar-source mark { background: #fff3a0; color: inherit; }
.kabar-abstain { color: #8a5a00; }
.kabar-timeline li { margin: 0.3em 0; }
.kabar-when { white-space: nowrap; margin-right: 0.4em; }
"""


def theme() -> gr.themes.Base:
    """Gradio's default look with system fonts: the stock theme fetches Google Fonts."""
    return gr.themes.Default(
        font=["system-ui", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


def sources_html(answer: Answer | Sources | None) -> str:
    """The sources panel: the passages being read (``Sources``), or the answer's citations."""
    if answer is None:
        return '<div class="kabar-sources"><p>Sources of the answer appear here.</p></div>'
    if isinstance(answer, Sources):
        return (
            '<div class="kabar-sources"><p class="kabar-meta">Reading these passages; the answer '
            "follows.</p>" + "".join(_source(c, reading=True) for c in answer.citations) + "</div>"
        )
    if answer.abstained or not answer.citations:
        return (
            '<div class="kabar-sources"><p class="kabar-abstain">Not in the sources: no '
            "indexed article supports an answer to this question.</p></div>"
        )
    return '<div class="kabar-sources">' + "".join(_source(c) for c in answer.citations) + "</div>"


def _source(c: Citation, anchor: str = "kabar-source", reading: bool = False) -> str:
    hit = c.passage
    before, found, after = hit.text.partition(c.quote)
    passage = (
        f"{html.escape(before)}<mark>{html.escape(found)}</mark>{html.escape(after)}"
        if found
        else html.escape(hit.text)
    ).replace("\n", "<br>")
    meta = " · ".join(html.escape(p) for p in (hit.outlet, hit.date, hit.source) if p)
    also = ""
    if hit.also_in:
        names = ", ".join(html.escape(f"{s.outlet or s.source} ({s.source})") for s in hit.also_in)
        also = f'<div class="kabar-meta">Also reported by: {names}</div>'
    unchecked = (
        "" if c.supported or reading else ' <span class="kabar-meta">(support not confirmed)</span>'
    )
    title = html.escape(hit.title)
    if hit.url.startswith(("https://", "http://")):  # never a javascript: or data: link
        title = f'<a href="{html.escape(hit.url)}" target="_blank" rel="noopener">{title}</a>'
    return (
        f'<div class="kabar-source" id="{anchor}-{c.n}">'
        f"<h4>[{c.n}] {title}{unchecked}</h4>"
        f'<div class="kabar-meta">{meta}</div>{also}<p>{passage}</p></div>'
    )


def timeline_html(timeline: Timeline | None) -> str:
    """A timeline as an ordered list of dated, cited events, then its sources (escaped)."""
    if timeline is None:
        return '<div class="kabar-timeline"><p>Events appear here, oldest first.</p></div>'
    if not timeline.events:
        return '<div class="kabar-timeline"><p>No dated events found for this topic.</p></div>'
    parts = ['<div class="kabar-timeline">']
    story = -1
    for event in timeline.events:
        if event.story != story:
            parts.append(("</ol>" if story >= 0 else "") + "<h4>")
            story = event.story
            parts.append(f"{html.escape(timeline.stories[story])}</h4><ol>")
        n = event.citation.n
        also = ", ".join(dict.fromkeys(s.outlet or s.source for s in event.also_in))
        parts.append(
            f'<li><b class="kabar-when">{html.escape(event.when)}</b> '
            f'{html.escape(event.text)} <a href="#kabar-event-{n}">[{n}]</a>'
            + (
                f' <span class="kabar-meta">also reported by {html.escape(also)}</span>'
                if also
                else ""
            )
            + "</li>"
        )
    parts.append("</ol></div>")
    cards = [_source(c, "kabar-event") for c in timeline.citations]
    return "".join(parts) + '<div class="kabar-sources">' + "".join(cards) + "</div>"


def filters_of(
    outlets: list[str] | None,
    sources: list[str] | None,
    date_from: str | None,
    date_to: str | None,
    language: str,
) -> Filters:
    """The Filters the controls beside the chat describe ("any" language is none)."""
    return Filters(
        sources=tuple(sources or ()),
        outlets=tuple(outlets or ()),
        date_from=(date_from or "").strip(),
        date_to=(date_to or "").strip(),
        language="" if language == ANY_LANGUAGE else language,
    )


def chat_markdown(answer: Answer) -> str:
    """Answer text for the chat: escaped, markers as links to the sources panel."""
    text = html.escape(answer.text)
    if answer.abstained:
        return f"_{text}_"
    return re.sub(r"\[(\d+)\]", r"[[\1]](#kabar-source-\1)", text)


def build(engine: RAG) -> gr.Blocks:
    """The Blocks app: a Chat tab and an Articles tab."""
    models = allowed_models(engine)

    def respond(
        message: str,
        history: list[dict[str, Any]],
        k: int,
        model: str,
        outlets: list[str] | None = None,
        files: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        language: str = ANY_LANGUAGE,
    ) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
        """One chat turn. The filters default to None (gradio's sign for API clients that
        the argument is optional)."""
        if not message or not message.strip():
            yield history, sources_html(None), ""
            return
        turns = [{"role": t["role"], "content": _plain(t["content"])} for t in history]
        shown = [
            *history,
            {"role": "user", "content": html.escape(message)},
            {"role": "assistant", "content": ""},
        ]
        yield shown, sources_html(None), ""
        for status in _preparing(model):
            shown[-1] = {"role": "assistant", "content": f"_{status}_"}
            yield shown, sources_html(None), ""
        partial, panel = "", sources_html(None)
        try:
            filters = filters_of(outlets, files, date_from, date_to, language)
            for item in engine.stream(message, history=turns, llm=model, k=int(k), filters=filters):
                if isinstance(item, Sources):
                    panel = sources_html(item)
                    yield shown, panel, ""
                elif isinstance(item, str):
                    partial += item
                    shown[-1] = {"role": "assistant", "content": html.escape(partial)}
                    yield shown, panel, ""
                else:
                    shown[-1] = {"role": "assistant", "content": chat_markdown(item)}
                    yield shown, sources_html(item), ""
        except KabarError as exc:
            shown[-1] = {"role": "assistant", "content": f"⚠️ {html.escape(redact(str(exc)))}"}
            yield shown, sources_html(None), ""
        except Exception:  # keep the app serving; the log has the details
            log.exception("answer failed")
            shown[-1] = {"role": "assistant", "content": "⚠️ Something went wrong; see the log."}
            yield shown, sources_html(None), ""

    def upload(
        files: list[Any] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (how Gradio asks for a progress bar)
    ) -> tuple[str, list[list[Any]]]:
        lines = []
        for file in progress.tqdm(files or [], desc="ingesting"):
            path = Path(file if isinstance(file, str) else file.name)
            lines += _report_lines(engine.add_article(path.name, path.read_bytes()))
        return "\n\n".join(lines) or "No file chosen.", article_rows()

    def show_timeline(topic: str, *filter_values: Any) -> str:
        if not topic or not topic.strip():
            return timeline_html(None)
        try:
            return timeline_html(engine.timeline(topic, filters=filters_of(*filter_values)))
        except KabarError as exc:
            return f'<p class="kabar-abstain">⚠️ {html.escape(redact(str(exc)))}</p>'

    def filter_choices() -> tuple[list[str], list[str]]:
        articles = engine.articles()
        return sorted({a.outlet for a in articles if a.outlet}), [a.source for a in articles]

    def refresh_choices() -> tuple[Any, Any]:
        known_outlets, known_files = filter_choices()
        return gr.update(choices=known_outlets), gr.update(choices=known_files)

    def add_url(url: str) -> tuple[str, list[list[Any]], str]:
        if not url.strip():
            return "Enter the address of a web page or a feed.", article_rows(), url
        return "\n\n".join(_report_lines(engine.add_url(url.strip()))), article_rows(), ""

    def article_rows() -> list[list[Any]]:
        return [[a.date, a.outlet, a.title, a.source, a.chunks] for a in engine.articles()]

    app = gr.Blocks(title="kabar")
    with app:
        gr.Markdown(
            "## kabar · ask the news\nQuestions in English or Indonesian; every answer "
            "cites the passages it used."
        )
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(height=480, label="Chat", sanitize_html=True)
                    # no max_length: the box would cut a long question silently; the engine
                    # refuses it with the same message the CLI prints
                    box = gr.Textbox(
                        placeholder="Ask about the articles…", show_label=False, submit_btn=True
                    )
                    examples = gr.Examples(EXAMPLES, inputs=box, label="Examples")
                    with gr.Row():
                        k = gr.Slider(1, 10, value=engine.settings.top_k, step=1, label="Passages")
                        model = gr.Dropdown(models, value=models[0], label="Model")
                        clear = gr.Button("New conversation")
                with gr.Column(scale=2):
                    with gr.Accordion("Filters", open=False, elem_id="kabar-filters"):
                        known_outlets, known_files = filter_choices()
                        outlets = gr.Dropdown(
                            known_outlets,
                            multiselect=True,
                            allow_custom_value=True,  # engine checks names; uploads add more
                            label="Outlets",
                            elem_id="kabar-outlets",
                        )
                        files_only = gr.Dropdown(
                            known_files,
                            multiselect=True,
                            allow_custom_value=True,
                            label="Articles",
                            elem_id="kabar-files",
                        )
                        with gr.Row():
                            date_from = gr.Textbox(
                                label="From", placeholder="YYYY-MM-DD", elem_id="kabar-from"
                            )
                            date_to = gr.Textbox(
                                label="To", placeholder="YYYY-MM-DD", elem_id="kabar-to"
                            )
                        language = gr.Radio(
                            [ANY_LANGUAGE, "en", "id"], value=ANY_LANGUAGE, label="Language"
                        )
                    filter_inputs = [outlets, files_only, date_from, date_to, language]
                    gr.Markdown("### Sources")
                    sources = gr.HTML(sources_html(None))
            box.submit(
                respond,
                [box, chatbot, k, model, *filter_inputs],
                [chatbot, sources, box],
                api_name="ask",
                concurrency_limit=2,
            )
            examples.load_input_event.then(  # a click on an example asks it
                respond,
                [box, chatbot, k, model, *filter_inputs],
                [chatbot, sources, box],
                api_visibility="private",
                concurrency_limit=2,
            )
            clear.click(
                lambda: ([], sources_html(None)), None, [chatbot, sources], api_visibility="private"
            )
        with gr.Tab("Timeline"):
            gr.Markdown(
                "Dated events about a topic, oldest first; the filters beside the chat apply."
            )
            with gr.Row():
                topic = gr.Textbox(
                    placeholder="Kim Jong Un and Russia",
                    show_label=False,
                    scale=4,
                    elem_id="kabar-timeline-topic",
                    max_length=engine.settings.max_question_chars,
                )
                show = gr.Button("Show timeline", scale=1, elem_id="kabar-timeline-button")
            events = gr.HTML(timeline_html(None), elem_id="kabar-timeline")
            for trigger in (show.click, topic.submit):
                trigger(show_timeline, [topic, *filter_inputs], events, api_visibility="private")
        with gr.Tab("Articles"):
            table = gr.Dataframe(
                article_rows(),
                headers=["date", "outlet", "title", "file", "chunks"],
                interactive=False,
                wrap=True,
                # the title wraps; file and chunks stay on screen at 1400 px
                column_widths=["11%", "14%", "45%", "22%", "8%"],
            )
            files = gr.File(
                file_count="multiple",
                file_types=list(READERS),
                label=f"Add articles ({', '.join(READERS)})",
                elem_id="kabar-upload",
            )
            url = gr.Textbox(
                placeholder="https://… a news page or an RSS/Atom feed",
                label="Add from the web",
                submit_btn="Add",
                elem_id="kabar-url",
            )
            status = gr.Markdown()
            files.upload(upload, files, [status, table], api_name="upload")
            url.submit(add_url, url, [status, table, url], api_name="add_url")
            app.load(article_rows, None, table, api_visibility="private")
        app.load(refresh_choices, None, [outlets, files_only], api_visibility="private")
    return app


def _preparing(model: str) -> Iterator[str]:
    """Status lines while the local model is assembled on its first use on this machine."""
    if not llm.needs_assembly(model):
        return
    state = {"done": 0, "total": 1}

    def assemble() -> None:
        try:
            name = model.removeprefix(llm.LOCAL_PREFIX)
            llm.local_model_path(name, progress=lambda d, t, _: state.update(done=d, total=t))
        except KabarError:
            pass  # raised again, with its message, when the answer asks for the model

    worker = threading.Thread(target=assemble, daemon=True)
    worker.start()
    while worker.is_alive():
        share = 100 * state["done"] // max(state["total"], 1)
        yield f"Preparing the local model, once on this machine (1.1 GB): {share}%"
        worker.join(1.0)


def _report_lines(report: IngestReport) -> list[str]:
    """An ingest report as status lines for the Articles tab (escaped)."""
    lines = [
        f"❌ {html.escape(name)}: {html.escape(reason)}" for name, reason in report.failed.items()
    ]
    for name in report.added + report.updated:
        note = report.warnings.get(name, "")
        lines.append(
            f"✅ {html.escape(name)}: indexed, searchable now {html.escape(note)}".rstrip()
        )
    lines += [f"• {html.escape(name)}: already indexed, unchanged" for name in report.unchanged]
    return lines


def _plain(content: Any) -> str:
    """Chat content back to plain text for the conversation history.

    Gradio 6 hands messages back either as a string or as a list of ``{"type": "text",
    "text": ...}`` parts; the markers we turned into links become ``[n]`` again.
    """
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    text = str(content)
    text = re.sub(r"\[\[(\d+)\]\]\(#kabar-source-\d+\)", r"[\1]", text)
    return html.unescape(text.strip("_"))
