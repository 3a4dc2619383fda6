"""``latsar import-answers``: an answer sheet (CSV) becomes nbgrader submissions.

For an instructor with answers from paper or another platform, and for
simulated cohorts.  Each participant with at least one row for an assignment
gets ``submitted/<peserta_id>/<assignment>/`` holding exactly what their clicks
would have produced: the released notebook, the answer file ``.jawaban.json``
and nbgrader's ``timestamp.txt``.

A sheet is for one attempt (``--percobaan``): 1, the evaluation, by default; 0 the pre-test;
2, 3, … a retake.  Each row's ``item_id`` names the item answered, the module's own (``MP1-01``)
or a variant (``MP1-01-v2``), and ``pilihan`` its option as the bank lists them (the canonical
letter: on paper, options are printed in the bank's order).  The form the sheet names, variant by
variant in the bank's order, is recorded for that participant and that attempt on the
instructor's side (:func:`latsar.grading.forms.record_form`), and grading scores them on it: a
paper exam everyone sat on the module's own form imports as it always did.

The whole sheet is validated before anything is written; every problem names
its line.  Each submission folder is built beside its target and swapped in
with a rename, so a crash never leaves half a submission behind.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from latsar.kernel.answers import Answer, write_answers
from latsar.kernel.forms import CANONICAL
from latsar.grading.forms import record_form
from latsar.course import Course, attempt_assignment
from latsar.course.files import CsvError, read_csv, swap_in
from latsar.authoring.itembank import LETTERS

COLUMNS = ("peserta_id", "item_id", "pilihan")
PESERTA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's own format
#: The evaluation's attempt, what a sheet holds unless told otherwise.
EVALUATION = 1


class AnswerSheetError(CsvError):
    """The sheet has problems; ``problems`` lists one message per bad line."""

    lead = "Lembar jawaban"


@dataclass
class ImportResult:
    submissions: list[tuple[str, str]]  # (peserta_id, assignment)
    answered: int
    blank: int


#: {(peserta_id, assignment): {slot: (variant_id, canonical letter or None)}}
Sheet = dict[tuple[str, str], dict[str, tuple[str, str | None]]]


def read_sheet(path: Path, course: Course, attempt: int = EVALUATION) -> Sheet:
    """Validate the sheet of ``attempt``; return each participant's answers per assignment and slot.

    Refused, each with its line: an id that is no graded item (module item or variant), a letter
    outside a–d, an item of a slot the pre-test does not hold (attempt 0), the same item twice for one
    participant, and two variants of one slot for one participant (a participant answers one form)."""
    if attempt < 0:
        raise AnswerSheetError(path, [f"percobaan harus 0 (pra-tes), 1 (evaluasi) atau lebih, bukan {attempt}"])
    bank = course.item_bank
    pretest = {i.id for i in bank.pretest()}
    table = read_csv(path, AnswerSheetError)
    if tuple(table.header) != COLUMNS:
        raise AnswerSheetError(path, [f"baris 1: kolom harus tepat {','.join(COLUMNS)} (ada {','.join(table.header)})"])

    problems: list[str] = list(table.problems)
    seen: dict[tuple[str, str], tuple[int, str]] = {}  # (peserta, slot) → (line, variant)
    sheet: Sheet = defaultdict(dict)
    for line, (peserta, item_id, letter) in table.rows:
        here = []
        if not PESERTA_ID.match(peserta):
            here.append(
                f"baris {line}: peserta_id {peserta!r} tidak sah (hanya huruf, angka, '.', '_', '-', "
                "diawali huruf/angka)"
            )
        try:
            item = bank.variant(item_id)
        except KeyError:
            item = None
            here.append(f"baris {line}: item_id {item_id!r} tidak ada di bank soal (soal modul maupun varian)")
        letter = letter.lower()
        if letter and letter not in LETTERS:
            here.append(f"baris {line}: pilihan {letter!r} harus a, b, c, d atau kosong")
        if item is not None:
            if attempt == 0 and item.slot not in pretest:
                here.append(f"baris {line}: soal {item_id} tidak ada di pra-tes (percobaan 0); "
                            f"pra-tes memuat {', '.join(sorted(pretest))}")
            previous = seen.get((peserta, item.slot))
            if previous and previous[1] == item.id:
                here.append(f"baris {line}: peserta {peserta} soal {item_id} sudah ada di baris {previous[0]}")
            elif previous:
                here.append(f"baris {line}: peserta {peserta} menjawab {item_id}, padahal baris {previous[0]} "
                            f"memberinya {previous[1]}: satu peserta mengerjakan satu varian tiap soal "
                            f"({item.slot})")
            else:
                seen[(peserta, item.slot)] = (line, item.id)
        if not here:
            sheet[(peserta, attempt_assignment(item.materi_pokok, attempt))][item.slot] = (item.id, letter or None)
        problems += here
    if problems:
        raise AnswerSheetError(path, problems)
    return dict(sheet)


def import_answers(path: str | Path, course: Course, *, attempt: int = EVALUATION,
                   now: datetime | None = None) -> ImportResult:
    """Write a submission per participant and assignment of the sheet, and record the form it names."""
    path = Path(path)
    sheet = read_sheet(path, course, attempt)
    missing = sorted({a for _, a in sheet if not course.release_notebook(a).exists()})
    if missing:
        raise AnswerSheetError(path, [f"rilis {a} belum dibuat; jalankan `latsar sync` lalu `latsar release` dulu"
                                      for a in missing])
    stamp = (now or datetime.now(timezone.utc)).strftime(TIMESTAMP_FORMAT)
    answered = blank = 0
    for (peserta, assignment), answers in sorted(sheet.items()):
        chosen = {slot: Answer(variant, CANONICAL, letter) for slot, (variant, letter) in answers.items() if letter}
        answered += len(chosen)
        blank += len(answers) - len(chosen)
        # the form first: a crash between the two leaves a form without its submission, which a rerun rewrites
        record_form(course.root, peserta, assignment,
                    {slot: (variant, CANONICAL) for slot, (variant, _) in answers.items()})
        write_submission(course, peserta, assignment, chosen, stamp)
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
