"""One autograde worker process: nbgrader's own ``Autograde``, set up once, fed many submissions.

Each worker keeps one configured ``NbGraderAPI`` (imports and config are paid
once, not per submission), validates notebooks with fastjsonschema, and runs
them with the preprocessors nbgrader_config.py lists for every grading path
(:mod:`latsar.grading.sanitize`; :class:`latsar.grading.kernels.ForkingExecute`: a fresh
sandboxed kernel per submission, forked instead of started from scratch).  Infrastructure faults —
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

from latsar.course import Course, LatsarError
from latsar.grading.inspect import inspect_submission, validate_submission

# Failures that are not the participant's fault: retried.
INFRA_PATTERNS = re.compile(
    r"ZMQError|Address already in use|Kernel died|DeadKernelError|Kernel didn't respond|"
    r"ForkServerError|fork server|database is locked|kernel hand-over failed|"
    # concurrent graders on one PostgreSQL gradebook (unique insert races, serialisation)
    r"UniqueViolation|SerializationFailure|DeadlockDetected|could not serialize|deadlock detected",
)


@dataclass
class Outcome:
    student: str
    assignment: str
    status: str  # "graded" | "flagged" (graded, but look at it) | "failed"
    seconds: float
    reason: str = ""
    attempts: int = 1


#: What nbgrader_config.py must configure for grading to be safe on every path (docs/grading-safety.md).
REQUIRED_STEPS = {"sanitize_preprocessors": ("RepairGradeIds", "NoteTampering", "ReleaseCellsOnly"),
                  # PinForms: each participant scored on the form they were given (latsar/grading/forms.py)
                  "autograde_preprocessors": ("PinForms", "ForkingExecute", "ReconcileClicks")}


def check_config(config: Config) -> None:
    """Refuse to grade with a course config that would run stock, unsanitised, unsandboxed grading."""
    autograde = config.get("Autograde", {})
    missing = []
    for trait, names in REQUIRED_STEPS.items():
        have = {getattr(p, "__name__", str(p).rsplit(".", 1)[-1]) for p in autograde.get(trait, [])}
        missing += [f"c.Autograde.{trait}: {n}" for n in names if n not in have]
    if missing:
        raise LatsarError("nbgrader_config.py kursus ini tidak memasang langkah penilaian aman ("
                          + "; ".join(missing) + "). Salin baris Autograde dari nbgrader_config.py paket "
                          "latsar (lihat docs/grading-safety.md), lalu nilai ulang.")


class Worker:
    """One process's grader: the course, nbgrader's API configured once, and the sandbox settings."""

    def __init__(self, course: Course, config: Config) -> None:
        from latsar.course.nbgrader_api import api
        from latsar.grading.options import BatchAutograde
        from latsar.grading.sandbox import Sandbox

        self.course = course
        self.api = api(course, config)
        self.sandbox = Sandbox(config=self.api.config)
        self.retries = BatchAutograde(config=self.api.config).retries

    def grade(self, student: str, assignment: str) -> Outcome:
        """Autograde one submission with nbgrader; retry infrastructure faults.

        Before: a file nbgrader cannot grade fails with a reason.  nbgrader then runs the
        course's own preprocessor lists (nbgrader_config.py): tampering noted, only release
        code executed, every item given what the clicks earn (:mod:`latsar.grading.sanitize`); the
        review record they leave is this outcome's status and reason."""
        from latsar.grading.sanitize import read_record

        start = time.perf_counter()
        reason = ""
        course, box = self.course, self.sandbox
        problem = validate_submission(course, student, assignment, box.max_notebook_mb << 20)
        if problem:
            return Outcome(student, assignment, "failed", time.perf_counter() - start, problem, 1)
        for attempt in range(1, self.retries + 2):
            try:
                result = self.api.autograde(assignment, student, force=True, create=True)
            except Exception as exc:  # noqa: BLE001 — one submission never stops the batch
                result = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
            if result.get("success"):
                # written by latsar.grading.sanitize.ReconcileClicks, the last autograde step, on every path
                record = read_record(course.autograded_dir(student, assignment)) or {}
                notes = record.get("notes")
                if notes is None:
                    return Outcome(student, assignment, "failed", time.perf_counter() - start,
                                   "langkah ReconcileClicks tidak berjalan (periksa nbgrader_config.py)", attempt)
                _own(course.autograded_dir(student, assignment))
                status = "flagged" if notes else "graded"
                return Outcome(student, assignment, status, time.perf_counter() - start, "; ".join(notes), attempt)
            text = (result.get("error") or "") + "\n" + (result.get("log") or "")
            death = kernel_death(text, box)
            if "No notebooks were matched" in text:
                reason = "; ".join(inspect_submission(course, student, assignment))
            else:
                reason = death or failure_reason(text)
            if death or not INFRA_PATTERNS.search(text) or "Penilaian ditolak" in text:
                break
            time.sleep(0.2 * attempt)
        return Outcome(student, assignment, "failed", time.perf_counter() - start, reason, attempt)


