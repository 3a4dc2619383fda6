"""``latsar release``: bring source notebooks in line with the bank, then run
stock ``nbgrader generate_assignment`` for each assignment.

After generating, the release is scanned for anything that must never reach a
participant (an answer file, saved widget state, a pinned ``key=``) and the
command fails loudly if it finds one.
"""

from __future__ import annotations

import json
from pathlib import Path

from latsar.course import ANSWER_FILE, REFLECTION_FILE
from latsar.course import Course, LatsarError
from latsar.course.gradebook import redact
from latsar.course.nbgrader_api import NbgraderError, api, check
from latsar.authoring.glossary import GLOSSARY, GLOSSARY_MD, load as load_glossary, render as render_glossary
from latsar.authoring.notebooks import sync_file, sync_retake
from latsar.course import MATERI_POKOK_ASSIGNMENT, RETAKES, assignment_attempt, retake_assignment
from latsar.course.files import atomic_write


class ReleaseLeak(LatsarError, RuntimeError):
    """The release cannot be made safely; the message says why and what to do."""


def sync(course: Course, *, check_only: bool = False, up_to_attempt: int = 2) -> list[Path]:
    """Sync every source notebook with the bank, and its folder's glosarium.md with the glossary;
    return the files that changed.

    Retakes are written from the bank: attempt 2 of each Materi Pokok's evaluation, any later one
    already in ``source/``, and every attempt up to ``up_to_attempt`` (``latsar sync --percobaan 3``)."""
    changed = []
    glossary = render_glossary(load_glossary(course.root / GLOSSARY))
    wanted = [retake_assignment(mp, n) for n in range(3, up_to_attempt + 1) for mp in MATERI_POKOK_ASSIGNMENT]
    for assignment in dict.fromkeys([*RETAKES, *wanted, *course.assignments]):
        mp, attempt = assignment_attempt(assignment)
        if mp is not None and attempt >= 2:
            path = course.source_notebook(assignment)
            if sync_retake(path, course.item_bank, mp, attempt, check=check_only):
                changed.append(path)
    for assignment in course.assignments:
        path = course.source_notebook(assignment)
        if assignment_attempt(assignment)[1] in (None, 0, 1) and sync_file(path, course.item_bank, check=check_only):
            changed.append(path)
        page = path.parent / GLOSSARY_MD
        if not page.is_file() or page.read_text(encoding="utf-8") != glossary:
            changed.append(page)
            if not check_only:
                atomic_write(page, glossary)
    return changed


def generate(course: Course, assignments: list[str] | None = None) -> list[str]:
    sync(course)
    nbapi = api(course)
    done = []
    for assignment in assignments or course.assignments:
        try:
            check(nbapi.generate_assignment(assignment, force=True, create=True),
                  f"generate_assignment {assignment}")
        except NbgraderError as exc:
            if "Cannot add or remove cells" in str(exc):
                raise ReleaseLeak(
                    f"{assignment}: sel bernilai di notebook sumber bertambah atau berkurang, padahal "
                    f"gradebook {redact(course.db_url)} sudah berisi kiriman untuk tugas ini. nbgrader menolak "
                    "mengubahnya agar nilai lama tidak rusak. Kembalikan sel yang dihapus, atau pakai "
                    "gradebook baru untuk angkatan berikutnya."
                ) from None
            raise
        done.append(assignment)
    scan_release(course)
    return done


def scan_release(course: Course) -> None:
    """Fail when the release holds something that could carry a key."""
    problems = []
    for path in sorted(course.release.rglob("*")):
        if path.name in (ANSWER_FILE, REFLECTION_FILE):
            problems.append(f"{path}: berkas jawaban tidak boleh ikut dirilis")
        if path.suffix == ".ipynb":
            nb = json.loads(path.read_text(encoding="utf-8"))
            if "widgets" in nb.get("metadata", {}):
                problems.append(f"{path}: state widget tersimpan")
            for cell in nb.get("cells", []):
                source = "".join(cell.get("source", ""))
                if "key=" in source or "keys=" in source or "HIDDEN TESTS" in source:
                    problems.append(f"{path}: sel {cell.get('id')} memuat tes tersembunyi")
                if cell.get("outputs"):
                    problems.append(f"{path}: sel {cell.get('id')} memuat output")
    if problems:
        raise ReleaseLeak("Rilis tidak aman:\n" + "\n".join(problems))
