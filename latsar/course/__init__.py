"""One object that owns every path of the course directory (like nbgrader's CourseDirectory).

The repository root *is* the nbgrader course directory, so all commands take
``--course DIR`` and everything else is derived from it here.
"""

from __future__ import annotations

import os
from numbers import Real
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

#: nbgrader's course id; the hub's groups and the formgrader's service are named after it.
COURSE_ID = "latsar-pelayanan"

ITEM_BANK = Path("course_data") / "item_bank.yaml"

#: The four assignments of the module, in teaching order; one notebook each,
#: named like its assignment.
ASSIGNMENTS = (
    "bab1_pendahuluan",
    "bab2_konsep_pelayanan_publik",
    "bab3_berorientasi_pelayanan",
    "bab4_penutup",
)


#: The assignment that ends with each Materi Pokok's evaluation (its 10 graded items).
MATERI_POKOK_ASSIGNMENT = {1: "bab2_konsep_pelayanan_publik", 2: "bab3_berorientasi_pelayanan"}

#: The pre-test, before the lessons: attempt 0 of the slots it holds (both Materi Pokok).
PRETEST_ASSIGNMENT = "bab1_pendahuluan"
#: The pre-test's slots: the first this many of each Materi Pokok, in module order (10 items, about
#: five minutes in a first lesson).  The one definition: :meth:`latsar.authoring.itembank.ItemBank.for_assignment`
#: applies it, and ``latsar sync``, grading, simulation and the report all ask the bank.
PRETEST_SLOTS_PER_MATERI_POKOK = 5
#: A retake of a Materi Pokok's evaluation is its own nbgrader assignment, released with stock
#: nbgrader: ``bab2_konsep_pelayanan_publik_ulang1`` is attempt 2 of Materi Pokok 1.
RETAKE_SUFFIX = "_ulang"


def retake_assignment(materi_pokok: int, attempt: int) -> str:
    """The assignment of ``attempt`` (2, 3, …) at a Materi Pokok's evaluation."""
    if attempt < 2:
        raise ValueError(f"percobaan ulang dimulai dari 2, bukan {attempt}")
    return f"{MATERI_POKOK_ASSIGNMENT[materi_pokok]}{RETAKE_SUFFIX}{attempt - 1}"


def attempt_assignment(materi_pokok: int, attempt: int) -> str:
    """The assignment of ``attempt`` at a Materi Pokok's evaluation: 0 the pre-test (which holds
    both Materi Pokok), 1 the evaluation, 2, 3, … its retakes; :func:`assignment_attempt` inverted."""
    if attempt == 0:
        return PRETEST_ASSIGNMENT
    if attempt == 1:
        return MATERI_POKOK_ASSIGNMENT[materi_pokok]
    return retake_assignment(materi_pokok, attempt)


def assignment_attempt(assignment: str) -> tuple[int | None, int | None]:
    """``(materi_pokok, attempt)`` of a graded assignment: an evaluation is attempt 1, its retakes
    2, 3, …, the pre-test attempt 0 (Materi Pokok None: it holds both); ``(None, None)`` else."""
    if assignment == PRETEST_ASSIGNMENT:
        return None, 0
    for mp, name in MATERI_POKOK_ASSIGNMENT.items():
        if assignment == name:
            return mp, 1
        rest = assignment[len(name):]
        if assignment.startswith(name) and rest.startswith(RETAKE_SUFFIX) and rest[len(RETAKE_SUFFIX):].isdigit():
            n = int(rest[len(RETAKE_SUFFIX):])
            if n >= 1:
                return mp, n + 1
    return None, None


#: The retakes ``latsar sync`` writes by default: attempt 2 of each Materi Pokok's evaluation.
RETAKES = tuple(retake_assignment(mp, 2) for mp in MATERI_POKOK_ASSIGNMENT)


def evaluation_of(assignment: str) -> str:
    """The evaluation a retake repeats (``bab2_…_ulang1`` → ``bab2_…``); any other name unchanged."""
    mp, attempt = assignment_attempt(assignment)
    return MATERI_POKOK_ASSIGNMENT[mp] if mp is not None and attempt and attempt >= 2 else assignment


#: The module's rule: at least 80 % right is *tuntas* (go on), below is *ulangi* (study again).
MASTERY_THRESHOLD = 0.80

#: The answer file the click widget writes next to each notebook; nbgrader submits it.
ANSWER_FILE = ".jawaban.json"

#: The glossary page ``latsar sync`` writes beside every lesson (from course_data/glosarium.yaml).
GLOSSARY_MD = "glosarium.md"

#: Which practice activities a participant tried (latsar.kernel.progress); ungraded.
PRACTICE_FILE = ".latihan.json"

#: What a participant wrote for each reflection prompt of a lesson (latsar.kernel.reflection); ungraded,
#: submitted with the notebook, printed for the instructor when nbgrader autogrades.
REFLECTION_FILE = ".refleksi.json"

#: What a free-text answer cell of the release holds until the participant writes
#: (nbgrader's ``ClearSolutions.text_stub``, set from here in nbgrader_config.py).
FREE_TEXT_STUB = "_Tulis jawaban Anda di sini (klik dua kali sel ini untuk mengetik)._"

#: Names the gradebook for every `latsar` command and, through nbgrader_config.py,
#: for stock nbgrader commands too.
DB_URL_ENV = "LATSAR_DB_URL"

#: What a course is made of; everything else in its folder is per-cohort output.
COURSE_FILES = ("source", "course_data", "nbgrader_config.py")


