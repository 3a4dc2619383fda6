"""`latsar autograde`: the same grades as stock nbgrader, in parallel, losing nothing."""

import json
import os
import signal
import subprocess
import time

import nbformat
import pytest
from click.testing import CliRunner

from latsar.kernel.answers import AnswerStore
from latsar.grading import batch as autograde
from latsar.grading.options import grading_config
from latsar.grading import worker
from latsar.results import scores
from latsar.cli import main
from latsar.grading.import_answers import import_answers
from latsar.simulate import simulate, write_sheet

from .conftest import BIN, clone, nbgrader, release_code, released_course

BAB2, BAB3 = "bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"


grades = scores.grade_cells  # {(student, assignment, cell): (auto, manual)}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Six simulated participants, both graded assignments, released and imported."""
    course = released_course(tmp_path_factory, "cohort")
    import_answers(write_sheet(simulate(course.item_bank, 6, seed=11), course.root.parent / "sheet.csv"), course)
    return course


@pytest.fixture(scope="module")
def graded_once(cohort, tmp_path_factory):
    """The cohort graded by one uninterrupted ``latsar autograde`` run; tests clone it (read-only)."""
    course = clone(cohort, tmp_path_factory.mktemp("graded-once") / "course")
    batch = autograde.run(course, grading_config(workers=2))
    assert len(batch.graded) == 12 and not batch.failed
    return course


def test_parallel_grades_equal_stock_sequential_nbgrader(cohort, graded_once, tmp_path):
    stock = clone(cohort, tmp_path / "stock")
    for assignment in (BAB2, BAB3):
        nbgrader(stock, "autograde", assignment)
    expected = grades(stock)
    assert len(expected) == 6 * (10 + 10 + 1)  # 20 items and the case analysis
    assert grades(graded_once) == expected


def test_rerun_skips_unchanged_and_regrades_what_changed(graded_once, tmp_path):
    course = clone(graded_once, tmp_path / "c")
    before = grades(course)
    again = autograde.run(course, grading_config(workers=2))
    assert (len(again.graded), len(again.skipped)) == (0, 12)
    assert grades(course) == before
    # one participant changes an answer and resubmits
    student = sorted(p.name for p in course.submitted.iterdir())[0]
    answers_file = course.submission_dir(student, BAB2) / ".jawaban.json"
    data = json.loads(answers_file.read_text())
    data["answers"]["MP1-01"] = "c" if data["answers"].get("MP1-01") != "c" else "a"
    answers_file.write_text(json.dumps(data))
    third = autograde.run(course, grading_config(workers=2))
    assert [(o.student, o.assignment) for o in third.graded] == [(student, BAB2)]
    forced = autograde.run(course, grading_config(workers=2), force=True)
    assert len(forced.graded) == 12
    changed = {k for k in before if grades(course)[k] != before[k]}
    assert changed <= {(student, BAB2, "MP1-01")}


def hostile(course, student, edit):
    """Give `student` a bab2 submission changed by `edit(nb)`."""
    path = course.submission_dir(student, BAB2) / f"{BAB2}.ipynb"
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


def code(source):
    return nbformat.v4.new_code_cell(source)


def test_faults_end_with_a_reason_and_nobody_else_changes(cohort, tmp_path):
    course = clone(cohort, tmp_path / "faults")
    students = sorted(p.name for p in course.submitted.iterdir())
    s_exc, s_loop, s_del, s_edit, s_missing, s_corrupt = students
    hostile(course, s_exc, lambda nb: nb.cells.insert(3, code("raise ValueError('peserta')")))
    hostile(course, s_loop, lambda nb: nb.cells.insert(3, code("while True:\n    pass")))
    def delete(nb):
        nb.cells[:] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "MP1-02"]
    hostile(course, s_del, delete)
    def edit(nb):
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "MP1-03")
        cell.source = "pass  # diubah"
    hostile(course, s_edit, edit)
    (course.submission_dir(s_missing, BAB2) / f"{BAB2}.ipynb").unlink()
    (course.submission_dir(s_corrupt, BAB2) / f"{BAB2}.ipynb").write_text("{ ini bukan json")
    (course.submitted / s_exc / "tugas_lain").mkdir()
    batch = autograde.run(course, grading_config(workers=2, cell_timeout=3))
    by = {(o.student, o.assignment): o for o in batch.outcomes}
    assert by[(s_corrupt, BAB2)].status == "failed" and "rusak" in by[(s_corrupt, BAB2)].reason
    assert by[(s_exc, "tugas_lain")].status == "failed" and "tidak dikenal" in by[(s_exc, "tugas_lain")].reason
    assert by[(s_missing, BAB2)].status == "failed" and "tidak ada di kiriman" in by[(s_missing, BAB2)].reason
    assert by[(s_del, BAB2)].status == "flagged" and "MP1-02" in by[(s_del, BAB2)].reason
    assert by[(s_edit, BAB2)].status == "flagged" and "MP1-03" in by[(s_edit, BAB2)].reason
    for student in (s_exc, s_loop):  # graded on the clicks; the added code is worth a look
        assert by[(student, BAB2)].status == "flagged" and "sel kode tambahan" in by[(student, BAB2)].reason
    # everyone's score is what their clicks earn — also the tampering ones
    ours = grades(course)
    bank = course.item_bank
    for student in students:
        if student in (s_missing, s_corrupt):
            continue
        answers = AnswerStore(course.submission_dir(student, BAB2)).load()
        for item in bank.for_assignment(BAB2):
            assert ours[(student, BAB2, item.id)][0] == (1.0 if answers.get(item.id) == item.key else 0.0), (student, item.id)
    assert not any(k[:2] == (s_missing, BAB2) for k in ours)  # nothing graded, nothing invented
    for student in students:  # bab3 untouched for everyone
        assert by[(student, BAB3)].status == "graded"


