"""``latsar autograde``: every submission through nbgrader's own autograde, in parallel.

The parent plans the batch and reports; workers (:mod:`latsar.grader`) grade.

- **Plan.** Each folder ``submitted/<peserta>/<assignment>/`` is one task.
  A fingerprint of the submission and of what it is graded against
  (source notebook, item bank, nbgrader config) is kept beside the autograded
  copy; an unchanged, already graded submission is skipped unless ``force``.
  A folder for an unknown assignment fails at once with a reason.
- **Run.** N worker processes share the gradebook (SQLite waits for its lock
  instead of failing).  One broken submission never stops the batch.
- **Crash safety.** The fingerprint is written last, atomically, after
  nbgrader has stored the grades; a run killed part-way leaves those
  submissions without one, so the rerun grades them again — nbgrader updates
  grades in place, so nothing is doubled.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from .course import Course
from .grader import Outcome

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
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):].split("?")[0]).exists():
        return set()
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT DISTINCT sa.student_id, a.name FROM submitted_assignment sa "
                "JOIN assignment a ON sa.assignment_id = a.id "
                "JOIN submitted_notebook sn ON sn.assignment_id = sa.id "
                "JOIN grade g ON g.notebook_id = sn.id"))
            return {(s, a) for s, a in rows}
    except sa.exc.SQLAlchemyError:
        return set()
    finally:
        engine.dispose()


def plan(course: Course, assignments: list[str] | None, force: bool, db_url: str):
    """Split the submissions into tasks to grade, skipped ones and unknown assignments."""
    known = set(course.assignments)
    wanted = set(assignments) if assignments else known
    in_gradebook = set() if force else graded_in_gradebook(course, db_url)
    tasks, skipped, unknown = [], [], []
    for student, assignment in submissions(course):
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
    tmp = folder / (FINGERPRINT + ".tmp")
    tmp.write_text(json.dumps({"fingerprint": task.fingerprint, "status": outcome.status,
                               "reason": outcome.reason, "graded_at": time.time()}))
    os.replace(tmp, folder / FINGERPRINT)


def sqlite_waits(db_url: str, seconds: int = 120) -> str:
    """Let parallel writers wait for SQLite's lock instead of failing at once."""
    if db_url.startswith("sqlite:") and "timeout=" not in db_url:
        return db_url + ("&" if "?" in db_url else "?") + f"timeout={seconds}"
    return db_url


def run(
    course: Course,
    assignments: list[str] | None = None,
    *,
    workers: int | None = None,
    force: bool = False,
    cell_timeout: int = 30,
    notebook_timeout: int = 600,
    db_url: str | None = None,
    sandbox: dict | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    from .grader import grade, init_worker

    db_url = db_url or _course_db_url(course)
    start = time.perf_counter()
    tasks, skipped, unknown = plan(course, assignments, force, db_url)
    batch = BatchResult(skipped=skipped, outcomes=list(unknown))
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks) or 1))
    batch.workers = workers
    if on_plan:
        on_plan(len(tasks), len(skipped))
    for outcome in unknown:
        if on_done:
            on_done(outcome)
    if tasks:
        # Stock nbgrader creates the gradebook schema on first use; do it once here,
        # not in N workers at the same time.
        _ensure_gradebook(course, db_url)
        init = (str(course.root), sqlite_waits(db_url), cell_timeout, notebook_timeout, sandbox)
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=init_worker,
                                 initargs=init) as pool:
            futures = {pool.submit(grade, t.student, t.assignment): t for t in tasks}
            try:
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # noqa: BLE001 — a worker crash is reported, not fatal
                        outcome = Outcome(task.student, task.assignment, "failed", 0.0,
                                          f"proses penilai berhenti: {type(exc).__name__}")
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


def _coursedir(course: Course):
    from nbgrader.coursedir import CourseDirectory

    from .nbgrader_app import load_config

    return CourseDirectory(config=load_config(course))


def _course_db_url(course: Course) -> str:
    return _coursedir(course).db_url


def _ensure_gradebook(course: Course, db_url: str) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id=_coursedir(course).course_id):
        pass
