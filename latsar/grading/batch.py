"""``latsar autograde``: every submission through nbgrader's own autograde, in parallel.

The parent plans the batch and reports; workers (:mod:`latsar.grading.worker`) grade.

- **Plan.** Each folder ``submitted/<peserta>/<assignment>/`` is one task.
  A fingerprint of the submission and of what it is graded against
  (source notebook, item bank, nbgrader config) is kept beside the autograded
  copy; an unchanged, already graded submission is skipped unless ``force``.
  A folder for an unknown assignment fails at once with a reason.
- **Run.** N worker processes share the gradebook (SQLite waits for its lock
  instead of failing; on PostgreSQL the batch's participants are created first,
  so workers never race to insert one).  One broken submission never stops the batch.
- **Crash safety.** The fingerprint is written last, atomically, after
  nbgrader has stored the grades; a run killed part-way leaves those
  submissions without one, so the rerun grades them again — nbgrader updates
  grades in place, so nothing is doubled.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Callable

from traitlets.config import Config

from latsar.course import failpoints
from latsar.course import gradebook
from latsar.course import Course, LatsarError
from latsar.course.files import atomic_write
from latsar.grading.worker import Outcome

FINGERPRINT = ".latsar-dinilai.json"
IGNORED = {".ipynb_checkpoints", "__pycache__", "feedback"}


@dataclass
class Task:
    student: str
    assignment: str
    fingerprint: str


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    sandbox: str = ""  # the sandbox mode the kernels ran in (latsar.grading.sandbox.MODE_LABELS)

    @property
    def graded(self) -> list[Outcome]:
        """Graded, including those flagged for a look."""
        return [o for o in self.outcomes if o.status in ("graded", "flagged")]

    @property
    def flagged(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "flagged"]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def submissions(course: Course) -> list[tuple[str, str]]:
    """(student, assignment) for every submission folder, sorted."""
    found = []
    if course.submitted.is_dir():
        for student in sorted(p for p in course.submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for folder in sorted(p for p in student.iterdir() if p.is_dir() and not p.name.startswith(".")):
                found.append((student.name, folder.name))
    return found


def fingerprint(course: Course, student: str, assignment: str) -> str:
    """What the grade depends on: the submission's files and what it is graded against."""
    digest = hashlib.sha256()
    folder = course.submission_dir(student, assignment)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not IGNORED.intersection(path.relative_to(folder).parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes())
    for path in (course.source_notebook(assignment), course.item_bank_path, course.root / "nbgrader_config.py"):
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def graded_in_gradebook(course: Course, db_url: str) -> set[tuple[str, str]]:
    """Submissions the gradebook holds grades for."""
    if not gradebook.has_tables(db_url):
        return set()
    rows = gradebook.fetch_rows(db_url, (
        "SELECT DISTINCT sa.student_id, a.name FROM submitted_assignment sa "
        "JOIN assignment a ON sa.assignment_id = a.id "
        "JOIN submitted_notebook sn ON sn.assignment_id = sa.id "
        "JOIN grade g ON g.notebook_id = sn.id"))
    return set(rows)


def plan(course: Course, assignments: list[str] | None, force: bool, db_url: str,
         students: list[str] | None = None):
    """Split the submissions into tasks to grade, skipped ones and unknown assignments."""
    known = set(course.assignments)
    wanted = set(assignments) if assignments else known
    in_gradebook = set() if force else graded_in_gradebook(course, db_url)
    tasks, skipped, unknown = [], [], []
    for student, assignment in submissions(course):
        if students and student not in students:
            continue
        if assignment not in known:
            if not assignments:
                unknown.append(Outcome(student, assignment, "failed", 0.0,
                                       f"tugas '{assignment}' tidak dikenal di kursus ini"))
            continue
        if assignment not in wanted:
            continue
        digest = fingerprint(course, student, assignment)
        if not force and (student, assignment) in in_gradebook and _stored(course, student, assignment) == digest:
            skipped.append((student, assignment))
            continue
        tasks.append(Task(student, assignment, digest))
    return tasks, skipped, unknown


