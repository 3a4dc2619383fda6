"""`latsar demo` runs the whole pipeline and prints each participant's mastery."""

import re

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
        cells = [c.strip() for c in line.strip("│ ").split("│")]  # NIP, MP1 benar, status, MP2 benar, status
        for mp in (1, 2):
            right = sum(1 for p, item, letter in rows
                        if p == peserta and bank[item].materi_pokok == mp and letter == bank[item].key)
            assert cells[2 * mp - 1] == f"{right}/10"
            assert cells[2 * mp] == ("tuntas" if right >= 8 else "ulangi")
    assert re.search(r"│ dinilai\s+│\s+6 │", result.output)
    assert re.search(r"│ gagal\s+│\s+0 │", result.output)
    assert "Materi Pokok 1:" in result.output
