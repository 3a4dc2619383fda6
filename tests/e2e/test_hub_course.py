"""Participants and the instructor through the real hub, in a real browser.

Two participants log in, fetch ``bab2_konsep_pelayanan_publik`` from the
assignment list, run the lesson, answer the 10 graded items by clicking, save
and submit; the first also writes the free-text case analysis of
``bab3_berorientasi_pelayanan``.  The instructor collects, autogrades with
``latsar autograde``, grades the case analysis in the formgrader and releases
feedback, which the participants fetch and read.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from latsar.kernel.answers import AnswerStore
from latsar.results import scores
from latsar.authoring.itembank import LETTERS

from .conftest import dismiss_toasts, log_in, menu, open_lab, scroll_to, wait_until

BAB2 = "bab2_konsep_pelayanan_publik"
BAB3 = "bab3_berorientasi_pelayanan"
CASE_ANALYSIS = "bab3_analisis_kasus"
CASE_TEXT = ("Antrean panjang di loket puskesmas: saya usul nomor antrean daring dan "
             "informasi jadwal yang jelas, sesuai asas keterbukaan dan standar pelayanan.")



def form_of(hub, user: str) -> dict:
    """The participant's own form of bab2: {slot: (variant item, order)}."""
    from latsar.grading.forms import slot_variants
    from latsar.kernel.forms import form

    bank = hub.course.item_bank
    return {slot: (bank.variant(variant), order)
            for slot, (variant, order) in form(user, BAB2, slot_variants(bank, BAB2)).items()}


def answer_plan(hub, user: str, shift: int) -> dict[str, str]:
    """Each participant clicks a different pattern on their own form: some right, some wrong.
    The plan is canonical letters (of each one's variant, as in the bank)."""
    plan = {}
    for n, (slot, (item, _order)) in enumerate(form_of(hub, user).items()):
        plan[slot] = item.key if (n + shift) % 3 else LETTERS[(LETTERS.index(item.key) + 1 + shift) % 4]
    return plan


def right_on_form(hub, user: str, plan: dict[str, str]) -> dict[str, bool]:
    return {slot: plan[slot] == item.key for slot, (item, _) in form_of(hub, user).items()}


def assignment_list(page):
    menu(page, "Nbgrader", "Assignment List")
    page.wait_for_selector("#released_assignments_list, #fetched_assignments_list")


def row(page, section: str, assignment: str):
    return page.locator(f"#{section} .list_item").filter(has_text=assignment).first


def fetch(page, assignment: str) -> None:
    row(page, "released_assignments_list", assignment).locator("button:text-is('Fetch')").click()
    row(page, "fetched_assignments_list", assignment).wait_for()


