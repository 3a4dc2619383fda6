"""A lesson's progress view and pacing: figures from files that survive a reopen, estimates from the text."""

import json
import os
import stat

import nbformat
import pytest

from latsar.authoring import pacing
from latsar.authoring.notebooks import progress_source, sync_notebook
from latsar.course import COURSE_ID, FREE_TEXT_STUB, PRACTICE_FILE
from latsar.kernel import activities, progress
from latsar.kernel.progress import PracticeLog, ProgressView, record_attempt, submitted_at

from .conftest import REPO, click

ITEMS = ["MP1-01", "MP1-02", "MP1-03"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A participant's assignment folder outside any course directory, and their nbgrader cache."""
    folder = tmp_path / "peserta" / "bab2_konsep_pelayanan_publik"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LATSAR_STUDENT_ID", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return folder


def shown_widgets(monkeypatch) -> list:
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    return shown


def view(folder, free_text=()):
    return ProgressView("bab2_konsep_pelayanan_publik.ipynb", ITEMS, 4, free_text, folder)


def text(v: ProgressView) -> str:
    return v.html.value


def submit_copy(cache, student, assignment, when="2026-12-03 09:15:02.123456 UTC"):
    """What `nbgrader submit` leaves in the participant's cache (see nbgrader's ExchangeSubmit)."""
    entry = cache / COURSE_ID / f"{student}+{assignment}+{when.split(' UTC')[0]}"
    entry.mkdir(parents=True)
    (entry / "timestamp.txt").write_text(when)
    return entry


def test_a_quiz_click_is_noted_and_counted_after_a_reopen(workdir, monkeypatch):
    shown = shown_widgets(monkeypatch)
    activities.quiz("Manakah asas pelayanan publik?", ["Keuntungan", "Kepentingan umum"], answer=1,
                    reasons={0: "Layanan publik tidak mencari laba."})
    choices = shown[-1].children[1]
    choices.value = 0  # wrong first (the value is the option's index as written, whatever the order shown)
    choices.value = 1
    log = PracticeLog(workdir).load()
    assert list(log.values()) == [{"attempts": 2, "right": True}]
    assert stat.S_IMODE(os.stat(workdir / PRACTICE_FILE).st_mode) == 0o600
    # a new kernel (a reopen) reads it again: nothing comes from widget state
    assert "Latihan dicoba: <b>1 dari 4</b>" in text(view(workdir))


def test_a_match_check_is_noted(workdir, monkeypatch):
    shown = shown_widgets(monkeypatch)
    activities.match("Cocokkan", {"Cermat": "Sesuai", "Diskriminatif": "Bertentangan"})
    box = shown[-1]
    box.children[-1].children[0].click()  # Periksa, nothing chosen yet: still an attempt
    assert list(PracticeLog(workdir).load().values()) == [{"attempts": 1, "right": False}]


def test_answers_free_text_and_submission_each_count(workdir, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(FREE_TEXT_STUB)])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "analisis", "solution": True, "grade": True}
    notebook = workdir / "bab2_konsep_pelayanan_publik.ipynb"
    nbformat.write(nb, notebook)
    v = view(workdir, free_text=["analisis"])
    assert "Soal evaluasi dijawab: <b>0 dari 3</b>" in text(v)
    assert "Jawaban tertulis: <b>0 dari 1</b>" in text(v)
    assert "Belum dikumpulkan" in text(v)

    click("MP1-02", workdir, "b")  # the answer widget redraws the view at once
    assert "Soal evaluasi dijawab: <b>1 dari 3</b>" in text(v)
    nb.cells[0].source = "Antrean daring dan jadwal yang jelas."
    nbformat.write(nb, notebook)  # as Ctrl+S does
    submit_copy(tmp_path / "data" / "nbgrader_cache", "peserta01", "bab2_konsep_pelayanan_publik")
    v.refresh()  # the button Perbarui
    assert "Jawaban tertulis: <b>1 dari 1</b>" in text(v)
    assert "Dikumpulkan: <b>03-12-2026 09.15</b>" in text(v)
    assert text(v).count("✔ <b>selesai</b>") == 2


