"""``latsar import-answers``: an answer sheet (CSV) becomes nbgrader submissions.

For an instructor with answers from paper or another platform, and for
simulated cohorts.  Each participant with at least one row for an assignment
gets ``submitted/<peserta_id>/<assignment>/`` holding exactly what their clicks
would have produced: the released notebook, the answer file ``.jawaban.json``
and nbgrader's ``timestamp.txt``.  The sheet names module items, so those answers were given on
the module's form: it is recorded for those participants on the instructor's side
(:func:`latsar.grading.forms.record_form`), and grading scores them on it.

The whole sheet is validated before anything is written; every problem names
its line.  Each submission folder is built beside its target and swapped in
with a rename, so a crash never leaves half a submission behind.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from latsar.kernel.answers import write_answers
from latsar.grading.forms import module_form, record_form
from latsar.course import Course, LatsarError
from latsar.course.files import CsvError, read_csv, swap_in
from latsar.authoring.itembank import LETTERS

COLUMNS = ("peserta_id", "item_id", "pilihan")
PESERTA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's own format


class AnswerSheetError(CsvError):
    """The sheet has problems; ``problems`` lists one message per bad line."""

    lead = "Lembar jawaban"


@dataclass
class ImportResult:
    submissions: list[tuple[str, str]]  # (peserta_id, assignment)
    answered: int
    blank: int


def read_sheet(path: Path, course: Course) -> dict[tuple[str, str], dict[str, str | None]]:
    """Validate the sheet; return {(peserta_id, assignment): {item_id: letter or None}}."""
    bank = course.item_bank
    table = read_csv(path, AnswerSheetError)
    if tuple(table.header) != COLUMNS:
        raise AnswerSheetError(path, [f"baris 1: kolom harus tepat {','.join(COLUMNS)} (ada {','.join(table.header)})"])

    problems: list[str] = list(table.problems)
    seen: dict[tuple[str, str], int] = {}
    sheet: dict[tuple[str, str], dict[str, str | None]] = defaultdict(dict)
    for line, (peserta, item_id, letter) in table.rows:
        here = []
        if not PESERTA_ID.match(peserta):
            here.append(
                f"baris {line}: peserta_id {peserta!r} tidak sah (hanya huruf, angka, '.', '_', '-', "
                "diawali huruf/angka)"
            )
        if item_id not in bank:
            here.append(f"baris {line}: item_id {item_id!r} tidak ada di bank soal")
        letter = letter.lower()
        if letter and letter not in LETTERS:
            here.append(f"baris {line}: pilihan {letter!r} harus a, b, c, d atau kosong")
        previous = seen.get((peserta, item_id))
        if previous:
            here.append(f"baris {line}: peserta {peserta} soal {item_id} sudah ada di baris {previous}")
        seen[(peserta, item_id)] = line
        if not here:
            sheet[(peserta, bank[item_id].assignment)][item_id] = letter or None
        problems += here
    if problems:
        raise AnswerSheetError(path, problems)
    return dict(sheet)


def import_answers(path: str | Path, course: Course, *, now: datetime | None = None) -> ImportResult:
    path = Path(path)
    sheet = read_sheet(path, course)
    missing = sorted({a for _, a in sheet if not course.release_notebook(a).exists()})
    if missing:
        raise AnswerSheetError(path, [f"rilis {a} belum dibuat; jalankan `latsar release` dulu" for a in missing])
    stamp = (now or datetime.now(timezone.utc)).strftime(TIMESTAMP_FORMAT)
    answered = blank = 0
    for (peserta, assignment), answers in sorted(sheet.items()):
        chosen = {k: v for k, v in answers.items() if v}
        answered += len(chosen)
        blank += len(answers) - len(chosen)
        write_submission(course, peserta, assignment, chosen, stamp)
        # the sheet names module items: these answers were given on the module's form
        record_form(course.root, peserta, assignment, module_form(course.item_bank, assignment))
    return ImportResult(sorted(sheet), answered, blank)


def write_submission(course: Course, peserta: str, assignment: str, answers: dict[str, str], stamp: str) -> Path:
    """Build one submission folder beside its target, then swap it in."""
    target = course.submission_dir(peserta, assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{assignment}.", dir=target.parent))
    try:
        build.chmod(0o755)
        for notebook in sorted(course.release.joinpath(assignment).glob("*.ipynb")):
            shutil.copy2(notebook, build / notebook.name)
        # as nbgrader submit leaves it (0644): the sandboxed kernel that grades it runs under a uid
        # of its own and must read it; the closed course folder keeps it from participants
        write_answers(build, answers, mode=0o644)
        (build / "timestamp.txt").write_text(stamp, encoding="utf-8")
        swap_in(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return target