def open_notebook(page, hub, user: str, assignment: str) -> None:
    page.goto(f"{hub.url}/user/{user}/lab/tree/{assignment}/{assignment}.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    dismiss_toasts(page)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                           ":text('Python 3 (ipykernel) | Idle')", timeout=120_000)
    # stock JupyterLab now and then asks which kernel to use although the notebook names
    # python3; latsar/hub/deploy/jupyter/common/labsettings turns that question off for everyone
    page.wait_for_timeout(2_000)
    assert not page.locator(".jp-Dialog").is_visible(), \
        f"JupyterLab asked {user} a question: {page.locator('.jp-Dialog').inner_text()!r}"
    lesson_ran(page)


def lesson_ran(page) -> None:
    """The lesson extension has run every cell (it marks the notebook while it runs).

    Saving before that leaves the notebook modified: the outputs still arriving change it."""
    page.wait_for_selector(".latsar-lesson", timeout=60_000)
    page.wait_for_selector(".latsar-lesson-running", state="detached", timeout=120_000)


#: One item's answer buttons: the box whose children are the option buttons (latsar/kernel/answers.py).
OPTIONS = ".widget-vbox:has(> .latsar-opsi)"


def widgets_appear(page, widgets: int) -> None:
    """The lesson runs itself (labextension/): nobody presses Run All, no code shows."""
    wait_until(lambda: page.locator(OPTIONS).count() >= widgets, 120,
               f"{widgets} kelompok tombol jawaban tampil tanpa Run All")
    assert page.locator(".jp-CodeCell .jp-Cell-inputWrapper:visible").count() == 0, "kode terlihat oleh peserta"


def click_answers(page, hub, user, items, plan: dict[str, str]) -> None:
    """Click each option by its text as shown on the participant's own form ("b. <option>", the
    letter of its place on screen); two items by keyboard (Tab, then Enter or Space)."""
    groups = page.locator(OPTIONS)
    assert groups.count() == len(items), f"{groups.count()} kelompok tombol, diharapkan {len(items)}"
    form = form_of(hub, user)
    for n, slot in enumerate(i.id for i in items):
        item, order = form[slot]
        letter = LETTERS[order.index(plan[slot])]  # the letter shown for the planned option
        group = groups.nth(n)
        scroll_to(group)
        name = f"{letter}. {item.options[plan[slot]]}"
        button = group.get_by_role("button", name=name, exact=True)
        if n < 2:  # keyboard only: focus option a, Tab to the planned one, press it
            group.get_by_role("button", name=f"a. {item.options[order[0]]}", exact=True).focus()
            for _ in range(LETTERS.index(letter)):
                page.keyboard.press("Tab")
            expect(button).to_be_focused()
            page.keyboard.press("Enter" if n == 0 else "Space")
        else:
            button.click()
        status = group.locator("xpath=..").locator(".widget-html-content")  # the item's own VBox
        status.filter(has_text=f"Jawaban {letter} tersimpan").wait_for()
        # the choice is marked in words, on the chosen button only
        expect(group.get_by_role("button", name=f"{name} ✔ dipilih", exact=True)).to_be_visible()
        assert group.get_by_role("button", name=re.compile("dipilih")).count() == 1
    # long options wrap inside their full-width button instead of being cut off
    longest = page.locator(".latsar-opsi").evaluate_all(
        "bs => bs.map(b => [getComputedStyle(b).whiteSpace, b.scrollWidth <= b.clientWidth + 1])")
    assert all(ws == "normal" and fits for ws, fits in longest), longest


def save(page) -> None:
    page.keyboard.press("Control+s")
    page.wait_for_selector(".jp-mod-dirty", state="detached")


def submit(page, assignment: str) -> None:
    assignment_list(page)
    row(page, "fetched_assignments_list", assignment).locator("button:text-is('Submit')").click()
    row(page, "submitted_assignments_list", assignment).wait_for()


def write_case_analysis(page, text: str) -> None:
    cell = page.locator(".jp-MarkdownCell").filter(has_text="Tulis jawaban Anda di sini").first
    scroll_to(cell)
    cell.dblclick()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-MarkdownCell").filter(has_text=text[:40]).first.wait_for()


@pytest.fixture(scope="module")
def course_run(hub, browser, steps):
    """The whole term, step by step; returns what was clicked and the pages kept open."""
    items = hub.course.item_bank.for_assignment(BAB2)
    participants = hub.plan.participants
    clicks = {user: answer_plan(hub, user, shift) for shift, user in enumerate(participants)}
    pages = {}
    for n, user in enumerate(participants):
        step = steps(f"peserta{n + 1}")
        page = log_in(browser, hub, user)
        pages[user] = page
        with step(page, "masuk ke JupyterLab"):
            open_lab(page, hub, user)
            labels = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
            assert "Nbgrader" in labels
        with step(page, "daftar tugas dan ambil bab2"):
            assignment_list(page)
            fetch(page, BAB2)
        with step(page, "buka pelajaran berbahasa Indonesia"):
            open_notebook(page, hub, user, BAB2)
            page.locator(".jp-RenderedMarkdown h1", has_text="Materi Pokok 1 — Konsep Pelayanan Publik").wait_for()
        with step(page, "latihan dan soal muncul sendiri"):
            widgets_appear(page, len(items))
            scroll_to(page.locator(".widget-radio-box, .widget-dropdown").first)
        with step(page, "jawab 10 soal dengan klik"):
            click_answers(page, hub, user, items, clicks[user])
        with step(page, "simpan notebook"):
            save(page)
        with step(page, "kumpulkan bab2"):
            submit(page, BAB2)
        if n == 0:
            with step(page, "ambil bab3 dan tulis analisis kasus"):
                assignment_list(page)
                fetch(page, BAB3)
                open_notebook(page, hub, user, BAB3)
                write_case_analysis(page, CASE_TEXT)
                save(page)
            with step(page, "kumpulkan bab3"):
                submit(page, BAB3)
    return clicks, pages


def test_participants_answers_reach_the_exchange(hub, course_run):
    clicks, _ = course_run
    inbound = hub.plan.exchange / "latsar-pelayanan" / "inbound"
    for user in hub.plan.participants:
        submissions = [p for p in inbound.iterdir() if p.name.startswith(f"{user}+{BAB2}+")]
        assert len(submissions) == 1, f"{user}: {len(submissions)} kiriman bab2 di exchange"
        saved = AnswerStore(submissions[0]).load()
        assert saved == clicks[user]


@pytest.fixture(scope="module")
def graded(hub, course_run):
    hub.instructor_run("nbgrader", "collect", BAB2)
    hub.instructor_run("nbgrader", "collect", BAB3)
    hub.instructor_run("latsar", "autograde", "--course", str(hub.course.root))
    return course_run


def test_scores_equal_the_clicks(hub, graded):
    clicks, _ = graded
    table = scores.responses(hub.course)
    bank = hub.course.item_bank
    for user, plan in clicks.items():
        mine = table[table["peserta_id"] == user].set_index("item_id")
        right = right_on_form(hub, user, plan)
        for item_id, letter in plan.items():
            assert mine.loc[item_id, "pilihan"] == letter
            assert mine.loc[item_id, "variant"] == form_of(hub, user)[item_id][0].id
            assert mine.loc[item_id, "poin"] == (1.0 if right[item_id] else 0.0)
    forms = [{s: (i.id, o) for s, (i, o) in form_of(hub, u).items()} for u in clicks]
    assert forms[0] != forms[1], "two participants side by side see different forms"
    expected = {u: sum(right_on_form(hub, u, plan).values()) for u, plan in clicks.items()}
    assert len(set(expected.values())) > 1, "the two click patterns should score differently"


@pytest.fixture(scope="module")
def manual_grade(hub, browser, graded, steps):
    """The instructor gives the case analysis 5 of 6 points in the formgrader."""
    step = steps("pengampu")
    instructor = hub.plan.instructors[0]
    writer = hub.plan.participants[0]
    page = log_in(browser, hub, instructor)
    base = f"{hub.url}/services/latsar-pelayanan/formgrader"
    with step(page, "formgrader: daftar tugas"):
        page.goto(f"{base}/")
        page.get_by_text(BAB2).first.wait_for()
    with step(page, "formgrader: nilai bab2 per peserta"):
        page.goto(f"{base}/manage_students")
        page.get_by_text(writer).first.wait_for()
    with step(page, "formgrader: buka kiriman bab3"):
        page.goto(f"{base}/gradebook/{BAB3}/{BAB3}")
        page.locator("a", has_text=re.compile("Submission #|#")).first.click()
        page.get_by_text(CASE_TEXT[:40]).first.wait_for()
    with step(page, "formgrader: nilai analisis kasus"):
        score = page.locator(f"input.score#{CASE_ANALYSIS}")  # nbgrader names the input by grade id
        scroll_to(score)
        score.fill("5")
        score.press("Tab")
        wait_until(lambda: _manual_score(hub, writer) == 5.0, 30, "nilai manual tersimpan di gradebook")
    return page


def _manual_score(hub, user: str):
    auto, manual = scores.grade_cells(hub.course).get((user, BAB3, CASE_ANALYSIS), (None, None))
    return manual


def test_instructor_grades_case_analysis_in_formgrader(hub, manual_grade):
    assert _manual_score(hub, hub.plan.participants[0]) == 5.0


def test_participants_read_feedback_with_sections_to_reread(hub, manual_grade, course_run, steps):
    clicks, pages = course_run
    hub.instructor_run("nbgrader", "generate_feedback", "--assignment=*")
    hub.instructor_run("nbgrader", "release_feedback", "--assignment=*")
    bank = hub.course.item_bank
    for n, user in enumerate(hub.plan.participants):
        step = steps(f"peserta{n + 1}-umpan-balik")
        page = pages[user]
        with step(page, "ambil umpan balik"):
            open_lab(page, hub, user)
            assignment_list(page)
            row(page, "submitted_assignments_list", BAB2).locator("button:text-is('Fetch Feedback')").click()
            wait_until(lambda: any((hub.home(user) / BAB2 / "feedback").glob("*/*.html")), 60,
                       "berkas umpan balik")
        with step(page, "baca umpan balik"):
            html = next((hub.home(user) / BAB2 / "feedback").glob(f"*/{BAB2}.html"))
            rel = html.relative_to(hub.home(user)).as_posix()
            page.goto(f"{hub.url}/user/{user}/files/{rel}")
            ok = right_on_form(hub, user, clicks[user])
            right = sum(ok.values())
            page.get_by_text(f"{right} dari 10 soal benar").first.wait_for()
            text = page.content()
            wrong = {bank[i].section.label for i in clicks[user] if not ok[i]}
            for label in wrong:
                assert label in text, f"bagian untuk dibaca ulang tidak disebut: {label}"
            assert "key=" not in text
