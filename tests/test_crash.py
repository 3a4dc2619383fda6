"""SIGKILL `latsar autograde` (and `latsar export`) at several points; the rerun ends as an uninterrupted run.

Points hit from outside, on an event we observe (the whole process group is killed,
or with ``/cli-only`` the command's own process alone):
- ``mid-kernel``: a participant's (honest, slow) cell is executing in a sandboxed kernel.
  The sandbox hides the course folder, throws away the kernel's writes and cleans its
  environment, so the cell cannot leave a marker on disk; it names its thread instead,
  and the test sees that name from outside, on a process in a PID namespace of its own;
- ``mid-gradebook-write``: SQLite's rollback journal exists, i.e. nbgrader is inside a
  write transaction;
- ``mid-autograded-write``: nbgrader has begun writing a submission's autograded copy
  and our fingerprint is not there yet.
Points hit by a failpoint (``LATSAR_FAILPOINT``, see latsar/course/failpoints.py), too short
to catch from outside:
- ``before-fingerprint``: the gradebook holds the grades, the fingerprint is not written;
- ``fingerprint-tmp-written``: the fingerprint's temporary file is written, not renamed;
- ``export-tmp-written``: `latsar export` has written a table's temporary file.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
import sqlalchemy as sa

from latsar.grading import batch as autograde
from latsar.grading.options import grading_config
from latsar.authoring import release
from latsar.results import scores
from latsar.course import Course
from latsar.results.export import export
from latsar.grading.import_answers import import_answers
from latsar.simulate import simulate, write_sheet

from .conftest import BIN, clone, release_code, released_course

BAB2 = "bab2_konsep_pelayanan_publik"
SLOW_NAME = "latsar-slow"
SLOW_CELL = (  # an honest participant whose cell takes a while; names its thread so the test sees it run
    "import ctypes, time\n"
    f"ctypes.CDLL(None).prctl(15, b'{SLOW_NAME}', 0, 0, 0)  # PR_SET_NAME\n"
    "time.sleep(2)"
)
TABLES = ("student", "submitted_assignment", "submitted_notebook", "grade", "comment")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Three simulated participants, both graded assignments; the first one's bab2 is slow."""
    course = released_course(tmp_path_factory, "crash")
    import_answers(write_sheet(simulate(course.item_bank, 3, seed=31), course.root.parent / "sheet.csv"), course)
    slow = sorted(p.name for p in course.submitted.iterdir())[0]
    release_code(course, BAB2, SLOW_CELL, students=[slow])  # release code: graded kernels run nothing else
    return course


@pytest.fixture(scope="module")
def reference(cohort, tmp_path_factory):
    """The uninterrupted run: its gradebook and its export."""
    course = clone(cohort, tmp_path_factory.mktemp("reference") / "course")
    batch = autograde.run(course, grading_config(workers=2))
    assert len(batch.graded) == 6 and not batch.failed
    export(course, course.root / "ekspor")
    return course


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    finally:
        engine.dispose()


def our_processes(course: Course) -> list[psutil.Process]:
    """Processes of the killed run still alive: anything started in or for this course folder.

    A sandboxed kernel shows its working folder (under the course) as its cwd."""
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "environ"]):
        try:
            text = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["cwd"] or "")
            marker = (proc.info["environ"] or {}).get("LATSAR_TEST_MARKER", "")
        except (psutil.Error, TypeError):
            continue
        if proc.pid != os.getpid() and (str(course.root) in text or str(course.root) in marker):
            found.append(proc)
    return found


def wait_until(condition, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never observed: {what}")
        time.sleep(0.002)


def slow_cell_running(course: Course) -> bool:
    """A sandboxed kernel (in a PID namespace of its own, its folder under this course) runs the slow cell."""
    ours = os.readlink("/proc/self/ns/pid")
    for proc in psutil.process_iter(["cwd"]):
        try:
            if not (proc.info["cwd"] or "").startswith(f"{course.root}/") \
                    or os.readlink(f"/proc/{proc.pid}/ns/pid") == ours:
                continue
            names = [(task / "comm").read_text().strip() for task in Path(f"/proc/{proc.pid}/task").iterdir()]
        except (psutil.Error, OSError, TypeError):
            continue
        if SLOW_NAME in names:
            return True
    return False


def env_for(course: Course, **extra) -> dict:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",  # the marker tells our_processes the run's workers
           "LATSAR_TEST_MARKER": str(course.root / "kernel-runs"), **extra}
    env.pop("LATSAR_DB_URL", None)
    if course.gradebook_url:
        env["LATSAR_DB_URL"] = course.gradebook_url
    return env


