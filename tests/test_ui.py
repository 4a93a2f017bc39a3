"""The web chat in a real browser (Debian's chromium via Playwright) and through gradio_client."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import KINZHAL, ROOT
from servers import failing_provider, kabar_server

from rag.ui import _plain

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTH = 1400  # the window the issue was reported at; the Articles table must fit it
ARTIFACTS = ROOT / "test-artifacts"
UPLOAD = (
    "Kapal Selam Hero Kim Kun Ok Diluncurkan\n\n"
    "SINPO - Korea Utara meluncurkan kapal selam serangan nuklir taktis Hero Kim Kun Ok di "
    "galangan kapal Sinpo pada 6 September 2023, kata KCNA. Kapal selam itu diberi nomor lambung "
    '841. <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1">\n'
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`kabar serve` started on an empty index (it indexes the seeds): its URL and its log."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run `make browser` (apt-get install chromium)")
    index = tmp_path_factory.mktemp("ui")
    log = tmp_path_factory.mktemp("ui-log") / "server.log"
    with kabar_server("serve", index, log, KABAR_MAX_TOKENS="90") as url:
        yield url, log


@pytest.fixture(scope="module")
def chat(served: tuple[str, Path]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def page(chat: str, tmp_path_factory: pytest.TempPathFactory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")),
            executable_path=CHROMIUM,
            headless=True,
            viewport={"width": WIDTH, "height": 900},
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = context.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.requests.append(request.url))
        page.goto(chat, wait_until="domcontentloaded")
        page.get_by_test_id("textbox").first.wait_for(timeout=60_000)
        yield page
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ui-chat.png"), full_page=True)
        context.close()


def ask(page, question: str, answers_before: int, panels: list[str] | None = None) -> list[str]:
    """Type a question, return the successive texts of the streamed reply until it is final;
    ``panels`` collects the sources panel's successive texts (the passages being read, then
    the answer's sources)."""
    box = page.get_by_test_id("textbox").first
    box.fill(question)
    box.press("Enter")
    bots = page.get_by_test_id("bot")
    seen: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if bots.count() > answers_before:
            text = bots.nth(answers_before).inner_text()
            if text and (not seen or seen[-1] != text):
                seen.append(text)
            if panels is not None:
                panels.append(page.locator(".kabar-sources").inner_text())
            if (
                page.locator(".kabar-source, .kabar-abstain").count()
                and not page.locator(".generating").count()
            ):
                break
        time.sleep(0.2)
    return seen


def test_question_streams_a_cited_answer_from_the_right_article(page) -> None:
    seen = ask(page, "What did Kim inspect in Vladivostok?", 0)
    assert len(seen) >= 2, f"the answer did not stream: {seen}"
    sources = page.locator(".kabar-sources").inner_text()
    assert KINZHAL in sources, sources
    assert page.locator(".kabar-source mark").count() >= 1  # the supporting sentence
    assert "[" in seen[-1]
    marker = page.get_by_test_id("bot").first.locator("a[href^='#kabar-source-']").first
    target = marker.get_attribute("href")
    assert page.locator(target).count() == 1  # [n] links to its card in the sources panel
    pages = len(page.context.pages)
    marker.click()
    assert page.url.endswith(target) and len(page.context.pages) == pages  # same tab


def test_follow_up_question_is_answered_in_context(page) -> None:
    """The chat sends its conversation along, so "he" and "the frigate" are read against the
    Vladivostok article's passages. Whether the local model's reply then survives the checks
    differs between CPUs (greedy decoding is not bit-identical), so the passages it read are
    what is asserted, and that a reply came."""
    panels: list[str] = []
    seen = ask(page, "And what did he see on the frigate?", 1, panels)
    assert seen and seen[-1].strip()
    assert any(KINZHAL in panel for panel in panels), panels


def test_uploaded_article_is_found_by_a_question_and_shown_escaped(page, tmp_path: Path) -> None:
    article = tmp_path / "sinpo.txt"
    article.write_text(UPLOAD, encoding="utf-8")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#kabar-upload input[type=file]").set_input_files(str(article))
    page.get_by_text("sinpo.txt: indexed").wait_for(timeout=120_000)
    assert page.get_by_text("Kapal Selam Hero Kim Kun Ok Diluncurkan").count()
    page.get_by_role("tab", name="Chat").click()
    ask(page, "Apa nomor lambung kapal selam Hero Kim Kun Ok?", 2)
    sources = page.locator(".kabar-sources").inner_text()
    assert "sinpo.txt" in sources
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".kabar-sources script, .kabar-sources img").count() == 0


def test_page_made_no_request_outside_localhost(page) -> None:
    outside = [
        u
        for u in page.requests
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in ("127.0.0.1", "localhost")
    ]
    assert page.requests and outside == []


def test_gradio_api_answers_the_same_question(chat: str) -> None:
    from gradio_client import Client

    result = Client(chat, verbose=False).predict(
        "What did Kim inspect in Vladivostok?", [], 5, "extractive", api_name="/ask"
    )
    history, sources, _ = result
    assert KINZHAL in sources and history[-1]["role"] == "assistant"
    assert "[" in _plain(history[-1]["content"])


