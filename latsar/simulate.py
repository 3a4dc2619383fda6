"""Simulated cohorts: answer sheets for demos, tests and benchmarks.

A simple item-response model makes the numbers look like a real class: each
participant has an ability, each item a difficulty (derived from its id, so
it is stable), the chance of a right answer is logistic in their difference;
a wrong answer picks a distractor (the first one more attractive) and a few
items are left blank.  The same seed always gives the same sheet.
"""

from __future__ import annotations

import csv
import io
import hashlib
import math
import random
from pathlib import Path

from latsar.authoring.itembank import LETTERS, ItemBank
from latsar.course.files import atomic_write

BLANK_RATE = 0.03
#: How much less a participant knows at the pre-test, before the lessons (logits of ability).
PRETEST_ABILITY_DROP = 1.0


def _difficulty(item_id: str) -> float:
    digest = hashlib.sha256(item_id.encode()).digest()
    return -1.6 + 2.4 * digest[0] / 255  # in [-1.6, 0.8]: a mostly easy test, as in the module


def peserta_ids(n: int, rng: random.Random) -> list[str]:
    """Plausible 18-digit NIPs: birth date, appointment month, sex, sequence."""
    ids = []
    for seq in range(1, n + 1):
        born = f"{rng.randint(1985, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        ids.append(f"{born}2021{rng.randint(1, 12):02d}{rng.randint(1, 2)}{seq:03d}")
    return ids


def simulate(bank: ItemBank, n: int, seed: int = 2021, forms: bool = False) -> list[tuple[str, str, str]]:
    """An answer sheet of the evaluations (``latsar import-answers``): rows ``(peserta_id, item_id, pilihan)``.

    By default every row names the module item, as a paper exam on the module's own form; with
    ``forms`` each names the variant of the participant's own form (attempt 1, :mod:`latsar.kernel.forms`)
    and its canonical letter.  The same seed gives the same participants, right and wrong answers
    either way: a slot's difficulty does not depend on the variant."""
    from latsar.grading.forms import slot_variants
    from latsar.kernel.forms import variant_for

    rng = random.Random(seed)
    variants = {slot: ids for assignment in dict.fromkeys(i.assignment for i in bank)
                for slot, ids in slot_variants(bank, assignment).items()}
    rows = []
    for peserta in peserta_ids(n, rng):
        ability = rng.gauss(0.6, 1.0)
        for slot in bank:
            item = bank.variant(variant_for(peserta, slot.id, variants[slot.id])) if forms else slot
            if rng.random() < BLANK_RATE:
                rows.append((peserta, item.id, ""))
                continue
            p_right = 1 / (1 + math.exp(-1.7 * (ability - _difficulty(slot.id))))
            if rng.random() < p_right:
                letter = item.key
            else:
                distractors = [x for x in LETTERS if x != item.key]
                letter = rng.choices(distractors, weights=[3, 2, 1])[0]
            rows.append((peserta, item.id, letter))
    return rows


def simulate_forms(bank: ItemBank, n: int, seed: int = 2021, assignments=None, ids=None, forms=None,
                   abilities=None) -> dict:
    """Simulated participants answering on their own forms (:mod:`latsar.kernel.forms`), as the
    lesson's buttons would record it: ``{(peserta, assignment): {slot: Answer}}``, each answer the
    variant shown, the order shown and the canonical choice.  The same model as :func:`simulate`;
    a wrong answer prefers the distractors shown first.  By default the evaluations and the pre-test
    (:data:`~latsar.course.PRETEST_ASSIGNMENT`, attempt 0, answered with :data:`PRETEST_ABILITY_DROP`
    less ability: before the lessons); ``ids`` gives the participants instead of ``n`` drawn ones, and
    ``forms`` (``{(peserta, assignment): {slot: (variant, order)}}``) forms to answer on instead of the derived,
    ``abilities`` (``{peserta: ability}``) abilities instead of drawn ones."""
    from latsar.course import PRETEST_ASSIGNMENT, assignment_attempt
    from latsar.grading.forms import slot_variants
    from latsar.kernel.answers import Answer
    from latsar.kernel.forms import form

    rng = random.Random(seed)
    assignments = list(assignments or [*dict.fromkeys(i.assignment for i in bank), PRETEST_ASSIGNMENT])
    out: dict = {}
    for peserta in peserta_ids(n, rng) if ids is None else ids:
        ability = rng.gauss(0.6, 1.0)
        if abilities is not None and peserta in abilities:
            ability = abilities[peserta]
        for assignment in assignments:
            answers = out.setdefault((peserta, assignment), {})
            attempt = assignment_attempt(assignment)[1]
            attempt = 1 if attempt is None else attempt
            known = ability - PRETEST_ABILITY_DROP if attempt == 0 else ability
            # the pre-test draws from its own generator: adding it leaves the evaluations' answers as they were
            draw = random.Random(f"{seed}\0{peserta}\0{assignment}") if attempt == 0 else rng
            given = (forms or {}).get((peserta, assignment)) or form(peserta, assignment,
                                                                     slot_variants(bank, assignment), attempt)
            for slot, (variant, order) in given.items():
                if draw.random() < BLANK_RATE:
                    continue
                item = bank.variant(variant)
                p_right = 1 / (1 + math.exp(-1.7 * (known - _difficulty(slot))))
                if draw.random() < p_right:
                    choice = item.key
                else:
                    distractors = [x for x in order if x != item.key]  # in the order shown
                    choice = draw.choices(distractors, weights=[3, 2, 1])[0]
                answers[slot] = Answer(variant, order, choice)
    return out


