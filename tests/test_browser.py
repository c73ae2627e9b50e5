"""The chat served on a free loopback port, driven by Debian's Chromium through Playwright.

One server per module, on its own temporary index (the bundled corpus plus a hostile
article); the browser is the system's /usr/bin/chromium, never a downloaded one.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import ui
from assistant import Assistant
from assistant.config import BUNDLED_CORPUS
from tests.conftest import write
from tests.serving import Served, free_port, served_in_process, wait_for_http

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SEED_TITLE = "Microsoft Teams Up with Mistral AI to Diversify AI Offerings"
XSS_TITLE = "<img src=x onerror=alert(1)>"
EU_TITLE = "EU AI Act Enters into Force After Political Agreement and Parliament Vote"
XSS_ARTICLE = f"""---
title: "{XSS_TITLE}"
source: "<b>Evil Outlet</b>"
published: 2025-03-01
---

The Quillfeather Observatory in Tromsø discovered a comet named Vask-9 on Friday.
<script>alert(2)</script> <img src=y onerror=alert(3)> [click me](javascript:alert(4))
Astronomers said the comet Vask-9 will pass closest to Earth in the spring of 2031.
"""
ANSWER_WAIT_MS = 90_000  # answers take a second; the CPU is shared with other test runs


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, shared_embedder: Any) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("ui")
    assistant = Assistant(index_dir=root / "index", auto_ingest=False, embedder=shared_embedder)
    hostile = write(root / "hostile" / "comet.md", XSS_ARTICLE)
    report = assistant.ingest([BUNDLED_CORPUS, hostile])
    assert report.ok, report.failed
    with served_in_process(assistant) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `scripts/setup --test`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.requests = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: page.requests.append(r.url))
    page.in_flight = set()  # type: ignore[attr-defined]
    page.on("request", lambda r: page.in_flight.add(r))
    page.on("requestfinished", lambda r: page.in_flight.discard(r))
    page.on("requestfailed", lambda r: page.in_flight.discard(r))
    page.goto(served.url)
    yield page
    context.close()


def wait_for_network_idle(page: Any, quiet_s: float = 0.5, timeout_s: float = 30.0) -> None:
    """Playwright's "networkidle", less Gradio's heartbeat: no request in flight for
    `quiet_s`. A page with session state keeps one stream to the server open for as long
    as it is open, so "networkidle" itself never comes."""
    page.wait_for_load_state("load")
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet_s:
        busy = [r.url for r in page.in_flight if "/heartbeat/" not in urlsplit(r.url).path]
        assert time.monotonic() < deadline, f"still loading: {busy}"
        if busy:
            quiet_since = time.monotonic()
        page.wait_for_timeout(50)  # lets Playwright deliver the page's events; then re-check


def ask(page: Any, question: str) -> Any:
    """Type a question, send it, and return the finished answer's message element."""
    before = page.locator("#chat .message.bot").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    reply = page.locator("#chat .message.bot").nth(before)
    # The finished reply is the one with source cards (or a closing notice); while it
    # streams it has only text.
    reply.locator(".source-card, .related").first.wait_for(timeout=ANSWER_WAIT_MS)
    return reply


def test_founders_answer_with_the_seed_article_card(page: Any, tmp_path: Path) -> None:
    reply = ask(page, "Who founded Mistral?")
    text = reply.inner_text()
    for founder in ("Arthur Mensch", "Guillaume Lample", "Lacroix"):
        assert founder in text
    seed = reply.locator(".source-card", has_text=SEED_TITLE)
    assert seed.count() == 1
    assert seed.locator("mark").count() == 1  # the supporting sentence is highlighted
    assert "2024-02-26" in seed.inner_text()
    page.screenshot(path=tmp_path / "chat.png", full_page=True)
    assert (tmp_path / "chat.png").stat().st_size > 10_000


