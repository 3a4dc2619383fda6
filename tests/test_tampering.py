"""Tampered submissions are graded on the clicks, never more, and listed as *perlu diperiksa*.

Stock nbgrader (#1386 aside) turns a deleted test cell into "needs manual
grade" (exported as 0), fails the whole notebook on an unknown or duplicated
grade id, and believes a test that the participant's own code patched.
"""

import copy

import nbformat
import pandas as pd

from latsar.grading import batch as autograde
from latsar.grading.options import grading_config
from latsar.results import scores
from latsar.grading.import_answers import import_answers
from latsar.report.write import write_report
from latsar.simulate import write_sheet

from .conftest import add_code, click_scores, edit_submission

BAB2 = "bab2_konsep_pelayanan_publik"


def cells_with(nb, grade_id):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]


def delete(grade_id):
    return lambda nb: nb.cells.remove(cells_with(nb, grade_id)[0])


def strip_marks(grade_id):
    return lambda nb: cells_with(nb, grade_id)[0].metadata.pop("nbgrader")


def set_meta(cell_id, **fields):
    return lambda nb: cells_with(nb, cell_id)[0].metadata.nbgrader.update(fields)


def edit_source(grade_id, source):
    def edit(nb):
        cells_with(nb, grade_id)[0].source = source
    return edit


def duplicate(grade_id):
    def edit(nb):
        cell = cells_with(nb, grade_id)[0]
        twin = copy.deepcopy(cell)
        twin.id = f"kembar-{grade_id.lower()}"
        nb.cells.insert(nb.cells.index(cell) + 1, twin)
    return edit


def retag(*grade_ids):
    def edit(nb):
        for grade_id in grade_ids:
            cells_with(nb, grade_id)[0].metadata["tags"] = ["activity", "skip-execution"]
    return edit


def delete_all_items(nb):
    nb.cells[:] = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("MP1")]


# participant -> (edit of the notebook, or code they add; words the reason must contain)
TAMPERED = {
    "t-hapus-tes": (delete("MP1-02"), "dihapus peserta (dipulihkan): MP1-02"),
    "t-hapus-metadata": (strip_marks("MP1-03"), "metadata nbgrader sel MP1-03 dihapus"),
    "t-ubah-sel": (edit_source("MP1-04", "print('lulus')"), "sel terkunci diubah peserta (dipulihkan): MP1-04"),
    "t-poin": (set_meta("MP1-05", points=50), "metadata 'points' sel MP1-05 diubah (1 → 50)"),
    "t-grade-id-asing": (set_meta("MP1-06", grade_id="bonus"), "MP1-06 → 'bonus'"),
    "t-grade-id-kembar": (set_meta("MP1-07", grade_id="MP1-08"), "MP1-07 → 'MP1-08'"),
    "t-gandakan": (duplicate("MP1-09"), "sel MP1-09 digandakan (2 kali)"),
    "t-tak-terkunci": (set_meta("MP1-10", locked=False), "metadata 'locked' sel MP1-10 diubah"),
    "t-hapus-semua": (delete_all_items, "MP1-01, MP1-02"),
    # a test cell tagged like a practice activity would not run, and pass (c.Execute.skip_cells_with_tag)
    "t-tag-lewati": (retag("MP1-01", "MP1-02"), "tag sel diubah peserta (dikembalikan ke versi rilis): MP1-01, MP1-02"),
    # added code never runs (latsar.grading.sanitize.ReleaseCellsOnly): nothing to correct, set aside and listed
    "t-variabel": ("import latsar.answers\nlatsar.answers.check = lambda *a, **k: None",
                   "1 sel kode tambahan dihapus sebelum dijalankan"),
    "t-berkas": ("from latsar.answers import write_answers\n"
                 "write_answers('.', {f'MP1-{n:02d}': 'b' for n in range(1, 11)})", "sel kode tambahan"),
}


