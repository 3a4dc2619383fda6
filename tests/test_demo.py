"""`latsar demo` runs the whole pipeline and prints each participant's mastery."""

import re

import pandas as pd

from click.testing import CliRunner

from latsar.cli import main
from latsar.course import MATERI_POKOK_ASSIGNMENT, retake_assignment
from latsar.grading.forms import slot_variants
from latsar.kernel.answers import AnswerStore
from latsar.kernel.forms import form
from latsar.simulate import simulate, write_sheet


def test_demo_prints_scores_that_match_the_answer_sheet(course):
    # each row names the variant of the participant's own form; one of the three is below 80 % in both Materi Pokok
    rows = simulate(course.item_bank, 3, seed=8, forms=True)
    write_sheet(rows, course.course_data / "sample_cohort.csv")  # a small cohort keeps the test quick
    result = CliRunner().invoke(main, ["demo", "--course", str(course.root)], terminal_width=200)
    assert result.exit_code == 0, result.output
    bank = course.item_bank
    retakes = 0
    for peserta in sorted({r[0] for r in rows}):
        line = next(l for l in result.output.splitlines() if peserta in l)
        # the scores and verdicts in the participant's row, whatever the table is drawn with
        shown = re.findall(r"(\d+/10)\W+(tuntas|ulangi)", line)
        expected = []
        for mp in (1, 2):
            right = sum(1 for p, item, letter in rows
                        if p == peserta and bank.variant(item).materi_pokok == mp and letter == bank.variant(item).key)
            # below 80 %: a retake on the participant's attempt-2 form; the best attempt counts (default)
            folder = course.root / "demo" / "submitted" / peserta / retake_assignment(mp, 2)
            assert folder.is_dir() == (right < 8), (peserta, mp)
            if right < 8:
                retakes += 1
                mine = form(peserta, retake_assignment(mp, 2), slot_variants(bank, retake_assignment(mp, 2)), 2)
                records = AnswerStore(folder).records()
                assert {s: r.variant for s, r in records.items()} == {s: v for s, (v, _) in mine.items()}
                right = max(right, sum(1 for r in records.values() if r.choice == bank.variant(r.variant).key))
            expected.append((f"{right}/10", "tuntas" if right >= 8 else "ulangi"))
        assert shown == expected, line
    assert retakes > 0  # the simulated cohort has someone below 80 %
    # the two evaluations from the sheet and a simulated pre-test, for each of the 3 participants
    assert re.search(r"\bdinilai\W+9\b", result.output)
    assert re.search(rf"\bdinilai\W+{retakes}\b", result.output)
    assert (course.root / "demo" / "laporan" / "attempts.csv").is_file()
    assert re.search(r"\bgagal\W+0\b", result.output)
    assert "Materi Pokok 1:" in result.output
    # the pre-test left the scores above alone (they match the sheet) and gives the gain
    gain = pd.read_csv(course.root / "demo" / "laporan" / "gain.csv", dtype={"peserta_id": str})
    assert sorted(set(gain["peserta_id"])) == sorted({r[0] for r in rows}) and len(gain) == 6
    assert re.search(r"Materi Pokok 1: pra-tes \d+ % → evaluasi \d+ %, rata-rata gain g = -?\d,\d\d", result.output)
    # no one meets in the pre-test the variant of their evaluation (the sheet's), and the sheet's forms were recorded
    from latsar.course import Course
    from latsar.grading.forms import assigned_form

    demo = Course.at(course.root / "demo")
    for peserta in {r[0] for r in rows}:
        sheet = {bank.variant(item).slot: item for p, item, _ in rows if p == peserta}
        assert any(slot != variant for slot, variant in sheet.items())  # not the module's form
        evaluated = {slot: v for assignment in MATERI_POKOK_ASSIGNMENT.values()
                     for slot, (v, _) in assigned_form(demo.root, bank, peserta, assignment).items()}
        assert evaluated == sheet
        pre = assigned_form(demo.root, bank, peserta, "bab1_pendahuluan", 0)
        assert len(pre) == 10 and all(variant != sheet[slot] for slot, (variant, _) in pre.items()), pre
    assert "Pra-tes dan gain" in (course.root / "demo" / "laporan" / "laporan_kohort.html").read_text(encoding="utf-8")