def test_clicking_a_marker_brings_its_card_into_view(page: Any) -> None:
    from playwright.sync_api import expect

    reply = ask(page, "Who founded Mistral?")
    marker = reply.locator("a.cite").first
    card = page.locator(marker.get_attribute("href"))
    card.evaluate("el => el.closest('.bubble-wrap, [role=log]')?.scrollTo(0, 0)")
    marker.click()
    expect(card).to_have_class(re.compile(r"\bflash\b"))
    expect(card).to_be_in_viewport()


def test_the_conversation_survives_a_reload(page: Any) -> None:
    from playwright.sync_api import expect

    ask(page, "Who founded Mistral AI?")
    wait_for_network_idle(page)  # the reply is complete, and the browser has kept the chat
    page.reload()
    bot = page.locator("#chat .message.bot")
    expect(bot).to_have_count(1, timeout=ANSWER_WAIT_MS)  # put back when the page loads
    expect(page.locator("#chat .message.user")).to_have_text(["Who founded Mistral AI?"])
    assert "Arthur Mensch" in bot.first.inner_text()
    assert bot.first.locator(".source-card").count() >= 1  # the answer as it was shown
    # The conversation goes on where it was: a follow-up is understood from it.
    reply = ask(page, "When was it founded?")
    expect(reply.locator(".understood")).to_contain_text("Mistral AI")
    assert reply.locator(".source-card").first.get_attribute("id") == "src-2-1"


def test_new_chat_clears_the_chat_for_good(page: Any) -> None:
    from playwright.sync_api import expect

    messages = page.locator("#chat .message.bot, #chat .message.user")
    ask(page, "Who founded Mistral?")
    wait_for_network_idle(page)  # the reply is complete, and the browser has kept the chat
    page.reload()
    wait_for_network_idle(page)  # the page has put back the chat it kept
    assert messages.count() == 2
    page.locator("#new-chat").click()
    expect(messages).to_have_count(0)
    page.reload()
    wait_for_network_idle(page)
    assert messages.count() == 0
    reply = ask(page, "When was it founded?")  # a new conversation: nothing to refer back to
    assert reply.locator(".understood").count() == 0, reply.inner_html()


def test_a_follow_up_shows_how_it_was_understood(page: Any) -> None:
    from playwright.sync_api import expect

    first = ask(page, "Who founded Mistral AI?")
    assert first.locator(".understood").count() == 0  # answered as asked
    reply = ask(page, "When was it founded?")
    understood = reply.locator(".understood")
    expect(understood).to_have_count(1)
    text = understood.inner_text()
    assert text.startswith("Understood as: ") and "Mistral AI" in text, text
    assert reply.inner_text().index("Understood as") < reply.inner_text().index("[1]")


def test_upload_then_ask_about_it(page: Any, tmp_path: Path) -> None:
    good = write(
        tmp_path / "harbour.md",
        "---\ntitle: Port of Valdoria Opens a Floating Solar Farm\nsource: Coastal Wire\n"
        "published: 2024-09-12\n---\n\nThe port of Valdoria opened a floating solar farm "
        "of 4,000 panels on its outer harbour on Thursday. The harbour master said the farm "
        "will power the cranes of the container terminal.\n",
    )
    bad = write(tmp_path / "broken.json", "{this is not json")
    page.get_by_text("Add articles").click()
    page.locator("#upload-files input[type=file]").set_input_files([str(good), str(bad)])
    page.locator("#upload-btn").click()
    report = page.locator("#upload-report")
    report.get_by_text("1 added").wait_for(timeout=ANSWER_WAIT_MS)
    assert "broken.json" in report.inner_text()  # the bad file is named, the good one kept
    assert "Coastal Wire" in page.locator("#index-summary").inner_text()

    reply = ask(page, "How many panels does the floating solar farm in Valdoria have?")
    assert "4,000 panels" in reply.inner_text()
    assert reply.locator(".source-card", has_text="Port of Valdoria Opens").count() == 1