#: This process's worker, made by :func:`init_worker` (a process pool's initializer takes no object back).
_worker: Worker | None = None


def init_worker(course_root: str, config: Config) -> None:
    """Process initializer: ignore Ctrl-C (the parent handles it) and build this process's :class:`Worker`.

    ``config`` is ``latsar autograde``'s (:func:`latsar.grading.options.grading_config`), merged on
    top of the course's nbgrader_config.py.  What the kernels' sandbox hides is derived by
    :class:`latsar.grading.kernels.ForkingExecute` from the config, as on the stock path."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own ORM noise
    _worker = Worker(Course.at(course_root), config)


def grade(student: str, assignment: str) -> Outcome:
    """Grade one submission in this worker process (the task a pool runs)."""
    return _worker.grade(student, assignment)


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


def kernel_death(text: str, box) -> str | None:
    """A kernel death the participant's code caused (not retried), from the exit status
    :class:`latsar.grading.kernels.ForkingExecute` adds to the error it raises."""
    from latsar.grading.kernels import kernel_exit

    if not re.search(r"Kernel died|DeadKernelError", text):
        return None
    last = kernel_exit(text)
    if last is None:
        return None
    if re.search(r"before replying to kernel_info", text):
        return None  # it died starting, before any participant code ran: retried
    cpu_limit = box.cpu_seconds if box else 0
    if last.get("signal") == signal.SIGXCPU or (
            last.get("signal") == signal.SIGKILL and cpu_limit and (last.get("cpu") or 0) >= cpu_limit):
        limit = f" ({box.cpu_seconds} detik)" if box else ""
        return f"kernel dihentikan: melebihi batas waktu CPU{limit}"
    if "code" in last:
        return f"kode peserta menghentikan kernel (keluar dengan kode {last['code']}, mis. os._exit)"
    if last.get("signal") in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE):
        return f"kernel mogok karena kode peserta (sinyal {signal.Signals(last['signal']).name})"
    return None  # killed from outside (SIGKILL) or a sandbox set-up error: retried
def _own(folder) -> None:
    """Files a sandboxed kernel left with its own uid (no overlayfs) go back to the grader."""
    if os.geteuid() != 0 or not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        try:
            if path.lstat().st_uid != 0:
                os.lchown(path, 0, 0)
        except OSError:
            pass


def failure_reason(text: str) -> str:
    """The most telling line of nbgrader's error output, in a sentence an instructor can act on."""
    refused = re.search(r"Penilaian ditolak: sandbox[^\n]*", text)
    if refused:
        return refused.group(0)
    known = [
        (r"NotJSONError|Notebook does not appear to be JSON|JSONDecodeError|Expecting value",
         "notebook rusak (bukan JSON yang sah)"),
        (r"NotebookTimeout", "melebihi batas waktu per notebook"),
        (r"CellTimeoutError", "sebuah sel tidak berhenti dalam batas waktu sel, juga setelah diinterupsi"),
        (r"UnicodeDecodeError", "notebook bukan teks UTF-8"),
        (r"Unsupported nbformat version|nbformat.reader.NotJSONError|ValidationError",
         "format notebook tidak didukung"),
        (r"No such file or directory", "berkas hilang"),
        (r"Kernel died before replying to kernel_info",
         "kernel gagal mulai di dalam sandbox (batas memori Sandbox.memory_mb terlalu kecil?)"),
        (r"Kernel died|DeadKernelError", "kernel berhenti berulang kali"),
        (r"database is locked", "gradebook sedang terkunci"),
    ]
    for pattern, message in known:
        if re.search(pattern, text):
            return message
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"Error|Exception|error", line)]
    return (errors[-1] if errors else (lines[-1] if lines else "gagal tanpa pesan"))[:200]