def instructor_group(course_id: str = COURSE_ID) -> str:
    """The hub group nbgrader's formgrader admits (``formgrade-<course>``)."""
    return f"formgrade-{course_id}"


def participant_group(course_id: str = COURSE_ID) -> str:
    """The hub group of a course's participants (``nbgrader-<course>``)."""
    return f"nbgrader-{course_id}"


def mastered(right, total):
    """The module's rule (:data:`MASTERY_THRESHOLD`) on a score: right out of total points.

    Works on numbers and, element-wise, on numpy arrays and pandas Series; no points to earn
    is not mastered."""
    if isinstance(total, Real):
        return total > 0 and right / total >= MASTERY_THRESHOLD
    return (total > 0) & (right / total >= MASTERY_THRESHOLD)


class LatsarError(Exception):
    """An expected problem with what the user gave us: the CLI shows the message, not a traceback."""


class CourseError(LatsarError):
    """A course directory that is missing something the command needs."""


@dataclass(frozen=True)
class Course:
    root: Path
    #: A gradebook URL given explicitly (``--db-url``); wins over everything else.
    gradebook_url: str | None = field(default=None, compare=False)

    @classmethod
    def at(cls, root: str | Path = ".", db_url: str | None = None) -> "Course":
        path = Path(root).resolve()
        if not (path / ITEM_BANK).is_file():
            raise CourseError(
                f"{path} bukan folder kursus: berkas {ITEM_BANK} tidak ada. "
                "Jalankan perintah dari folder kursus atau beri --course DIR."
            )
        return cls(path, db_url or None)

    # -- folders nbgrader knows ------------------------------------------------
    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @cached_property
    def db_url(self) -> str:
        """The gradebook: ``--db-url``, else ``$LATSAR_DB_URL``, else ``c.CourseDirectory.db_url``
        of nbgrader_config.py, else nbgrader's default ``gradebook.db`` in the course folder."""
        return (self.gradebook_url or os.environ.get(DB_URL_ENV) or configured_db_url(self.root)
                or f"sqlite:///{self.root / 'gradebook.db'}")

    # -- our own ----------------------------------------------------------------
    @property
    def course_data(self) -> Path:
        return self.root / "course_data"

    @property
    def item_bank_path(self) -> Path:
        return self.root / ITEM_BANK

    @cached_property
    def item_bank(self):
        from latsar.authoring.itembank import ItemBank

        return ItemBank.shared(self.item_bank_path)

    @property
    def live_sessions(self) -> Path:
        """Live quiz record (``live.sqlite``) and the saved session tables (``<session>.csv``/``.parquet``)."""
        return self.root / "live_sessions"

    def source_notebook(self, assignment: str) -> Path:
        return self.source / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.release / assignment / f"{assignment}.ipynb"

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.submitted / student / assignment

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.autograded / student / assignment

    @property
    def assignments(self) -> tuple[str, ...]:
        """The module's assignments with a source notebook, then their retakes (by Materi Pokok, attempt)."""
        retakes = [p.name for p in self.source.glob(f"*{RETAKE_SUFFIX}*") if assignment_attempt(p.name)[1]
                   and self.source_notebook(p.name).exists()]
        return (tuple(a for a in ASSIGNMENTS if self.source_notebook(a).exists())
                + tuple(sorted(retakes, key=assignment_attempt)))

    def copy_to(self, dest: str | Path) -> "Course":
        """A new course folder with this course's sources and data, and no cohort outputs."""
        import shutil

        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for name in COURSE_FILES:
            src = self.root / name
            if src.is_dir():
                shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", ANSWER_FILE,
                                                                         REFLECTION_FILE))
            elif src.exists():
                shutil.copy2(src, dest / name)
        return Course.at(dest, self.gradebook_url)


def configured_db_url(root: Path) -> str | None:
    """``c.CourseDirectory.db_url`` as the course's nbgrader_config.py sets it, if it does."""
    config_file = root / "nbgrader_config.py"
    if not config_file.exists() or not _may_set_db_url(config_file.read_text(encoding="utf-8")):
        return None  # skip executing the file: it imports nbgrader (seconds for `latsar export`)
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(config_file.name, path=str(root)).load_config()
    section = config.get("CourseDirectory", {})
    return section.get("db_url") if "db_url" in section else None


def find_course_root(start: str | Path) -> Path | None:
    """The course directory containing ``start``, or None when outside any course.

    Used by the widget (to refuse writing answer files inside the instructor's
    course folder) and by preprocessors (to find the item bank).
    """
    path = Path(start).resolve()
    for candidate in (path, *path.parents):
        if (candidate / ITEM_BANK).is_file():
            return candidate
    return None


def _may_set_db_url(text: str) -> bool:
    """Whether a config file sets ``CourseDirectory.db_url`` other than from $LATSAR_DB_URL
    (which :attr:`Course.db_url` reads itself).  Unsure means yes: then the file is run."""
    import ast

    if "db_url" not in text:
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = ast.unparse(node.value) if node.value is not None else ""
            from_env = value in (f"os.environ['{DB_URL_ENV}']", f"os.environ.get('{DB_URL_ENV}')")
            if any(ast.unparse(t).endswith("db_url") for t in targets) and not from_env:
                return True
        elif isinstance(node, ast.Call) and "db_url" in ast.unparse(node):
            return True  # set through a call (setattr, update, …): cannot tell
    return False