def test_a_failing_model_gives_a_readable_error_and_the_app_keeps_serving(tmp_path: Path) -> None:
    from gradio_client import Client

    from rag import RAG, Settings

    RAG(Settings(index_dir=str(tmp_path))).ingest([ROOT / "seeds"])
    with kabar_server(
        "serve",
        tmp_path,
        tmp_path / "server.log",
        **failing_provider("sk-kabar-ui-secret-0123456789"),
    ) as url:
        client = Client(url, verbose=False)
        history, _, _ = client.predict(
            "Who led the Chinese delegation?", [], 5, "openai/gpt-4o-mini", api_name="/ask"
        )
        reply = _plain(history[-1]["content"])
        assert "could not connect" in reply and "sk-kabar-ui-secret" not in reply
        history, sources, _ = client.predict(
            "Kapal apa yang dinaiki Kim dan Shoigu?", [], 5, "extractive", api_name="/ask"
        )
        assert "Shaposhnikov" in _plain(history[-1]["content"]) and KINZHAL in sources


def test_chat_history_from_the_browser_becomes_plain_text() -> None:
    parts = [{"type": "text", "text": "Kim melihat [[1]](#kabar-source-1) rudal &amp; kapal"}]
    assert _plain(parts) == "Kim melihat [1] rudal & kapal"
    assert (
        _plain("_The articles do not contain the answer._")
        == "The articles do not contain the answer."
    )


def test_filters_beside_the_chat_and_the_timeline_tab(page) -> None:
    page.get_by_text("Filters").first.click()
    date_from = page.locator("#kabar-from textarea, #kabar-from input").first
    date_from.fill("2023-09-01")
    date_from.press("Tab")
    ask(page, "What happened between Kim and Russia?", page.get_by_test_id("bot").count())
    sources = page.locator(".kabar-sources").inner_text()
    # the answer cites September articles only (which ones depends on the model's answer)
    assert "2023-09-" in sources and "2023-07" not in sources, sources
    page.get_by_role("tab", name="Timeline").click()
    topic = page.locator("#kabar-timeline-topic textarea").first
    topic.fill("Kim Jong Un and Russia")
    page.locator("#kabar-timeline-button").click()
    page.locator("#kabar-timeline li").first.wait_for(timeout=120_000)
    events = page.locator("#kabar-timeline li").all_inner_texts()
    assert events[0].startswith("2023-09") and all(
        re.search(r"\[\d+\]$", e.split(" also ")[0]) for e in events
    )
    assert any(e.startswith("2023-09-13") and "Vostochny" in e for e in events), events
    assert any("Komsomolsk" in e for e in events)
    marker = page.locator("#kabar-timeline li a").first.get_attribute("href")
    assert page.locator(marker).count() == 1  # each [n] links to its source card
    page.get_by_role("tab", name="Chat").click()
    date_from.fill("")  # leave the chat unfiltered for the other tests


def test_articles_table_shows_file_and_chunks_within_the_window(page) -> None:
    page.get_by_role("tab", name="Articles").click()
    row = page.get_by_role("row").filter(has_text=KINZHAL)
    row.wait_for(timeout=30_000)
    cells = row.get_by_role("gridcell")
    assert cells.all_inner_texts()[-2:] == [KINZHAL, "7"]  # file, chunks
    for name in ("file", "chunks"):
        header = page.get_by_role("columnheader", name=name, exact=True).bounding_box()
        assert header and header["x"] + header["width"] <= WIDTH, (name, header)
    for cell in (cells.nth(3), cells.nth(4)):
        box = cell.bounding_box()
        assert box and box["x"] + box["width"] <= WIDTH, box
    page.get_by_role("tab", name="Chat").click()


def test_clicking_an_example_asks_it(page) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Model").first.click()
    page.get_by_role("option", name="extractive").click()  # no local model for this one
    page.get_by_role("button", name="New conversation").click()
    expect(page.get_by_test_id("bot")).to_have_count(0)
    page.get_by_text("Who led the Chinese delegation?", exact=True).click()
    expect(page.get_by_test_id("user")).to_have_text(["Who led the Chinese delegation?"])
    expect(page.get_by_test_id("bot")).to_contain_text("Li Hongzhong", timeout=60_000)
    expect(page.locator(".kabar-source").first).to_be_visible()
    assert page.get_by_test_id("textbox").first.input_value() == ""


def test_outlet_filter_through_the_gradio_api(chat: str) -> None:
    from gradio_client import Client

    history, sources, _ = Client(chat, verbose=False).predict(
        "Who led the Chinese delegation?",
        [],
        5,
        "extractive",
        ["REPUBLIKA.CO.ID"],
        [],
        "",
        "",
        "any",
        api_name="/ask",
    )
    assert "Li Hongzhong" in _plain(history[-1]["content"])
    assert "001_19d4d10bd79297cd.txt" in sources and "000_" not in sources and "004_" not in sources


def test_serve_log_names_what_it_indexed_and_holds_no_library_warnings(
    served: tuple[str, Path],
) -> None:
    """Last in this file: by now the server has indexed, loaded the model and answered."""
    log = served[1].read_text(encoding="utf-8")
    assert "5 added, 0 updated, 0 unchanged, 0 removed, 0 failed" in log
    warnings = [line for line in log.splitlines() if re.search(r"Warning\b|ReadOnly", line)]
    assert warnings == [], log
