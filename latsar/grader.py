"""One autograde worker process: nbgrader's own ``Autograde``, set up once, fed many submissions.

Each worker keeps one configured ``NbGraderAPI`` (imports and config are paid
once, not per submission), validates notebooks with fastjsonschema, and runs
them with :class:`latsar.kernels.ForkingExecute` (a fresh kernel per
submission, forked instead of started from scratch).  Infrastructure faults —
a kernel that dies or never answers, a port or socket clash, a locked
gradebook — are retried; only the participant's own notebook is ever blamed.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass

from traitlets.config import Config

from .course import Course

# Failures that are not the participant's fault: retried.
INFRA_PATTERNS = re.compile(
    r"ZMQError|Address already in use|Kernel died|DeadKernelError|Kernel didn't respond|"
    r"ForkServerError|fork server|database is locked|kernel hand-over failed|"
    # concurrent graders on one PostgreSQL gradebook (unique insert races, serialisation)
    r"UniqueViolation|SerializationFailure|DeadlockDetected|could not serialize|deadlock detected",
)

_api = None
_settings: dict = {}


@dataclass
class Outcome:
    student: str
    assignment: str
    status: str  # "graded" | "flagged" (graded, but look at it) | "failed"
    seconds: float
    reason: str = ""
    attempts: int = 1


def inspect_submission(course: Course, student: str, assignment: str) -> list[str]:
    """What a participant changed that grading repairs but an instructor should know about."""
    import json

    released = course.release_notebook(assignment)
    submitted = course.submission_dir(student, assignment) / released.name
    if not submitted.exists():
        return [f"notebook {released.name} tidak ada di kiriman"]
    try:
        theirs = json.loads(submitted.read_text(encoding="utf-8"))
        ours = json.loads(released.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # unreadable: nbgrader itself will fail it with a reason
    def locked(nb):
        cells = {}
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
            if meta.get("grade_id") and (meta.get("locked") or (meta.get("grade") and not meta.get("solution"))):
                cells[meta["grade_id"]] = "".join(cell.get("source", ""))
        return cells
    mine, given = locked(theirs), locked(ours)
    notes = []
    deleted = sorted(set(given) - set(mine))
    if deleted:
        notes.append(f"sel terkunci dihapus peserta (dipulihkan): {', '.join(deleted)}")
    edited = sorted(k for k in set(given) & set(mine) if given[k] != mine[k])
    if edited:
        notes.append(f"sel terkunci diubah peserta (dipulihkan): {', '.join(edited)}")
    return notes


def autograde_config(cell_timeout: int, notebook_timeout: int) -> Config:
    """Config overrides for our workers on top of the course's nbgrader_config.py."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute

    from .kernels import ForkingExecute

    config = Config()
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [ForkingExecute if p is Execute else p for p in default]
    config.Execute.timeout = cell_timeout
    config.ForkingExecute.timeout = cell_timeout
    config.ForkingExecute.notebook_timeout = notebook_timeout
    return config


def init_worker(course_root: str, db_url: str, cell_timeout: int, notebook_timeout: int) -> None:
    """Process initializer: ignore Ctrl-C (the parent handles it) and build the API once."""
    global _api
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own ORM noise
    from .nbgrader_app import api

    config = autograde_config(cell_timeout, notebook_timeout)
    config.CourseDirectory.db_url = db_url
    _api = api(Course.at(course_root), config)
    _settings.update(course_root=course_root)


def _exit_with_parent() -> None:
    """A worker whose ``latsar autograde`` was killed (kill -9, OOM) exits too; its fork
    server then sees EOF and its kernels see their parent go, so nothing is orphaned."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="latsar-parent-watch").start()


def grade(student: str, assignment: str, retries: int = 2) -> Outcome:
    """Autograde one submission with nbgrader; retry infrastructure faults."""
    start = time.perf_counter()
    reason = ""
    notes = inspect_submission(Course.at(_settings["course_root"]), student, assignment)
    for attempt in range(1, retries + 2):
        try:
            result = _api.autograde(assignment, student, force=True, create=True)
        except Exception as exc:  # noqa: BLE001 — one submission never stops the batch
            result = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
        if result.get("success"):
            status = "flagged" if notes else "graded"
            return Outcome(student, assignment, status, time.perf_counter() - start, "; ".join(notes), attempt)
        text = (result.get("error") or "") + "\n" + (result.get("log") or "")
        reason = "; ".join(notes) if "No notebooks were matched" in text else failure_reason(text)
        if not INFRA_PATTERNS.search(text):
            break
        time.sleep(0.2 * attempt)
    return Outcome(student, assignment, "failed", time.perf_counter() - start, reason, attempt)


def failure_reason(text: str) -> str:
    """The most telling line of nbgrader's error output, in a sentence an instructor can act on."""
    known = [
        (r"NotJSONError|Notebook does not appear to be JSON|JSONDecodeError|Expecting value",
         "notebook rusak (bukan JSON yang sah)"),
        (r"NotebookTimeout", "melebihi batas waktu per notebook"),
        (r"UnicodeDecodeError", "notebook bukan teks UTF-8"),
        (r"Unsupported nbformat version|nbformat.reader.NotJSONError|ValidationError",
         "format notebook tidak didukung"),
        (r"No such file or directory", "berkas hilang"),
        (r"Kernel died|DeadKernelError", "kernel berhenti berulang kali"),
        (r"database is locked", "gradebook sedang terkunci"),
    ]
    for pattern, message in known:
        if re.search(pattern, text):
            return message
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"Error|Exception|error", line)]
    return (errors[-1] if errors else (lines[-1] if lines else "gagal tanpa pesan"))[:200]