def ability_from_share(share: float) -> float:
    """The ability of this model that answers about ``share`` of the module's items right (for a
    participant known only by a score, e.g. an imported sheet's)."""
    share = min(max(float(share), 0.05), 0.95)
    mean_difficulty = -0.4  # the middle of _difficulty's range
    return mean_difficulty + math.log(share / (1 - share)) / 1.7


def write_submissions(course, answers: dict, stamp: str | None = None) -> list[tuple[str, str]]:
    """Each simulated participant's submission, as ``nbgrader submit`` leaves it: the released
    notebook, a v2 ``.jawaban.json`` on their own form and ``timestamp.txt``.  No form is recorded:
    grading derives each one's form from their id, as for a participant on the hub."""
    from datetime import datetime, timezone

    from latsar.grading.import_answers import TIMESTAMP_FORMAT, write_submission

    stamp = stamp or datetime.now(timezone.utc).strftime(TIMESTAMP_FORMAT)
    for (peserta, assignment), records in sorted(answers.items()):
        write_submission(course, peserta, assignment, records, stamp)
    return sorted(answers)


FIRST = ("Ayu", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hendra", "Indah", "Joko", "Kartika",
         "Lestari", "Made", "Nur", "Oki", "Putri", "Rina", "Sri", "Taufik", "Wahyu", "Yusuf", "Zahra")
LAST = ("Santoso", "Wijaya", "Lestari", "Nugroho", "Siregar", "Hasibuan", "Saputra", "Rahmawati",
        "Pratama", "Simanjuntak", "Kusuma", "Hidayat", "Wibowo", "Setiawan", "Permana", "Utami")
INSTANSI = ("Dinas Pendidikan", "Dinas Kesehatan", "Kantor Kecamatan", "Badan Kepegawaian Daerah",
            "Dinas Kependudukan dan Pencatatan Sipil")


def roster(ids: list[str], seed: int = 2021) -> list[tuple[str, str, str, str]]:
    """A plausible class list (peserta_id, nama, kelas, instansi) for simulated participants."""
    rng = random.Random(seed)
    return [
        (peserta, f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"Angkatan {'I' if n % 2 == 0 else 'II'}",
         rng.choice(INSTANSI))
        for n, peserta in enumerate(ids)
    ]


def write_roster(rows, path: str | Path) -> Path:
    return _write_csv(path, ["peserta_id", "nama", "kelas", "instansi"], rows)


def write_sheet(rows, path: str | Path) -> Path:
    return _write_csv(path, ["peserta_id", "item_id", "pilihan"], rows)


def _write_csv(path: str | Path, header: list[str], rows) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, out.getvalue())


def first_scores(bank: ItemBank, answers: dict) -> dict[tuple[str, int], float]:
    """Percent right per (peserta, Materi Pokok) of simulated first attempts (:func:`simulate_forms`)."""
    from latsar.course import assignment_attempt

    out: dict[tuple[str, int], float] = {}
    for (peserta, assignment), records in answers.items():
        mp, attempt = assignment_attempt(assignment)
        if mp is None or attempt != 1:
            continue
        items = bank.for_materi_pokok(mp)
        right = sum(i.points for i in items if i.id in records
                    and records[i.id].choice == bank.variant(records[i.id].variant).key)
        out[(peserta, mp)] = 100 * right / sum(i.points for i in items)
    return out


def simulate_retakes(bank: ItemBank, first: dict[tuple[str, int], float], seed: int = 2021,
                     gain: float = 0.25) -> dict:
    """A retake (attempt 2, :func:`latsar.course.retake_assignment`) for every participant below 80 %
    in a Materi Pokok, ``first`` holding their first attempt's percent: on their own form for it (variants
    not seen before), each item right with probability ``min(0.95, first share + gain)`` (they re-read
    the sections: plausibly better, not always).  The same ``{(peserta, assignment): {slot: Answer}}``
    as :func:`simulate_forms`."""
    from latsar.course import MASTERY_THRESHOLD, retake_assignment
    from latsar.grading.forms import slot_variants
    from latsar.kernel.answers import Answer
    from latsar.kernel.forms import form

    rng = random.Random(f"{seed}-ulang")
    out: dict = {}
    for (peserta, mp), persen in sorted(first.items()):
        if persen >= 100 * MASTERY_THRESHOLD:
            continue
        assignment = retake_assignment(mp, 2)
        p_right = min(0.95, persen / 100 + gain)
        answers = out.setdefault((peserta, assignment), {})
        for slot, (variant, order) in form(peserta, assignment, slot_variants(bank, assignment), 2).items():
            item = bank.variant(variant)
            choice = item.key if rng.random() < p_right else rng.choice([x for x in order if x != item.key])
            answers[slot] = Answer(variant, order, choice)
    return out