def test_only_this_assignment_and_this_participant_count_as_handed_in(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    submit_copy(cache, "peserta01", "bab3_berorientasi_pelayanan")
    submit_copy(cache, "peserta02", "bab2_konsep_pelayanan_publik", "2026-12-03 11:00:00.000000 UTC")
    monkeypatch.setenv("LATSAR_STUDENT_ID", "peserta01")  # the single-user fallback shares one cache
    assert submitted_at("bab2_konsep_pelayanan_publik", cache) is None
    monkeypatch.delenv("LATSAR_STUDENT_ID")
    assert submitted_at("bab2_konsep_pelayanan_publik", cache).hour == 11
    (cache / COURSE_ID / "peserta02+bab2_konsep_pelayanan_publik+x" ).mkdir()  # no timestamp: ignored
    assert submitted_at("bab2_konsep_pelayanan_publik", cache).hour == 11


def test_damaged_files_read_as_nothing_done(workdir):
    (workdir / PRACTICE_FILE).write_text("{rusak")
    (workdir / ".jawaban.json").write_text("[]")
    (workdir / "bab2_konsep_pelayanan_publik.ipynb").write_text("bukan json")
    assert PracticeLog(workdir).load() == {}
    assert "0 dari 4" in text(view(workdir)) and "0 dari 3" in text(view(workdir))


def test_in_the_course_folder_an_attempt_writes_nothing(tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "source" / "bab1_pendahuluan").mkdir(parents=True)
    (course / "course_data").mkdir()
    (course / "course_data" / "item_bank.yaml").write_text("")  # what marks a course folder
    record_attempt("Pertanyaan?", True, course / "source" / "bab1_pendahuluan")
    assert not (course / "source" / "bab1_pendahuluan" / PRACTICE_FILE).exists()


def test_autograde_shows_no_progress(workdir, monkeypatch):
    shown = shown_widgets(monkeypatch)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    progress.progress("bab2_konsep_pelayanan_publik.ipynb", items=ITEMS, activities=4)
    assert shown == []


# -- what latsar sync writes ------------------------------------------------------

def lesson(*cells):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    return nb


def md(text):
    return nbformat.v4.new_markdown_cell(text)


def activity(call="from latsar.activities import quiz\nquiz('x', ['a', 'b'], answer=0)"):
    cell = nbformat.v4.new_code_cell(call)
    cell.metadata["tags"] = ["activity"]
    return cell


def test_each_section_gets_an_estimate_that_follows_its_text():
    words = " ".join(["kata"] * 1200)  # 10 minutes at 120 words per minute
    cells = [md("# Judul\n\nPengantar."), md("## 1. Pendek\n\nSedikit."), md(f"## 2. Panjang\n\n{words}"),
             activity(), activity()]
    pacing.pace(cells)
    assert "*⏱ Perkiraan waktu: ± 5 menit*" in cells[1].source
    assert "*⏱ Perkiraan waktu: ± 15 menit*" in cells[2].source  # 10 reading + 2 × 2 activities
    assert "± 25 menit" in cells[0].source  # 5 + 15, and the title cell's own 5
    again = [nbformat.from_dict(c) for c in cells]
    pacing.pace(again)  # running sync twice changes nothing
    assert [c.source for c in again] == [c.source for c in cells]


def test_sync_writes_what_the_lesson_holds_into_its_progress_cells(released):
    nb = nbformat.read(REPO / "source" / "bab2_konsep_pelayanan_publik" / "bab2_konsep_pelayanan_publik.ipynb", 4)
    cells = [c for c in nb.cells if c.metadata.get("latsar", {}).get("progress")]
    assert len(cells) == 2  # after the instructions, and at the end
    source = progress_source("bab2_konsep_pelayanan_publik.ipynb", nb.cells)
    assert all(c.source == source for c in cells)
    assert 'items=["MP1-01", "MP1-02"' in source and "activities=16" in source
    assert all(c.metadata["jupyter"]["source_hidden"] and "activity" in c.metadata["tags"] for c in cells)
    with pytest.raises(ValueError, match="file name"):
        sync_notebook(nb, released.item_bank)


def test_every_lesson_shows_progress_and_paces_every_section():
    for path in sorted(REPO.glob("source/*/*.ipynb")):
        nb = nbformat.read(path, 4)
        headings = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
        assert headings and all("*⏱ Perkiraan waktu: ± " in c.source for c in headings), path.name
        assert "Perkiraan waktu seluruh notebook" in nb.cells[0].source, path.name
        assert sum(bool(c.metadata.get("latsar", {}).get("progress")) for c in nb.cells) == 2, path.name
