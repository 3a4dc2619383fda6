"""One object that owns every path of the course directory (like nbgrader's CourseDirectory).

The repository root *is* the nbgrader course directory, so all commands take
``--course DIR`` and everything else is derived from it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

ITEM_BANK = Path("course_data") / "item_bank.yaml"

#: The four assignments of the module, in teaching order; one notebook each,
#: named like its assignment.
ASSIGNMENTS = (
    "bab1_pendahuluan",
    "bab2_konsep_pelayanan_publik",
    "bab3_berorientasi_pelayanan",
    "bab4_penutup",
)


#: What a course is made of; everything else in its folder is per-cohort output.
COURSE_FILES = ("source", "course_data", "nbgrader_config.py")


class LatsarError(Exception):
    """An expected problem with what the user gave us: the CLI shows the message, not a traceback."""


class CourseError(LatsarError):
    """A course directory that is missing something the command needs."""


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def at(cls, root: str | Path = ".") -> "Course":
        path = Path(root).resolve()
        if not (path / ITEM_BANK).is_file():
            raise CourseError(
                f"{path} bukan folder kursus: berkas {ITEM_BANK} tidak ada. "
                "Jalankan perintah dari folder kursus atau beri --course DIR."
            )
        return cls(path)

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

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    # -- our own ----------------------------------------------------------------
    @property
    def course_data(self) -> Path:
        return self.root / "course_data"

    @property
    def item_bank_path(self) -> Path:
        return self.root / ITEM_BANK

    @cached_property
    def item_bank(self):
        from .itembank import ItemBank

        return ItemBank.load(self.item_bank_path)

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
        return tuple(a for a in ASSIGNMENTS if self.source_notebook(a).exists())

    def copy_to(self, dest: str | Path) -> "Course":
        """A new course folder with this course's sources and data, and no cohort outputs."""
        import shutil

        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for name in COURSE_FILES:
            src = self.root / name
            if src.is_dir():
                shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", ".jawaban.json"))
            elif src.exists():
                shutil.copy2(src, dest / name)
        return Course.at(dest)


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