def test_hostile_article_renders_as_text(page: Any) -> None:
    reply = ask(page, "When will the comet Vask-9 pass closest to Earth?")
    card = reply.locator(".source-card", has_text=XSS_TITLE)
    assert card.count() == 1, reply.inner_html()
    assert "<b>Evil Outlet</b>" in card.inner_text()  # shown, not interpreted
    # Let any injected handler run: an answered page settles, then nothing may fire.
    wait_for_network_idle(page)
    assert page.dialogs == []
    for selector in ("img", "script", "b", "a[href^='javascript']"):
        assert page.locator(f"#chat .message {selector}").count() == 0, selector
    assert not [u for u in page.requests if urlsplit(u).path in ("/x", "/y")]


def test_the_users_question_renders_as_text(page: Any) -> None:
    typed = f"{XSS_TITLE} When will the comet **Vask-9** pass closest to Earth?"
    ask(page, typed)
    question = page.locator("#chat .message.user").last
    assert question.inner_text().strip() == typed  # shown exactly as typed
    for selector in ("img", "strong", "b"):
        assert question.locator(selector).count() == 0, question.inner_html()
    assert not [u for u in page.requests if urlsplit(u).path == "/x"]


def test_an_example_headline_is_asked_and_shown_as_text(page: Any) -> None:
    from playwright.sync_api import expect

    items = page.locator("#examples button")
    # Filled when the page loads (the server is asked for the newest headlines): wait for
    # the text, not only the button, which may be drawn before its text arrives.
    expect(items.first).to_have_text(XSS_TITLE, timeout=ANSWER_WAIT_MS)  # as text
    assert page.locator("#examples img").count() == 0
    # Gradio shortens a long headline on its button, not in the box it fills.
    items.filter(has_text=EU_TITLE[:40]).click()
    expect(page.locator("#question textarea")).to_have_value(EU_TITLE)  # once the server replies
    page.locator("#question textarea").press("Enter")
    reply = page.locator("#chat .message.bot").first
    reply.locator(".source-card").first.wait_for(timeout=ANSWER_WAIT_MS)
    assert reply.locator(".source-card", has_text=EU_TITLE).count() == 1
    assert page.dialogs == []


def test_page_loads_nothing_from_beyond_the_server(page: Any, served: Served) -> None:
    ask(page, "When was Mistral 7B released?")
    wait_for_network_idle(page)
    hosts = {urlsplit(u).hostname for u in page.requests if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}


def test_usable_at_phone_width(browser: Any, served: Served, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(served.url)
    reply = ask(page, "Who founded Mistral?")
    assert reply.locator(".source-card").count() >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=tmp_path / "phone.png", full_page=True)
    context.close()
    assert overflow <= 390


def test_ten_simultaneous_chats_through_the_api(served: Served) -> None:
    from gradio_client import Client

    asked = ["Who founded Mistral?", "When was Mistral 7B released?"]
    questions = [asked[i % len(asked)] for i in range(10)]

    def chat(question: str) -> str:
        client = Client(served.url, verbose=False, analytics_enabled=False, download_files=False)
        history, box = client.predict(question, api_name="/chat")
        assert box == ""
        return json.dumps(history[-1]["content"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(chat, questions))
    assert len(replies) == 10
    for reply in replies:
        assert "source-card" in reply and "Sorry" not in reply, reply[:300]


def test_login_when_auth_is_set(browser: Any, served: Served) -> None:
    app = ui.build_app(served.assistant)
    port = free_port()
    ui.launch(app, port=port, auth=("ann", "s3cret"), block=False)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url)
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        page.locator("input[type=password]").wait_for()
        assert page.locator("#chat").count() == 0  # nothing but the login form
        page.locator("input[type=text]").first.fill("ann")
        page.locator("input[type=password]").fill("s3cret")
        page.locator("input[type=password]").press("Enter")
        page.locator("#chat").wait_for()
        context.close()
    finally:
        app.close()