def start(course: Course, *args: str, **extra) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "latsar"), *args, "--course", str(course.root)],
                            env=env_for(course, **extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # its own process group: the CLI and its workers


def fingerprints(course: Course) -> list:
    return list(course.autograded.glob(f"*/*/{autograde.FINGERPRINT}"))


def observed(point: str, course: Course):
    """A condition that becomes true at the crash point."""
    journal = course.root / "gradebook.db-journal"
    if point == "mid-kernel":
        return lambda: slow_cell_running(course)
    if point == "mid-gradebook-write":
        # a write transaction of autograde proper (the submissions' own rows), not the set-up
        return lambda: journal.exists() and any(course.autograded.glob("*/*/*.ipynb"))
    if point == "mid-autograded-write":
        return lambda: any(not (nb.parent / autograde.FINGERPRINT).exists()
                           for nb in course.autograded.glob("*/*/*.ipynb"))
    raise ValueError(point)


def kill_run(course: Course, point: str) -> None:
    """Run `latsar autograde` and SIGKILL its whole process group at ``point``."""
    if point in ("before-fingerprint@2", "fingerprint-tmp-written@2"):
        proc = start(course, "autograde", "--workers", "2", LATSAR_FAILPOINT=point)
        assert proc.wait(timeout=600) == -signal.SIGKILL
    else:
        event, _, whom = point.partition("/")
        proc = start(course, "autograde", "--workers", "2")
        wait_until(lambda: observed(event, course)() or proc.poll() is not None, event)
        assert proc.poll() is None, "the run ended before the crash point"
        if whom == "cli-only":  # `kill -9 PID` of the command alone, as an instructor (or the OOM killer) would
            os.kill(proc.pid, signal.SIGKILL)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def assert_same_as_reference(course: Course, reference: Course, tmp_path) -> None:
    rerun = autograde.run(course, grading_config(workers=2))
    assert not rerun.failed and len(rerun.graded) + len(rerun.skipped) == 6
    assert len(fingerprints(course)) == 6
    assert scores.grade_cells(course) == scores.grade_cells(reference)
    assert row_counts(course.db_url) == row_counts(reference.db_url)  # nothing doubled
    assert not list(course.autograded.rglob("*.tmp"))
    assert not (course.root / "gradebook.db-journal").exists()
    out = course.root / "ekspor"
    kill = start(course, "export", "--out", str(out), LATSAR_FAILPOINT="export-tmp-written@3")
    assert kill.wait(timeout=300) == -signal.SIGKILL
    assert list(out.glob(".*.tmp")), "the killed export left its temporary file"
    done = subprocess.run([str(BIN / "latsar"), "export", "--course", str(course.root), "--out", str(out)],
                          env=env_for(course), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (reference.root / "ekspor").iterdir())
    for name in ("responses.csv", "mastery.csv"):
        assert (out / name).read_bytes() == (reference.root / "ekspor" / name).read_bytes()
    for name in ("responses.parquet", "mastery.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(reference.root / "ekspor" / name))


@pytest.mark.parametrize("point", ["mid-kernel", "mid-kernel/cli-only", "mid-gradebook-write", "mid-autograded-write",
                                   "before-fingerprint@2", "fingerprint-tmp-written@2"])
def test_sigkill_then_rerun_equals_an_uninterrupted_run(point, cohort, reference, tmp_path):
    course = clone(cohort, tmp_path / "course")
    kill_run(course, point)
    before = len(fingerprints(course))
    assert before < 6, "the kill came after the whole batch"
    # nothing of the killed run keeps running: workers, fork servers, kernels
    wait_until(lambda: not our_processes(course), "all processes of the killed run gone", timeout=30)
    assert_same_as_reference(course, reference, tmp_path)


def test_sigkill_mid_kernel_on_postgres(cohort, reference, tmp_path, pg_url):
    course = clone(cohort, tmp_path / "course")
    (course.root / "gradebook.db").unlink()
    course = Course.at(course.root, pg_url)
    with_slow_cell = course.release_notebook(BAB2).read_bytes()
    release.generate(course)  # the assignments into the PostgreSQL gradebook
    course.release_notebook(BAB2).write_bytes(with_slow_cell)  # the cohort's release (release_code) again
    kill_run(course, "mid-kernel")
    wait_until(lambda: not our_processes(course), "all processes of the killed run gone", timeout=30)
    assert_same_as_reference(course, reference, tmp_path)
