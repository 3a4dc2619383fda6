"""The live quiz on the hub ``latsar hub`` starts (tests/e2e/conftest.py's ``hub``): real accounts when root.

The instructor opens the service's page through the hub's OAuth and opens an
item; a participant runs the chapter's live-quiz cell in their own JupyterLab
and clicks; the instructor's count shows it within 2 s.
"""

from __future__ import annotations

import json
import shutil

import nbformat
from playwright.sync_api import expect

from ..conftest import REPO
from .conftest import dismiss_toasts, log_in, run_first_cell, shot



def test_live_quiz_on_latsar_hub(hub, browser):
    instructor, participant = hub.plan.instructors[0], hub.plan.participants[0]
    source = nbformat.read(REPO / "source" / "bab2_konsep_pelayanan_publik" / "bab2_konsep_pelayanan_publik.ipynb", 4)
    cell = next(c for c in source.cells if "live_quiz" in c.source)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell.source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path = hub.home(participant) / "kuis_langsung.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    if hub.plan.system_users:
        shutil.chown(path, participant, participant)

    teacher = log_in(browser, hub, instructor)
    teacher.goto(f"{hub.url}/services/latsar-live/")
    expect(teacher.locator("h1")).to_have_text("Kuis langsung")
    teacher.select_option("#bank", "LAT1-05")
    teacher.click("#open")
    expect(teacher.locator("#label")).to_have_text("Soal LAT1-05")
    expect(teacher.locator("#answered")).to_have_text("0")

    page = log_in(browser, hub, participant)
    page.goto(f"{hub.url}/user/{participant}/lab/tree/kuis_langsung.ipynb")
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    dismiss_toasts(page)
    widget = page.locator(".latsar-live-choices")
    tracker = page.request.get(f"{hub.url}/user/{participant}/lab/api/settings/"
                               "@jupyterlab/notebook-extension:tracker").json()
    assert tracker["schema"]["properties"]["autoStartDefaultKernel"]["default"] is True  # latsar/hub/deploy/jupyter/common/labsettings
    retried = run_first_cell(page, widget)
    assert not [note for note in retried if "dialog" in note], f"JupyterLab asked the participant: {retried}"
    output = page.locator(".jp-OutputArea").first
    expect(output).to_contain_text("Soal 1", timeout=30_000)  # the session's first item, by number
    expect(output).not_to_contain_text("LAT1-05")  # bank ids are for the instructor
    widget.get_by_role("button", name="a", exact=True).click()
    expect(output).to_contain_text("Jawaban a diterima", timeout=10_000)
    expect(teacher.locator("#answered")).to_have_text("1", timeout=2_000)
    expect(teacher.locator(".bar[data-letter=a]")).to_have_attribute("data-count", "1")
    shot(teacher, "8_latsar_hub_instructor")

    # a participant is not let into the instructor's page
    page.goto(f"{hub.url}/services/latsar-live/")
    expect(page.locator("h1")).to_have_text("Halaman ini hanya untuk pengampu")
    teacher.click("#end")
    expect(teacher.locator("#saved")).to_contain_text("Tabel sesi disimpan")
    saved = sorted((hub.course.root / "live_sessions").glob("*.csv"))
    assert saved and participant in saved[-1].read_text(encoding="utf-8")