def test_notebook_wall_time_cap(cohort, tmp_path):
    course = clone(cohort, tmp_path / "slow")
    student = sorted(p.name for p in course.submitted.iterdir())[0]
    for _ in range(4):  # release code (test only): graded kernels run nothing else
        release_code(course, BAB2, "import time; time.sleep(2)", students=[student])
    batch = autograde.run(course, grading_config(workers=1, cell_timeout=10, notebook_timeout=4), assignments=[BAB2])
    outcome = next(o for o in batch.outcomes if o.student == student)
    assert outcome.status == "failed" and "batas waktu" in outcome.reason
    assert len(batch.graded) == 5


def test_infrastructure_faults_are_retried(monkeypatch, tmp_path, cohort):
    from latsar.grading.sanitize import write_record

    calls = []
    course = clone(cohort, tmp_path / "flaky")

    class FlakyApi:
        def autograde(self, assignment, student, force, create):
            calls.append(student)
            if len(calls) == 1:
                return {"success": False, "error": "zmq.error.ZMQError: Address already in use", "log": ""}
            folder = course.autograded_dir(student, assignment)  # what ReconcileClicks leaves on success
            folder.mkdir(parents=True, exist_ok=True)
            write_record(folder, {"status": "graded", "reason": "", "notes": [], "sandbox": "root"})
            return {"success": True}

    one = worker.Worker(course, grading_config())
    one.api = FlakyApi()
    student = sorted(p.name for p in course.submitted.iterdir())[0]
    outcome = one.grade(student, BAB2)
    assert outcome.status == "graded" and outcome.attempts == 2

    class BrokenNotebook:
        def autograde(self, assignment, student, force, create):
            calls.append(student)
            return {"success": False, "error": "NameError: name 'x' is not defined", "log": ""}

    calls.clear()
    one.api = BrokenNotebook()
    outcome = one.grade(student, BAB2)
    assert outcome.status == "failed" and len(calls) == 1  # the participant's own error: not retried


def test_a_killed_run_completes_on_rerun_with_nothing_lost_or_doubled(cohort, graded_once, tmp_path):
    reference = graded_once
    course = clone(cohort, tmp_path / "killed")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    proc = subprocess.Popen([str(BIN / "latsar"), "autograde", "--course", str(course.root), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600  # generous: a loaded machine only delays the first grade
    while time.monotonic() < deadline and not list(course.autograded.glob(f"*/*/{autograde.FINGERPRINT}")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-batch: some graded, some half-way, some not started
    proc.wait()
    done_before = len(list(course.autograded.glob(f"*/*/{autograde.FINGERPRINT}")))
    assert 0 < done_before < 12
    rerun = autograde.run(course, grading_config(workers=2))
    assert len(rerun.skipped) == done_before and len(rerun.graded) == 12 - done_before
    assert grades(course) == grades(reference)


def test_cli_summary_and_unknown_assignment(cohort, tmp_path):
    course = clone(cohort, tmp_path / "cli")
    result = CliRunner().invoke(main, ["autograde", "tidak_ada", "--course", str(course.root)])
    assert result.exit_code == 1 and "tugas tidak dikenal: tidak_ada" in result.output
    result = CliRunner().invoke(main, ["autograde", BAB3, "--course", str(course.root), "--workers", "2"],
                                terminal_width=160)
    assert result.exit_code == 0, result.output
    assert "Ringkasan penilaian (2 proses" in result.output and "│ dinilai" in result.output
