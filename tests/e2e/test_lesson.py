"""A lesson as a participant who never saw Jupyter meets it on ``latsar hub`` (issue 12).

JupyterLab speaks Indonesian (the pinned language pack, made the default in
``latsar/hub/deploy/jupyter/common``); a lesson opens with its activities and items
already there and no code in sight (the lesson extension, ``labextension/``),
again after a kernel restart and after a reopen; the instructor's JupyterLab still
shows the code.  Every step leaves a screenshot in ``tests/e2e/artifacts/``.
"""

from __future__ import annotations

import re
import shutil

from playwright.sync_api import expect

from .conftest import dismiss_toasts, log_in, menu, open_lab, scroll_to, wait_until
from .test_hub_course import BAB2, OPTIONS, assignment_list, fetch, open_notebook

#: graded items of bab2; its practice activities add radio boxes and drop-downs
ITEMS = 10
CODE = ".jp-CodeCell .jp-Cell-inputWrapper"
REFLECTION = "Saya akan menyapa setiap warga lebih dulu dan menjelaskan syarat layanan dengan jelas."


def item_widgets(page) -> int:
    return page.locator(OPTIONS).count()


def test_participant_opens_a_lesson_that_runs_itself_in_indonesian(hub, browser, steps):
    user = hub.plan.participants[0]
    step = steps("pelajaran")
    page = log_in(browser, hub, user)
    with step(page, "JupyterLab berbahasa Indonesia"):
        open_lab(page, hub, user)
        expect(page.locator(".jp-DirListing-headerItem").first).to_have_text("Nama")
        expect(page.get_by_role("tab", name="Peramban Berkas (Ctrl+Shift+F)")).to_be_visible()
    with step(page, "ambil bab2"):
        assignment_list(page)
        fetch(page, BAB2)
    with step(page, "buka bab2: latihan dan soal muncul tanpa Run All"):
        open_notebook(page, hub, user, BAB2)
        wait_until(lambda: item_widgets(page) == ITEMS, 120, f"{ITEMS} soal tampil tanpa Run All")
        assert page.locator(".widget-radio-box, .widget-dropdown").count() > 0, "latihan tidak tampil"
    with step(page, "menu File berbahasa Indonesia"):
        page.click(".lm-MenuBar-itemLabel:text-is('File')")
        expect(page.locator(".lm-Menu-itemLabel:text-is('Simpan Notebook')")).to_be_visible()
        expect(page.locator(".lm-Menu-itemLabel:text-is('Save Notebook')")).to_have_count(0)
        page.keyboard.press("Escape")
    with step(page, "tidak ada kode yang terlihat"):
        assert page.locator(".jp-CodeCell").count() > ITEMS
        assert page.locator(f"{CODE}:visible").count() == 0, "sel kode terlihat oleh peserta"
        assert page.locator(".jp-InputPrompt:visible, .jp-OutputPrompt:visible").count() == 0
        assert page.get_by_text("from latsar").filter(visible=True).count() == 0
    with step(page, "latihan menjawab klik tanpa kode"):
        output = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-radio-box")).first
        scroll_to(output)
        output.locator(".widget-radio-box input").first.click()  # nothing lies over the widgets where prompts were
        expect(output).to_contain_text(re.compile("Tepat|Belum tepat"))
    with step(page, "kemajuan bertambah setelah latihan dan soal dijawab"):
        page.locator(".latsar-opsi").first.click()  # soal 1, option a
        view = page.locator(".jp-OutputArea-output").filter(has_text="Kemajuan Anda di").first
        scroll_to(view)
        expect(view).to_contain_text("Latihan dicoba: 1 dari 16")
        expect(view).to_contain_text("Soal evaluasi dijawab: 1 dari 10")
        expect(view).to_contain_text("Belum dikumpulkan")
        estimate = page.locator(".jp-RenderedMarkdown").get_by_text("Perkiraan waktu seluruh notebook")
        scroll_to(estimate)
        expect(estimate).to_be_visible()
    with step(page, "refleksi ditulis dan disimpan"):
        reflection = page.locator(".jp-OutputArea-output").filter(has_text="Refleksi Anda").first
        scroll_to(reflection)
        reflection.locator("textarea").fill(REFLECTION)
        reflection.get_by_role("button", name="Simpan").click()
        expect(reflection).to_contain_text("✔ Tersimpan.")
    with step(page, "glosarium terbuka dari notebook"):
        link = page.locator(".jp-RenderedMarkdown a", has_text="Glosarium").first
        scroll_to(link)
        link.click()
        # opened rendered (overrides.json: Markdown Preview), not as markdown source
        glossary = page.locator(".jp-RenderedMarkdown h1", has_text="Glosarium")
        expect(glossary).to_be_visible(timeout=30_000)
        expect(page.locator(".jp-RenderedMarkdown", has_text="employer branding").last).to_be_visible()
        page.locator(".lm-TabBar-tab", has_text="bab2_konsep_pelayanan_publik.ipynb").first.click()
    with step(page, "mulai ulang kernel: semuanya muncul lagi"):
        menu(page, "Kernel", "Dimulai lagi kernel…")
        dialog = page.locator(".jp-Dialog")
        expect(dialog.locator(".jp-Dialog-header")).to_have_text("Dimulai lagi kernel?")
        dialog.locator("button.jp-mod-accept").click()
        # the extension clears the old outputs (widgets of the dead kernel), then runs every cell
        page.wait_for_function("() => document.querySelectorAll('.latsar-opsi').length === 0", timeout=60_000)
        wait_until(lambda: item_widgets(page) == ITEMS, 120, f"{ITEMS} soal tampil lagi setelah kernel dimulai ulang")
    with step(page, "buka lagi: semuanya muncul lagi"):
        page.keyboard.press("Control+s")
        page.reload()
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        dismiss_toasts(page)
        wait_until(lambda: item_widgets(page) == ITEMS, 120, f"{ITEMS} soal tampil setelah notebook dibuka lagi")
        assert page.locator(f"{CODE}:visible").count() == 0
        assert page.get_by_text("Error displaying widget").count() == 0
        view = page.locator(".jp-OutputArea-output").filter(has_text="Kemajuan Anda di").first
        scroll_to(view)  # read from .latihan.json and .jawaban.json, not widget state
        expect(view).to_contain_text("Latihan dicoba: 1 dari 16")
        expect(view).to_contain_text("Soal evaluasi dijawab: 1 dari 10")
        reflection = page.locator(".jp-OutputArea-output").filter(has_text="Refleksi Anda").first
        scroll_to(reflection)
        expect(reflection.locator("textarea")).to_have_value(REFLECTION)  # from .refleksi.json
    page.context.close()


def test_instructor_still_sees_the_code(hub, browser, steps):
    """The extension is off in instructors' servers: they edit these notebooks in source/."""
    user = hub.plan.instructors[0]
    notebook = hub.course.release / BAB2 / f"{BAB2}.ipynb"
    target = hub.home(user) / "pratinjau.ipynb"
    shutil.copy(notebook, target)
    if hub.plan.system_users:
        shutil.chown(target, user, user)
    step = steps("pengampu-pelajaran")
    page = log_in(browser, hub, user)
    with step(page, "pengampu membuka pelajaran: kode terlihat, tidak dijalankan sendiri"):
        page.goto(f"{hub.url}/user/{user}/lab/tree/pratinjau.ipynb?reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        dismiss_toasts(page)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        assert not page.locator(".latsar-lesson").count()
        code = page.locator(".jp-CodeCell").first
        scroll_to(code)
        # the collapsed input shows JupyterLab's own placeholder, and the cell was not run
        expect(code.locator(".jp-Cell-inputWrapper")).to_be_visible()
        expect(code.locator(".jp-InputPlaceholder")).to_be_visible()
        expect(code.locator(".jp-OutputArea-output")).to_have_count(0)
        assert item_widgets(page) == 0
    page.context.close()
