"""In a real browser: the instructor logs in through the hub, opens an item, and watches the
chart grow while participants click (the participant widget's own click path, :class:`LiveQuiz`).

Each step saves a screenshot under ``tests/e2e/artifacts/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from latsar.live.client import LiveClient
from latsar.live.widgets import LiveQuiz

from ..livehub import PASSWORD
from .conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, run_first_cell, shot, wait_until

# One hub (the session fixture live_hub) per xdist worker; `make test` uses --dist loadfile,
# so a module's tests share their worker's hub.


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
    # the choice lists the practice pool only: no graded item unless the instructor ticks the box
    expect(page.locator("#bank option[value='MP1-03']")).to_have_count(0)
    expect(page.locator("#bank option[value='LAT2-12']")).to_have_count(1)
    page.select_option("#bank", "LAT1-03")
    page.click("#open")
    expect(page.locator("#label")).to_have_text("Soal LAT1-03")
    expect(page.locator("#answered")).to_have_text("0")
    shot(page, "1_opened")

    quizzes = {name: LiveQuiz(LiveClient(live_hub.service_url, live_hub.participant_tokens[name]))
               for name in ("peserta021", "peserta022", "peserta023")}
    for quiz in quizzes.values():
        quiz.start()
    try:
        for quiz in quizzes.values():
            wait_until(lambda q=quiz: q.run and q.run["item_id"] == "LAT1-03" and q.run["state"] == "open", 10)
        clicks = [("peserta021", "b"), ("peserta022", "b"), ("peserta023", "d")]
        for n, (name, letter) in enumerate(clicks, start=1):
            quizzes[name].click(letter)  # the participant clicks
            expect(page.locator("#answered")).to_have_text(str(n), timeout=2_000)
            shot(page, f"2_after_click_{n}")
        expect(page.locator(".bar[data-letter=b]")).to_have_attribute("data-count", "2")
        expect(page.locator(".bar[data-letter=d]")).to_have_attribute("data-count", "1")
        expect(page.locator(".bar[data-letter=a]")).to_have_attribute("data-count", "0")

        # on a projector before the reveal: no key bar, no key line, and no "Benar" count
        right = page.locator("#history tr").last.locator("td").nth(3)
        expect(right).to_have_text("–")
        expect(page.locator(".bar.key")).to_have_count(0)
        expect(page.locator("#keyline")).to_have_text("")

        page.click("#close")
        expect(page.locator("#state")).to_have_text("ditutup")
        expect(right).to_have_text("–")
        page.click("#reveal")
        expect(page.locator("#state")).to_have_text("kunci ditampilkan")
        key = LiveClient(live_hub.service_url, live_hub.instructor_token).state()["runs"][-1]["key"]
        expect(right).to_have_text(str(sum(letter == key for _, letter in clicks)))
        expect(page.locator(".bar.key")).to_have_attribute("data-letter", key)
        expect(page.locator("#keyline")).to_contain_text(f"Kunci: {key}")
        wait_until(lambda: quizzes["peserta023"].run["state"] == "revealed", 10)
        assert ("Benar" in quizzes["peserta023"].status.value) == (key == "d")
        shot(page, "3_revealed")

        page.click("#next")  # the next practice item
        expect(page.locator("#label")).to_have_text("Soal LAT1-04")
        expect(page.locator("#answered")).to_have_text("0")
        wait_until(lambda: quizzes["peserta021"].run["item_id"] == "LAT1-04", 10)

        page.click("#end")
        expect(page.locator("#saved")).to_contain_text("Tabel sesi disimpan")
        shot(page, "4_saved")
    finally:
        for quiz in quizzes.values():
            quiz.stop()
    saved = sorted((live_hub.course_root / "live_sessions").glob("*.csv"))
    assert saved and "peserta023" in saved[-1].read_text(encoding="utf-8")


def _login(page, url: str, user: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login_submit")


def test_participant_clicks_in_jupyterlab_and_the_instructor_sees_it(live_hub, page):
    """The whole path: the chapter's live-quiz cell in a participant's JupyterLab on the hub."""
    import json

    import nbformat

    from ..conftest import REPO

    user = "peserta030"
    source = nbformat.read(REPO / "source" / "bab2_konsep_pelayanan_publik" / "bab2_konsep_pelayanan_publik.ipynb", 4)
    cell = next(c for c in source.cells if "live_quiz" in c.source)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell.source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    (live_hub.home(user) / "kuis.ipynb").write_text(json.dumps(nb), encoding="utf-8")

    teacher = LiveClient(live_hub.service_url, live_hub.instructor_token)
    teacher.start_session("Kelas B — JupyterLab")
    run = teacher.open_item("LAT1-09")

    browser = page.context.browser
    instructor = browser.new_page(viewport={"width": 1100, "height": 900})
    instructor.set_default_timeout(15_000)
    _login(instructor, live_hub.public_service_url, "pengampu")
    expect(instructor.locator("#label")).to_have_text("Soal LAT1-09")
    before = int(instructor.locator("#answered").inner_text())

    _login(page, live_hub.url + "/hub/login", user)  # the hub spawns the participant's JupyterLab
    page.wait_for_url("**/user/peserta030/lab**", timeout=120_000)
    page.goto(f"{live_hub.url}/user/{user}/lab/tree/kuis.ipynb")
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    widget = page.locator(".latsar-live-choices")
    run_first_cell(page, widget)
    output = page.locator(".jp-OutputArea").first
    expect(output).to_contain_text(f"Soal {run['seq']}", timeout=30_000)
    expect(output).not_to_contain_text("LAT1-09")  # bank ids are for the instructor
    shot(page, "5_participant_lab")
    widget.get_by_role("button", name="b", exact=True).click()
    expect(output).to_contain_text("Jawaban b diterima", timeout=10_000)
    expect(instructor.locator("#answered")).to_have_text(str(before + 1), timeout=2_000)
    expect(instructor.locator(".bar[data-letter=b]")).to_have_attribute("data-count", "1")
    shot(instructor, "6_instructor_after_lab_click")

    instructor.click("#reveal")
    expect(instructor.locator("#state")).to_have_text("kunci ditampilkan")  # the key is only there after it
    key = teacher.counts(run["run_id"])["key"]
    verdict = "Benar" if key == "b" else "Belum tepat"
    expect(output).to_contain_text(verdict, timeout=30_000)
    expect(output).not_to_contain_text("LiveQuiz")  # no stray Out[] line under the widget
    shot(page, "7_participant_revealed")
    assert {r["participant_id"]: r["choice"] for r in teacher.answers(run["run_id"])["answers"]} == {user: "b"}
