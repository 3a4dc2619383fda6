"""``latsar autograde``: stock nbgrader autograde, one submission at a time.

Each submission is graded by nbgrader's own ``Autograde`` converter (through
``NbGraderAPI.autograde``) against the course gradebook.  A submission that
fails is reported with its reason and the batch goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .course import Course
from .nbgrader_app import api


@dataclass
class Outcome:
    student: str
    assignment: str
    ok: bool
    seconds: float
    reason: str = ""


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def graded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def submissions(course: Course, assignments: list[str] | None = None) -> list[tuple[str, str]]:
    """(student, assignment) pairs found under ``submitted/``, sorted."""
    wanted = set(assignments or course.assignments)
    found = []
    if course.submitted.exists():
        for student_dir in sorted(p for p in course.submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
                if assignment_dir.name in wanted:
                    found.append((student_dir.name, assignment_dir.name))
    return found


def autograde(
    course: Course,
    assignments: list[str] | None = None,
    *,
    on_done: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    nbapi = api(course)
    batch = BatchResult()
    start = time.perf_counter()
    for student, assignment in submissions(course, assignments):
        t0 = time.perf_counter()
        result = nbapi.autograde(assignment, student, force=True, create=True)
        reason = "" if result.get("success") else _reason(result)
        outcome = Outcome(student, assignment, bool(result.get("success")), time.perf_counter() - t0, reason)
        batch.outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    batch.seconds = time.perf_counter() - start
    return batch


def _reason(result: dict) -> str:
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    errors = [line for line in text if "Error" in line or "error" in line]
    return (errors[-1] if errors else (text[-1] if text else "gagal tanpa pesan")).strip()[:300]
