"""Reflection prompts: a text box that saves without code, shows the text again, and the instructor sees it."""

import json
import stat

import nbformat
import pytest

from latsar.course import REFLECTION_FILE
from latsar.course.nbgrader_api import api, check
from latsar.kernel import reflection
from latsar.kernel.reflection import ReflectionStore, reflect, reflection_widget

from .conftest import REPO, grade

BAB2 = "bab2_konsep_pelayanan_publik"


def parts(box):
    heading, area, row = box.children
    button, status = row.children
    return heading, area, button, status


def test_the_box_saves_and_a_reopened_notebook_shows_the_saved_text(tmp_path):
    heading, area, button, status = parts(reflection_widget("p1", "Siapa <tuan> Anda?", tmp_path))
    assert "Siapa &lt;tuan&gt; Anda?" in heading.value and area.value == ""
    assert "Belum diisi" in status.value
    area.value = "Murid dan orang tua."
    assert "Belum disimpan" in status.value
    button.click()
    assert "Tersimpan" in status.value
    path = tmp_path / REFLECTION_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["texts"] == {"p1": "Murid dan orang tua."}
    _, again, _, status2 = parts(reflection_widget("p1", "Siapa tuan Anda?", tmp_path))
    assert again.value == "Murid dan orang tua." and "Tersimpan" in status2.value
    _, other, button3, _ = parts(reflection_widget("p2", "Lain", tmp_path))
    other.value = "Kedua."
    button3.click()
    assert ReflectionStore(tmp_path).load() == {"p1": "Murid dan orang tua.", "p2": "Kedua."}


def test_a_damaged_file_reads_as_nothing_written(tmp_path):
    (tmp_path / REFLECTION_FILE).write_text("{rusak")
    assert ReflectionStore(tmp_path).load() == {}
    _, area, button, status = parts(reflection_widget("p1", "x", tmp_path))
    area.value = "baru"
    button.click()
    assert ReflectionStore(tmp_path).get("p1") == "baru"


def test_preview_mode_in_the_course_folder_writes_nothing(course):
    folder = course.source / "bab1_pendahuluan"
    _, area, button, status = parts(reflection_widget("p1", "x", folder))
    area.value = "coba"
    button.click()
    assert "Mode pratinjau" in status.value
    assert not (folder / REFLECTION_FILE).exists()


def test_autograde_prints_the_saved_text_plain(tmp_path, monkeypatch, capsys):
    ReflectionStore(tmp_path).set("p1", "Baris satu\n\x1b[31mmerah\x1b[0m <b>tebal</b>")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    reflect("p1", "Renungkan:")
    reflect("p2", "Belum ditulis:")
    out = capsys.readouterr().out
    assert "Refleksi (tidak dinilai) — Renungkan:\nBaris satu\n[31mmerah[0m <b>tebal</b>" in out
    assert "\x1b" not in out
    assert "Belum ditulis:\n(belum diisi)" in out


def reflection_cells(nb):
    return [c for c in nb.cells if "reflection" in c.metadata.get("latsar", {})]


def test_every_reflection_cell_is_a_locked_ungraded_course_cell():
    found = 0
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        for cell in reflection_cells(nbformat.read(path, as_version=4)):
            found += 1
            mark = cell.metadata["latsar"]
            assert cell.cell_type == "code" and "nbgrader" not in cell.metadata
            assert cell.metadata["tags"] == ["reflection"]  # not "activity": autograde must run it
            assert cell.metadata["editable"] is False and cell.metadata["jupyter"]["source_hidden"] is True
            assert cell.source == reflection.__name__.join(["from ", " import reflect\n"]) + \
                f"reflect({json.dumps(mark['reflection'])}, {json.dumps(mark['prompt'], ensure_ascii=False)})"
    assert found >= 4


@pytest.mark.parametrize("shown", ["Tuan saya: para pasien <lansia>."])
def test_the_instructor_sees_the_reflection_after_autograde_and_in_feedback(released_copy, tmp_path, shown):
    course = released_copy
    grade(course, {"peserta": {"MP1-01": "a"}}, tmp_path)
    ReflectionStore(course.submission_dir("peserta", BAB2)).set("bab2-renungkan-tuan", shown)
    check(api(course).autograde(BAB2, "peserta", force=True, create=False), "autograde")
    nb = nbformat.read(course.autograded_dir("peserta", BAB2) / f"{BAB2}.ipynb", as_version=4)
    (cell,) = reflection_cells(nb)
    assert shown in "".join(o.get("text", "") for o in cell.outputs)
    check(api(course).generate_feedback(BAB2, "peserta"), "generate_feedback")
    page = (course.feedback / "peserta" / BAB2 / f"{BAB2}.html").read_text(encoding="utf-8")
    assert "Tuan saya: para pasien &lt;lansia&gt;." in page
    assert "reflect(" not in page
    from latsar.results.reflections import reflections  # and in the instructor's table (latsar export)

    rows = reflections(course).to_dict("records")
    assert rows == [{"peserta_id": "peserta", "assignment": BAB2, "prompt_id": "bab2-renungkan-tuan",
                     "prompt": rows[0]["prompt"], "text": shown}] and rows[0]["prompt"]
