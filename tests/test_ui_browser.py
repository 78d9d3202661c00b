"""End to end: the Gradio app on a free loopback port, driven by Debian's Chromium via Playwright.

A question about the seeds, its answer, a click on its citation, the cited line highlighted in the
source panel; then a follow-up, a refusal, a second browser session at the same time, and an
upload that becomes answerable. Screenshots go to tmp_path; one is copied to docs/ui-screenshot.png
when UPDATE_UI_SCREENSHOT=1 (the tests never change tracked files otherwise).
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NZ_Q = "How much did New Zealand commit to regional programmes?"
NZ_SRC = "000_fb43058b33008c4d.txt"
UK_SRC = "004_c68e8246998bbcaa.txt"
WAIT = 60_000  # ms; generous for 2 shared cores, never a timing assertion

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(corpus: Path, tmp_path: Path):
    """The real UI over a throwaway copy of the seeds, with the defaults a user gets: the MiniLM
    index and the bundled local model (the extractive path is only its fallback)."""
    from assistant import Assistant
    from assistant.ui import launch

    assistant = Assistant(corpus=corpus, index_dir=tmp_path / "index")
    assert assistant.backend().name == "local", assistant.backend_note  # the model, not a fallback
    port = _free_port()
    demo = launch(assistant, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _ask(page, question: str, replies: int) -> None:
    """Type a question and wait until the conversation holds ``replies`` finished replies."""
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    _wait_replies(page, replies)


def _wait_replies(page, replies: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#conversation .msg.answer, #conversation .msg.refusal,"
        " #conversation .msg.error').length >= n && !document.querySelector("
        "'#conversation .msg.pending')",
        arg=replies,
        timeout=WAIT,
    )


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea", timeout=WAIT)
    return page, errors


def test_ask_click_citation_follow_up_refusal_sessions_upload(served, browser, tmp_path, corpus):
    page, errors = _open(browser, served)

    # A question about the seeds: an answer with a citation chip.
    _ask(page, NZ_Q, 1)
    answer = page.locator("#conversation .msg.answer").last
    assert "329 million NZD" in answer.inner_text()
    chip = answer.locator(".answer-text a.cite").first
    assert chip.inner_text() == f"{NZ_SRC}:11"
    assert answer.locator(".sources li").count() >= 1

    # Clicking it opens the source panel with the cited line highlighted, context around it.
    chip.click()
    hl = page.locator("#source-panel .line.hl")
    hl.first.wait_for(timeout=WAIT)
    assert hl.count() == 1
    assert hl.get_attribute("data-line") == "11"
    assert "329 million NZD" in hl.inner_text()
    assert page.locator('#source-panel .line[data-line="8"]').count() == 1
    assert page.locator('#source-panel .line[data-line="14"]').count() == 1
    bg = hl.evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")
    page.screenshot(path=str(tmp_path / "1-answer-and-source.png"))

    # A follow-up is understood from the conversation.
    _ask(page, "And how much did the UK commit?", 2)
    second = page.locator("#conversation .msg.answer").nth(1)
    assert "£17 million" in second.inner_text()
    assert "Understood as: How much did the UK commit" in page.locator("#conversation").inner_text()

    # A refusal looks like a refusal, not like an answer.
    _ask(page, "Who won the 2022 World Cup?", 3)
    refusal = page.locator("#conversation .msg.refusal")
    assert refusal.count() == 1 and refusal.locator("a.cite").count() == 0
    assert "no answer in the documents" in refusal.inner_text().lower()

    # The UK answer's citation, for the screenshot in the README.
    second.locator(".answer-text a.cite").first.click()
    page.locator(
        f'#source-panel[data-source="{UK_SRC}"], #source-panel .source-panel'
        f'[data-source="{UK_SRC}"]'
    ).first.wait_for(timeout=WAIT)
    assert page.locator("#source-panel .line.hl").get_attribute("data-line") == "6"
    refusal.scroll_into_view_if_needed()
    shot = tmp_path / "2-conversation.png"
    page.screenshot(path=str(shot))
    (REPO / "docs").mkdir(exist_ok=True)
    if os.environ.get("UPDATE_UI_SCREENSHOT"):  # a tracked file: only when asked
        shutil.copyfile(shot, REPO / "docs" / "ui-screenshot.png")

    # A second browser session at the same time keeps its own history.
    other, other_errors = _open(browser, served)
    other.locator("#question textarea").fill("How much did the UK commit?")
    page.locator("#question textarea").fill("Who co-chaired the ASEAN-UK meeting?")
    other.locator("#question textarea").press("Enter")
    page.locator("#question textarea").press("Enter")
    _wait_replies(other, 1)
    _wait_replies(page, 4)
    other_text = other.locator("#conversation").inner_text()
    assert "£17 million" in other_text
    assert NZ_Q not in other_text and "World Cup" not in other_text
    assert "Who co-chaired the ASEAN-UK meeting?" not in other_text
    assert (
        "How much did the UK commit?"
        not in page.locator("#conversation .user-text").all_inner_texts()
    )

    # Upload a text file: stored in the uploads folder (never the corpus), listed, indexed,
    # answerable, citable.
    page.get_by_text("Add documents").click()
    doc = tmp_path / "Zorbia report.txt"
    doc.write_text("Intro line.\nThe Zorbian observatory opened on 3 March 2031 in Quillon.\n")
    page.locator("#upload input[type=file]").set_input_files(str(doc))
    page.wait_for_function(
        "() => (document.querySelector('#upload-notice')?.innerText || '').includes('Indexed')",
        timeout=WAIT,
    )
    assert "added as uploads/Zorbia_report.txt" in page.locator("#upload-notice").inner_text()
    assert not (corpus / "uploads").exists()  # the corpus copy is untouched
    assert "uploads/Zorbia_report.txt" in page.locator("#uploads-list").inner_text()
    _ask(page, "When did the Zorbian observatory open?", 5)
    last = page.locator("#conversation .msg.answer").last
    assert "3 March 2031" in last.inner_text()
    last.locator(".answer-text a.cite").first.click()
    page.locator('#source-panel .source-panel[data-source="uploads/Zorbia_report.txt"]').wait_for(
        timeout=WAIT
    )
    assert page.locator("#source-panel .line.hl").get_attribute("data-line") == "2"
    page.screenshot(path=str(tmp_path / "3-upload.png"), full_page=True)

    # Index status and the re-index button.
    page.get_by_text("Index", exact=True).click()
    assert "Last indexed" in page.locator("#index-status").inner_text()
    page.locator("#reindex").click()
    page.wait_for_function(
        "() => (document.querySelector('#reindex-notice')?.innerText || '').includes('Indexed')",
        timeout=WAIT,
    )
    assert "6 files" in page.locator("#reindex-notice").inner_text()

    assert errors == [] and other_errors == []
