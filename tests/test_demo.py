"""`latsar demo` runs the whole pipeline and prints each participant's mastery."""

import re

import pandas as pd

from click.testing import CliRunner

from latsar.cli import main
from latsar.simulate import simulate, write_sheet


def test_demo_prints_scores_that_match_the_answer_sheet(course):
    rows = simulate(course.item_bank, 3, seed=7)
    write_sheet(rows, course.course_data / "sample_cohort.csv")  # a small cohort keeps the test quick
    result = CliRunner().invoke(main, ["demo", "--course", str(course.root)], terminal_width=200)
    assert result.exit_code == 0, result.output
    bank = course.item_bank
    for peserta in sorted({r[0] for r in rows}):
        line = next(l for l in result.output.splitlines() if peserta in l)
        # the scores and verdicts in the participant's row, whatever the table is drawn with
        shown = re.findall(r"(\d+/10)\W+(tuntas|ulangi)", line)
        expected = []
        for mp in (1, 2):
            right = sum(1 for p, item, letter in rows
                        if p == peserta and bank[item].materi_pokok == mp and letter == bank[item].key)
            expected.append((f"{right}/10", "tuntas" if right >= 8 else "ulangi"))
        assert shown == expected, line
    # the two evaluations from the sheet and a simulated pre-test, for each of the 3 participants
    assert re.search(r"\bdinilai\W+9\b", result.output)
    assert re.search(r"\bgagal\W+0\b", result.output)
    assert "Materi Pokok 1:" in result.output
    # the pre-test left the scores above alone (they match the sheet) and gives the gain
    gain = pd.read_csv(course.root / "demo" / "laporan" / "gain.csv", dtype={"peserta_id": str})
    assert sorted(set(gain["peserta_id"])) == sorted({r[0] for r in rows}) and len(gain) == 6
    assert re.search(r"Materi Pokok 1: pra-tes \d+ % → evaluasi \d+ %, rata-rata gain g = -?\d\.\d\d", result.output)
    # no one meets in the pre-test the variant of their evaluation (here the module item: the sheet's form)
    from latsar.course import Course
    from latsar.grading.forms import assigned_form

    demo = Course.at(course.root / "demo")
    for peserta in {r[0] for r in rows}:
        pre = assigned_form(demo.root, bank, peserta, "bab1_pendahuluan", 0)
        assert len(pre) == 10 and all(variant != slot for slot, (variant, _) in pre.items()), pre
    assert "Pra-tes dan gain" in (course.root / "demo" / "laporan" / "laporan_kohort.html").read_text(encoding="utf-8")
