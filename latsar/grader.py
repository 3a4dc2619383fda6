"""One autograde worker process: nbgrader's own ``Autograde``, set up once, fed many submissions.

Each worker keeps one configured ``NbGraderAPI`` (imports and config are paid
once, not per submission), validates notebooks with fastjsonschema, and runs
them with the preprocessors nbgrader_config.py lists for every grading path
(:mod:`latsar.sanitize`; :class:`latsar.kernels.ForkingExecute`: a fresh
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


#: What a submission folder may hold besides the files of the release.
EXPECTED_FILES = {".jawaban.json", "timestamp.txt", "submission_secret.txt"}  # the last: nbgrader's exchange


def validate_submission(course: Course, student: str, assignment: str, max_bytes: int) -> str | None:
    """Why the submitted notebook cannot be graded at all (None when it can be handed to nbgrader).

    Checked before nbgrader reads the file, so a huge, empty, undecodable or
    foreign notebook fails with a reason an instructor can act on, at once."""
    import json

    name = f"{assignment}.ipynb"
    path = course.submission_dir(student, assignment) / name
    if not path.is_file():
        return f"notebook {name} tidak ada di kiriman"
    size = path.stat().st_size
    if size == 0:
        return f"notebook {name} kosong (0 byte)"
    if max_bytes and size > max_bytes:
        return (f"notebook {name} terlalu besar ({size / 2**20:.1f} MB; batas {max_bytes / 2**20:.0f} MB): "
                "minta peserta mengirim ulang notebook tanpa keluaran besar")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"notebook {name} bukan teks UTF-8 (byte tidak sah pada posisi {exc.start})"
    try:
        nb = json.loads(text)
    except ValueError as exc:
        where = f" (baris {exc.lineno}, kolom {exc.colno})" if hasattr(exc, "lineno") else ""
        return f"notebook rusak: {name} bukan JSON yang sah{where}"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        if version is not None and version != 4:
            return f"format notebook versi {version} tidak didukung: buka dan simpan ulang di JupyterLab (nbformat 4)"
        return f"notebook rusak: {name} tidak berisi daftar sel"
    if nb.get("nbformat") != 4:
        return (f"format notebook versi {nb.get('nbformat')} tidak didukung: "
                "buka dan simpan ulang di JupyterLab (nbformat 4)")
    foreign = _foreign_items(course, assignment, nb)
    if foreign:
        owner, items = sorted(foreign.items())[0]
        return f"notebook ini milik tugas {owner}, bukan {assignment} (berisi soal {', '.join(sorted(items)[:3])}, …)"
    return None


def _foreign_items(course: Course, assignment: str, nb: dict) -> dict[str, list[str]]:
    """Items of other assignments in a notebook that has none of its own: a wrong notebook."""
    bank = course.item_bank
    known = {item.id: item.assignment for item in bank}
    found = {g for g in _grade_ids(nb) if g in known}
    if not found or any(known[g] == assignment for g in found):
        return {}
    owners: dict[str, list[str]] = {}
    for g in found:
        owners.setdefault(known[g], []).append(g)
    return owners


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nbg = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbg if isinstance(nbg, dict) else {}


def _grade_ids(nb: dict) -> list[str]:
    return [_meta(c)["grade_id"] for c in nb.get("cells", []) if isinstance(_meta(c).get("grade_id"), str)]


def _source(cell) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def inspect_submission(course: Course, student: str, assignment: str) -> list[str]:
    """What a participant changed that grading repairs but an instructor should know about.

    Compared with the release the participant fetched: graded cells deleted,
    edited, duplicated, re-typed or re-pointed (``points``, ``grade_id``,
    ``locked``), code added, files added.  nbgrader's ``DeduplicateIds`` and
    ``OverwriteCells`` (with ``add_missing_cells``) put the graded cells back
    from the gradebook, :class:`RepairGradeIds` drops unknown ids, and
    :func:`reconcile` makes each item's score what the clicks earn."""
    import json

    released = course.release_notebook(assignment)
    folder = course.submission_dir(student, assignment)
    submitted = folder / released.name
    if not submitted.exists():
        return [f"notebook {released.name} tidak ada di kiriman"]
    try:
        theirs = json.loads(submitted.read_text(encoding="utf-8"))
        ours = json.loads(released.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # unreadable: validate_submission fails it with a reason
    if not isinstance(theirs, dict) or not isinstance(theirs.get("cells"), list):
        return []
    given = {_meta(c)["grade_id"]: c for c in ours["cells"] if _meta(c).get("grade_id")}
    mine: dict[str, list] = {}
    for cell in theirs["cells"]:
        grade_id = _meta(cell).get("grade_id")
        if isinstance(grade_id, str):
            mine.setdefault(grade_id, []).append(cell)
    notes = []
    by_cell_id = {c.get("id"): c for c in theirs["cells"] if isinstance(c, dict) and c.get("id")}
    deleted, edited, renamed = [], [], []
    for grade_id, cell in given.items():
        if grade_id in mine:
            continue
        twin = by_cell_id.get(cell.get("id"))
        if twin is not None and _meta(twin).get("grade_id"):
            renamed.append(f"{grade_id} → {_meta(twin)['grade_id']!r}")
        elif twin is not None:
            notes.append(f"metadata nbgrader sel {grade_id} dihapus peserta (sel dipulihkan)")
        else:
            deleted.append(grade_id)
    if deleted:
        notes.append(f"sel terkunci dihapus peserta (dipulihkan): {', '.join(sorted(deleted))}")
    if renamed:
        notes.append(f"grade_id sel diubah peserta (dipulihkan): {', '.join(sorted(renamed))}")
    unknown = sorted(set(mine) - set(given))
    if unknown:
        notes.append(f"grade_id tak dikenal di kiriman (diabaikan): {', '.join(unknown)[:120]}")
    for grade_id, cells in sorted(mine.items()):
        if grade_id not in given:
            continue
        if len(cells) > 1:
            notes.append(f"sel {grade_id} digandakan ({len(cells)} kali); hanya satu yang dinilai")
        original, cell = _meta(given[grade_id]), _meta(cells[0])
        if _source(cells[0]) != _source(given[grade_id]) and original.get("locked"):
            edited.append(grade_id)
        for field in ("points", "locked", "grade", "solution"):
            if cell.get(field) != original.get(field):
                notes.append(f"metadata '{field}' sel {grade_id} diubah ({original.get(field)!r} → "
                             f"{cell.get(field)!r}); dipulihkan dari gradebook")
    if edited:
        notes.append(f"sel terkunci diubah peserta (dipulihkan): {', '.join(sorted(edited))}")
    released_code = {_source(c) for c in ours["cells"] if c.get("cell_type") == "code"}
    extra = [c for c in theirs["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"
             and not _meta(c).get("grade_id") and _source(c) not in released_code]
    if extra:
        notes.append(f"{len(extra)} sel kode tambahan atau diubah di luar sel nilai")
    allowed = EXPECTED_FILES | {str(p.relative_to(released.parent)) for p in released.parent.rglob("*") if p.is_file()}
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                   if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    stray = [f for f in files if f not in allowed]
    if stray:
        notes.append(f"berkas tambahan di kiriman: {', '.join(stray)[:160]}")
    return notes


def reconcile(course: Course, db_url: str, student: str, assignment: str) -> list[str]:
    """Make each item's grade what the clicks in the *submitted* ``.jawaban.json`` earn.

    A participant's code runs before the hidden tests and could patch
    ``check`` (or kill the kernel, or shadow ``latsar``); the answer file as
    submitted and the key nbgrader pinned into the gradebook decide.  A
    difference is corrected through nbgrader's own gradebook API and reported.
    The autograded copy of the answer file, read by reports, is put back to
    the submitted one if the kernel changed it."""
    from nbgrader.api import Gradebook, MissingEntry

    from .answers import ANSWER_FILE, AnswerStore
    from .sanitize import write_private

    notes = []
    submitted = course.submission_dir(student, assignment) / ANSWER_FILE
    graded = course.autograded_dir(student, assignment) / ANSWER_FILE
    if submitted.exists() and (not graded.exists() or graded.is_symlink()
                               or graded.read_bytes() != submitted.read_bytes()):
        write_private(graded, submitted.read_bytes())  # never through a link planted in autograded/
        notes.append(f"{ANSWER_FILE} diubah saat penilaian; dipulihkan dari kiriman")
    answers = AnswerStore(submitted.parent).load()
    bank = {item.id: item for item in course.item_bank.for_assignment(assignment)}
    corrected = []
    with Gradebook(db_url) as gb:
        try:
            notebook = gb.find_submission_notebook(assignment, assignment, student)
        except MissingEntry:
            return notes
        for grade in notebook.grades:
            item = bank.get(grade.name)
            if item is None or grade.manual_score is not None:
                continue
            source = gb.find_source_cell(grade.name, assignment, assignment).source
            pinned = re.search(r'check\("[^"]+", key="([a-d])"\)', source)
            key = pinned.group(1) if pinned else item.key
            earned = float(grade.max_score) if answers.get(item.id) == key else 0.0
            if grade.auto_score is None or float(grade.auto_score) != earned or grade.needs_manual_grade:
                was = "tanpa nilai" if grade.auto_score is None else f"{float(grade.auto_score):g}"
                corrected.append(f"{item.id} ({was} → {earned:g})")
                grade.auto_score = earned
                grade.needs_manual_grade = False
        if corrected:
            gb.db.commit()
    if corrected:
        notes.append("skor dari kernel tidak sesuai klik, dikoreksi ke skor klik: " + ", ".join(corrected))
    return notes


def autograde_config(cell_timeout: int, notebook_timeout: int) -> Config:
    """``latsar autograde``'s command-line values on top of the course's nbgrader_config.py.

    The preprocessor lists (sanitising, sandboxed execution, reconciliation) come from
    nbgrader_config.py itself, the same for stock ``nbgrader autograde`` and the formgrader."""
    config = Config()
    config.Execute.timeout = cell_timeout
    config.ForkingExecute.timeout = cell_timeout
    config.ForkingExecute.notebook_timeout = notebook_timeout
    return config


#: What nbgrader_config.py must configure for grading to be safe on every path (docs/grading-safety.md).
REQUIRED_STEPS = {"sanitize_preprocessors": ("RepairGradeIds", "NoteTampering", "ReleaseCellsOnly"),
                  "autograde_preprocessors": ("ForkingExecute", "ReconcileClicks")}


def check_config(config: Config) -> None:
    """Refuse to grade with a course config that would run stock, unsanitised, unsandboxed grading."""
    from .course import LatsarError

    autograde = config.get("Autograde", {})
    missing = []
    for trait, names in REQUIRED_STEPS.items():
        have = {getattr(p, "__name__", str(p).rsplit(".", 1)[-1]) for p in autograde.get(trait, [])}
        missing += [f"c.Autograde.{trait}: {n}" for n in names if n not in have]
    if missing:
        raise LatsarError("nbgrader_config.py kursus ini tidak memasang langkah penilaian aman ("
                          + "; ".join(missing) + "). Salin baris Autograde dari nbgrader_config.py paket "
                          "latsar (lihat docs/grading-safety.md), lalu nilai ulang.")


def init_worker(course_root: str, db_url: str, cell_timeout: int, notebook_timeout: int,
                sandbox: dict | None = None, overrides: Config | None = None) -> None:
    """Process initializer: ignore Ctrl-C (the parent handles it) and build the API once.

    ``sandbox`` overrides ``c.Sandbox.*`` of the course config (``latsar autograde`` flags);
    ``overrides`` is any further config (tests).  What the kernels' sandbox hides is derived
    by :class:`latsar.kernels.ForkingExecute` from the config, as on the stock path."""
    global _api
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's own ORM noise
    from .nbgrader_app import api
    from .sandbox import Sandbox

    course = Course.at(course_root)
    config = worker_config(course, db_url, cell_timeout, notebook_timeout, sandbox, overrides)
    _api = api(course, config)
    _settings.update(course_root=course_root, db_url=db_url, sandbox=Sandbox(config=_api.config))


def worker_config(course: Course, db_url: str, cell_timeout: int, notebook_timeout: int,
                  sandbox: dict | None = None, overrides: Config | None = None) -> Config:
    """The overrides ``latsar autograde`` puts on top of nbgrader_config.py."""
    config = autograde_config(cell_timeout, notebook_timeout)
    config.CourseDirectory.db_url = db_url
    for name, value in (sandbox or {}).items():
        setattr(config.Sandbox, name, value)
    if overrides:
        config.merge(overrides)
    return config


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
    """Autograde one submission with nbgrader; retry infrastructure faults.

    Before: a file nbgrader cannot grade fails with a reason.  nbgrader then runs the
    course's own preprocessor lists (nbgrader_config.py): tampering noted, only release
    code executed, every item given what the clicks earn (:mod:`latsar.sanitize`); the
    review record they leave is this outcome's status and reason."""
    from . import kernels
    from .sanitize import read_record

    start = time.perf_counter()
    reason = ""
    course = Course.at(_settings["course_root"])
    box = _settings.get("sandbox")
    problem = validate_submission(course, student, assignment, (box.max_notebook_mb << 20) if box else 0)
    if problem:
        return Outcome(student, assignment, "failed", time.perf_counter() - start, problem, 1)
    for attempt in range(1, retries + 2):
        kernels.kernel_exits.clear()
        kernels.execution_notes.clear()
        try:
            result = _api.autograde(assignment, student, force=True, create=True)
        except Exception as exc:  # noqa: BLE001 — one submission never stops the batch
            result = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
        if result.get("success"):
            # written by latsar.sanitize.ReconcileClicks, the last autograde step, on every path
            record = read_record(course.autograded_dir(student, assignment)) or {}
            notes = record.get("notes")
            if notes is None:
                return Outcome(student, assignment, "failed", time.perf_counter() - start,
                               "langkah ReconcileClicks tidak berjalan (periksa nbgrader_config.py)", attempt)
            _own(course.autograded_dir(student, assignment))
            status = "flagged" if notes else "graded"
            return Outcome(student, assignment, status, time.perf_counter() - start, "; ".join(notes), attempt)
        text = (result.get("error") or "") + "\n" + (result.get("log") or "")
        death = kernel_death(text, kernels.kernel_exits, box)
        if "No notebooks were matched" in text:
            reason = "; ".join(inspect_submission(course, student, assignment))
        else:
            reason = death or failure_reason(text)
        if death or not INFRA_PATTERNS.search(text) or "Penilaian ditolak" in text:
            break
        time.sleep(0.2 * attempt)
    return Outcome(student, assignment, "failed", time.perf_counter() - start, reason, attempt)


def kernel_death(text: str, exits: list[dict], box) -> str | None:
    """A kernel death the participant's code caused (not retried), from the sandbox's exit record."""
    if not re.search(r"Kernel died|DeadKernelError", text) or not exits:
        return None
    if re.search(r"before replying to kernel_info", text):
        return None  # it died starting, before any participant code ran: retried
    last = exits[-1]
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