def test_tampering_is_graded_on_the_clicks_and_listed(released_copy, tmp_path):
    course = released_copy
    items = course.item_bank.for_assignment(BAB2)
    wrong = {i.id: next(letter for letter in "abcd" if letter != i.key) for i in items}
    half = {i.id: (i.key if n % 2 else wrong[i.id]) for n, i in enumerate(items)}
    choices = {"jujur": half, **{s: (half if n % 2 else wrong) for n, s in enumerate(TAMPERED)}}
    rows = [(s, item, letter) for s, answers in choices.items() for item, letter in answers.items()]
    import_answers(write_sheet(rows, tmp_path / "sheet.csv"), course)
    for student, (change, _) in TAMPERED.items():
        if isinstance(change, str):
            add_code(course, student, BAB2, change)
        else:
            edit_submission(course, student, BAB2, change)

    batch = autograde.run(course, grading_config(workers=2, cell_timeout=10, notebook_timeout=120), assignments=[BAB2])

    by = {o.student: o for o in batch.outcomes}
    grades = scores.grade_cells(course)
    for student in choices:
        outcome = by[student]
        earned = {i.id: grades[(student, BAB2, i.id)][0] for i in items}
        assert earned == click_scores(course, student, BAB2), (student, outcome)  # never more, never less
        assert all(grades[(student, BAB2, i.id)][1] is None for i in items)  # nothing left to grade by hand
        if student == "jujur":
            assert outcome.status == "graded"
        else:
            assert outcome.status == "flagged", outcome
            assert TAMPERED[student][1] in outcome.reason, (student, outcome.reason)
    # the report lists every one of them, with the reason
    review = scores.review(course)
    assert set(review["peserta_id"]) == set(TAMPERED)
    files = write_report(scores.responses(course), course.item_bank, tmp_path / "laporan", review=review)
    listed = pd.read_csv(files.csv["perlu_diperiksa"])
    assert set(listed["peserta_id"]) == set(TAMPERED)
    assert "Perlu diperiksa" in files.html.read_text(encoding="utf-8")
    from openpyxl import load_workbook

    assert "Perlu diperiksa" in load_workbook(files.excel).sheetnames


def test_option_texts_of_an_earlier_release_are_no_tampering(released_copy, tmp_path):
    """A submission fetched before an option was reworded (or before the texts travelled in the
    call) differs from the new release only in those texts: not flagged. Other edits still are."""
    from latsar.grading.inspect import inspect_submission

    course = released_copy
    import_answers(write_sheet([(s, "MP1-01", "a") for s in ("lama", "diubah", "kode")], tmp_path / "s.csv"), course)

    def replace(old, new):
        def edit(nb):
            cell = cells_with(nb, "MP1-01")[0]
            assert old in cell.source
            cell.source = cell.source.replace(old, new)
        return edit

    item = course.item_bank["MP1-01"]
    first = f'"{item.options["a"]}"'
    call = next(c.source for c in cells_with(nbformat.read(course.release_notebook(BAB2), as_version=4), "MP1-01"))
    bare = 'choose("MP1-01")'
    edit_submission(course, "lama", BAB2, replace(call.split("\n", 1)[1], bare))
    edit_submission(course, "diubah", BAB2, replace(first, '"Undang-Undang (kata lama)"'))
    edit_submission(course, "kode", BAB2, replace(first, '__import__("os").getcwd()'))
    assert inspect_submission(course, "lama", BAB2) == []
    assert inspect_submission(course, "diubah", BAB2) == []
    assert inspect_submission(course, "kode", BAB2) == ["sel terkunci diubah peserta (dipulihkan): MP1-01"]


def test_a_practice_log_is_no_stray_file(released_copy, tmp_path):
    """Every participant who practised hands in .latihan.json (the progress view's record)."""
    from latsar.course import PRACTICE_FILE
    from latsar.grading.inspect import inspect_submission

    course = released_copy
    import_answers(write_sheet([("berlatih", "MP1-01", "a"), ("nyasar", "MP1-01", "a")], tmp_path / "s.csv"), course)
    folder = course.submission_dir("berlatih", BAB2)
    (folder / PRACTICE_FILE).write_text('{"format": "latsar-latihan/1", "tried": {}}\n')
    (course.submission_dir("nyasar", BAB2) / "catatan.txt").write_text("x")
    assert inspect_submission(course, "berlatih", BAB2) == []
    assert inspect_submission(course, "nyasar", BAB2) == ["berkas tambahan di kiriman: catatan.txt"]


def test_a_reflection_file_is_no_stray_file(released_copy, tmp_path):
    """Every participant who wrote a reflection hands in .refleksi.json; nothing grades it."""
    from latsar.course import REFLECTION_FILE
    from latsar.grading.inspect import inspect_submission

    course = released_copy
    import_answers(write_sheet([("merenung", "MP1-01", "a")], tmp_path / "s.csv"), course)
    folder = course.submission_dir("merenung", BAB2)
    (folder / REFLECTION_FILE).write_text('{"format": "latsar-refleksi/1", "texts": {"x": "y"}}\n')
    assert inspect_submission(course, "merenung", BAB2) == []
