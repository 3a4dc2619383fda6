"""In a real browser: the instructor logs in through the hub, opens an item, and watches the
chart grow while participants click (the participant widget's own click path, :class:`LiveQuiz`).

Each step saves a screenshot under ``tests/e2e/artifacts/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from latsar.live.client import LiveClient
from latsar.live.widgets import LiveQuiz

from ..livehub import PASSWORD

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("LATSAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1000}, locale="id-ID")
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"live_{name}.png"), full_page=True)


def wait_until(condition, timeout: float = 10.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_instructor_chart_updates_while_participants_click(live_hub, page):
    # the instructor opens the service page: the hub asks for a login, then OAuth brings them back
    page.goto(live_hub.public_service_url)
    page.fill("input[name=username]", "pengampu")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login_submit")
    expect(page.locator("h1")).to_have_text("Kuis langsung")
    assert page.url.rstrip("/").endswith("/services/latsar-live")
    page.fill("#title", "Kelas A — sesi sinkron")
    page.click("#start")
    expect(page.locator("#session")).to_contain_text("Kelas A — sesi sinkron")
    page.select_option("#bank", "MP1-03")
    page.click("#open")
    expect(page.locator("#label")).to_have_text("Soal MP1-03")
    expect(page.locator("#answered")).to_have_text("0")
    shot(page, "1_opened")

    quizzes = {name: LiveQuiz(LiveClient(live_hub.service_url, live_hub.participant_tokens[name]))
               for name in ("peserta021", "peserta022", "peserta023")}
    for quiz in quizzes.values():
        quiz.start()
    try:
        for quiz in quizzes.values():
            wait_until(lambda q=quiz: q.run and q.run["item_id"] == "MP1-03" and q.run["state"] == "open")
        clicks = [("peserta021", "b"), ("peserta022", "b"), ("peserta023", "d")]
        for n, (name, letter) in enumerate(clicks, start=1):
            quizzes[name].buttons.value = letter  # the participant clicks
            expect(page.locator("#answered")).to_have_text(str(n), timeout=2_000)
            shot(page, f"2_after_click_{n}")
        expect(page.locator(".bar[data-letter=b]")).to_have_attribute("data-count", "2")
        expect(page.locator(".bar[data-letter=d]")).to_have_attribute("data-count", "1")
        expect(page.locator(".bar[data-letter=a]")).to_have_attribute("data-count", "0")

        page.click("#close")
        expect(page.locator("#state")).to_have_text("ditutup")
        page.click("#reveal")
        expect(page.locator("#state")).to_have_text("kunci ditampilkan")
        key = LiveClient(live_hub.service_url, live_hub.instructor_token).state()["runs"][-1]["key"]
        expect(page.locator(".bar.key")).to_have_attribute("data-letter", key)
        expect(page.locator("#keyline")).to_contain_text(f"Kunci: {key}")
        wait_until(lambda: quizzes["peserta023"].run["state"] == "revealed")
        assert ("Benar" in quizzes["peserta023"].status.value) == (key == "d")
        shot(page, "3_revealed")

        page.click("#next")  # the next bank item
        expect(page.locator("#label")).to_have_text("Soal MP1-04")
        expect(page.locator("#answered")).to_have_text("0")
        wait_until(lambda: quizzes["peserta021"].run["item_id"] == "MP1-04")

        page.click("#end")
        expect(page.locator("#saved")).to_contain_text("Tabel sesi disimpan")
        shot(page, "4_saved")
    finally:
        for quiz in quizzes.values():
            quiz.stop()
    saved = sorted((live_hub.course_root / "live_sessions").glob("*.csv"))
    assert saved and "peserta023" in saved[-1].read_text(encoding="utf-8")