def _stored(course: Course, student: str, assignment: str) -> str | None:
    try:
        return json.loads((course.autograded_dir(student, assignment) / FINGERPRINT).read_text())["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


def _record(course: Course, task: Task, outcome: Outcome) -> None:
    """Written last: its presence means nbgrader finished storing this submission's grades."""
    folder = course.autograded_dir(task.student, task.assignment)
    failpoints.hit("before-fingerprint")  # grades stored, fingerprint not yet written
    atomic_write(folder / FINGERPRINT, json.dumps({"fingerprint": task.fingerprint, "status": outcome.status,
                                                   "reason": outcome.reason, "graded_at": time.time()}),
                 failpoint="fingerprint-tmp-written")


def sqlite_waits(db_url: str, seconds: int = 120) -> str:
    """Let parallel writers wait for SQLite's lock instead of failing at once."""
    if db_url.startswith("sqlite:") and "timeout=" not in db_url:
        return db_url + ("&" if "?" in db_url else "?") + f"timeout={seconds}"
    return db_url


def run(
    course: Course,
    config: Config | None = None,
    *,
    assignments: list[str] | None = None,
    force: bool = False,
    students: list[str] | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    """Grade the planned submissions.

    ``config`` is ``latsar autograde``'s (:func:`latsar.grading.options.grading_config`), put on
    top of the course's nbgrader_config.py.  Refuses (:class:`GradingRefused`) before grading
    anything when the course config lacks the safe steps or the sandbox asked for cannot be built."""
    from latsar.course.nbgrader_api import load_config
    from latsar.grading.options import BatchAutograde
    from latsar.grading.worker import grade, init_worker

    merged = load_config(course, config)  # the course's nbgrader_config.py, then the command's values
    db_url = merged.CourseDirectory.db_url
    start = time.perf_counter()
    tasks, skipped, unknown = plan(course, assignments, force, db_url, students)
    batch = BatchResult(skipped=skipped, outcomes=list(unknown))
    workers = max(1, min(BatchAutograde(config=merged).workers or os.cpu_count() or 1, len(tasks) or 1))
    batch.workers = workers
    if on_plan:
        on_plan(len(tasks), len(skipped))
    for outcome in unknown:
        if on_done:
            on_done(outcome)
    if tasks:
        batch.sandbox = preflight(course, merged)
        # Stock nbgrader creates the gradebook schema on first use; do it once here,
        # not in N workers at the same time.
        _ensure_gradebook(merged, db_url, [t.student for t in tasks])
        ours = copy.deepcopy(config) if config else Config()  # each worker reads nbgrader_config.py itself
        ours.CourseDirectory.db_url = sqlite_waits(db_url)
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=init_worker,
                                 initargs=(str(course.root), ours)) as pool:
            futures = {pool.submit(grade, t.student, t.assignment): t for t in tasks}
            try:
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # noqa: BLE001 — a worker crash is reported, not fatal
                        outcome = Outcome(task.student, task.assignment, "failed", 0.0,
                                          f"proses penilai berhenti: {type(exc).__name__}")
                    outcome.reason = gradebook.scrub(outcome.reason, db_url)  # never print a password
                    if outcome.status in ("graded", "flagged"):
                        _record(course, task, outcome)
                    batch.outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
            except KeyboardInterrupt:
                for future in futures:
                    future.cancel()
                raise
    batch.seconds = time.perf_counter() - start
    return batch


class GradingRefused(LatsarError):
    """Nothing was graded: the course config or the sandbox would make grading unsafe."""


def preflight(course: Course, config: Config) -> str:
    """The sandbox mode the batch will use, after checking the config and building one real sandbox.

    ``config`` is the course's nbgrader_config.py with the command's values on top."""
    from latsar.course.nbgrader_api import load_config
    from latsar.grading.kernels import ForkingExecute
    from latsar.grading.sandbox import Sandbox, SandboxError
    from latsar.grading.worker import check_config

    check_config(load_config(course))  # the course's own nbgrader_config.py, as stock nbgrader reads it
    try:
        return Sandbox(config=config).require(ForkingExecute(config=config).notebook_timeout)
    except SandboxError as exc:
        raise GradingRefused(str(exc)) from None


def _ensure_gradebook(config: Config, db_url: str, students: list[str] = ()) -> None:
    """Create what stock nbgrader would create on first use, once, before the workers start.

    - the schema and the course rows (one run at a time: :func:`gradebook.schema_lock`);
    - a row for every participant of the batch.  nbgrader's autograde does
      find-or-insert on the student; two workers grading two assignments of one
      participant at once would both insert, and on PostgreSQL one fails on the
      primary key.  Another run inserting the same participant meanwhile is harmless.
    """
    from nbgrader.api import Gradebook, InvalidEntry
    from nbgrader.coursedir import CourseDirectory

    course_id = CourseDirectory(config=config).course_id  # the config the batch already loaded
    with gradebook.schema_lock(db_url):
        for name in dict.fromkeys((course_id, "default_course")):  # nbgrader's preprocessors use the latter
            with Gradebook(db_url, course_id=name):
                pass
    with Gradebook(db_url, course_id=course_id) as gb:
        for student in sorted(set(students)):
            for attempt in range(3):
                try:
                    gb.update_or_create_student(student)
                    break
                except InvalidEntry:  # inserted by a concurrent run just now: find it next time
                    time.sleep(0.1 * (attempt + 1))
