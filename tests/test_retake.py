"""Retakes (issue 15, item 3): a further attempt at a Materi Pokok's evaluation, its own nbgrader
assignment, on variants the participant has not seen where the bank allows it."""

import shutil

import nbformat
import pytest

from latsar.authoring.notebooks import attempt_of, item_options, items_in, sync_notebook
from latsar.course import MATERI_POKOK_ASSIGNMENT, RETAKES, assignment_attempt, attempt_assignment, retake_assignment
from latsar.grading.forms import assigned_form, slot_variants
from latsar.kernel.forms import form

from .conftest import REPO, clone, key_as_shown, nbgrader, option_buttons, released_course

RETAKE = retake_assignment(1, 2)


def test_retakes_are_attempt_2_of_each_materi_pokok():
    assert RETAKES == ("bab2_konsep_pelayanan_publik_ulang1", "bab3_berorientasi_pelayanan_ulang1")
    assert [assignment_attempt(a) for a in RETAKES] == [(1, 2), (2, 2)]


@pytest.mark.parametrize("mp", sorted(MATERI_POKOK_ASSIGNMENT))
def test_sync_writes_each_retake_with_attempt_2_and_the_ten_slots(mp, released):
    name = retake_assignment(mp, 2)
    path = REPO / "source" / name / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert attempt_of(nb) == 2
    assert items_in(nb) == [i.id for i in released.item_bank.for_materi_pokok(mp)] and len(items_in(nb)) == 10
    assert "di bawah 80 %" in nb.cells[0].source
    assert nbformat.writes(sync_notebook(nb, released.item_bank, path.name)) == nbformat.writes(nb)
    answers = [c.source for c in nb.cells if c.metadata.get("latsar", {}).get("part") == "answer"]
    assert all(f'assignment="{name}", attempt=2' in s for s in answers)
    assert name in released.assignments and (released.release / name / f"{name}.ipynb").is_file()


@pytest.mark.parametrize("attempt", range(5))
def test_each_attempt_has_one_assignment_and_back(attempt):
    for mp in MATERI_POKOK_ASSIGNMENT:
        assert assignment_attempt(attempt_assignment(mp, attempt)) == (None if attempt == 0 else mp, attempt)


def test_sync_writes_a_missing_retake(course):
    from latsar.authoring.release import sync

    shutil.rmtree(course.source / RETAKE)
    changed = sync(course)
    assert course.source_notebook(RETAKE) in changed
    assert sync(course, check_only=True) == []


def test_sync_writes_a_third_attempt_on_demand(course):
    """``latsar sync --percobaan 3``: a second retake per Materi Pokok, attempt 3, its ten slots; stays synced."""
    from click.testing import CliRunner

    from latsar.cli import main

    result = CliRunner().invoke(main, ["sync", "--percobaan", "3", "--course", str(course.root)])
    assert result.exit_code == 0, result.output
    for mp, evaluation in MATERI_POKOK_ASSIGNMENT.items():
        third = retake_assignment(mp, 3)
        assert third in course.assignments and course.source_notebook(third).is_file()
        nb = nbformat.read(course.source_notebook(third), as_version=4)
        assert attempt_of(nb) == 3 and items_in(nb) == items_in(nbformat.read(course.source_notebook(evaluation),
                                                                             as_version=4))
    again = CliRunner().invoke(main, ["sync", "--check", "--course", str(course.root)])  # kept in sync from now on
    assert again.exit_code == 0, again.output


def test_a_retake_slot_never_repeats_the_first_attempt_s_variant(released):
    bank = released.item_bank
    evaluation = MATERI_POKOK_ASSIGNMENT[1]
    assert slot_variants(bank, RETAKE) == slot_variants(bank, evaluation)
    for n in range(40):
        student = f"peserta{n:02d}"
        first = form(student, evaluation, slot_variants(bank, evaluation), 1)
        second = form(student, RETAKE, slot_variants(bank, RETAKE), 2)
        assert second.keys() == first.keys()
        assert all(second[slot][0] != first[slot][0] for slot in first), student


@pytest.fixture(scope="module")
def retaken(tmp_path_factory):
    """``ulang`` clicks the key of every item as shown on their retake form; ``lama`` answers the
    retake as if it were their first attempt's form (the variants they had already seen)."""
    from latsar.kernel.answers import choice_widget

    course = released_course(tmp_path_factory, "retake")
    bank = course.item_bank
    for student, attempt in (("ulang", 2), ("lama", 1)):
        home = course.root.parent / "home" / student / RETAKE
        shutil.copytree(course.release / RETAKE, home)
        for slot, (variant, order) in form(student, RETAKE, slot_variants(bank, RETAKE), attempt).items():
            item = bank.variant(variant)
            box = choice_widget(slot, home, item_options(item), variant=variant, order=order)
            option_buttons(box)[key_as_shown(item, order)].click()
        shutil.copytree(home, course.submission_dir(student, RETAKE))
    nbgrader(course, "autograde", RETAKE)
    return course


def test_stock_nbgrader_autograde_grades_a_retake_on_its_attempt_s_form(retaken):
    from latsar.results.scores import grade_cells

    points = {(s, c): auto for (s, a, c), (auto, _) in grade_cells(retaken).items() if a == RETAKE}
    assert len([k for k in points if k[0] == "ulang"]) == 10
    assert all(points[("ulang", i.id)] == i.points for i in retaken.item_bank.for_materi_pokok(1))
    # the first attempt's variants are not the retake's: answered on them, nothing is right
    assert sum(points[("lama", i.id)] for i in retaken.item_bank.for_materi_pokok(1)) == 0
    pinned = assigned_form(retaken.root, retaken.item_bank, "ulang", RETAKE, 2)
    assert pinned == form("ulang", RETAKE, slot_variants(retaken.item_bank, RETAKE), 2)


def test_responses_mark_retake_rows_as_attempt_2(retaken):
    from latsar.results.scores import responses

    table = responses(retaken)
    assert set(table["attempt"]) == {2} and set(table["assignment"]) == {RETAKE}


def cohort_with_a_retake(bank):
    """``gagal-lulus`` has 7/10 at the first attempt of MP1 and 9/10 at the retake; ``lulus`` 10/10 at once."""
    rows = []
    items = bank.for_materi_pokok(1)
    for student, attempt, right in (("gagal-lulus", 1, 7), ("gagal-lulus", 2, 9), ("lulus", 1, 10)):
        assignment = MATERI_POKOK_ASSIGNMENT[1] if attempt == 1 else RETAKE
        for n, item in enumerate(items):
            ok = n < right
            rows.append(dict(peserta_id=student, assignment=assignment, item_id=item.id,
                             pilihan=item.key if ok else next(x for x in "abcd" if x != item.key), benar=ok,
                             poin=float(item.points) if ok else 0.0, variant=item.id, shown_position=1,
                             attempt=attempt))
    import pandas as pd

    return pd.DataFrame(rows).astype({"attempt": "Int64", "shown_position": "Int64"})


@pytest.mark.parametrize("method, tuntas, used", [("best", True, 2), ("last", True, 2), ("first", False, 1)])
def test_mastery_follows_the_grading_method(course, method, tuntas, used):
    from latsar.results.scores import mastery

    table = mastery(course, cohort_with_a_retake(course.item_bank), method).set_index("peserta_id")
    row = table.loc["gagal-lulus"]
    assert (bool(row["tuntas"]), int(row["attempt_used"]), int(row["attempts"])) == (tuntas, used, 2)
    assert row["benar"] == (9 if used == 2 else 7) and row["method"] == method
    assert bool(table.loc["lulus", "tuntas"]) and len(table) == 2  # points of two attempts are never added


def test_the_method_is_configured_in_nbgrader_config(course):
    from latsar.results.method import configured_method
    from latsar.results.scores import mastery

    assert configured_method(course.root) == "best"
    config = course.root / "nbgrader_config.py"
    config.write_text(config.read_text(encoding="utf-8").replace('c.Mastery.method = "best"',
                                                                  'c.Mastery.method = "first"'), encoding="utf-8")
    assert configured_method(course.root) == "first"
    table = mastery(course, cohort_with_a_retake(course.item_bank)).set_index("peserta_id")
    assert not table.loc["gagal-lulus", "tuntas"] and table.loc["gagal-lulus", "method"] == "first"
    config.write_text(config.read_text(encoding="utf-8").replace('"first"', '"terbaik"'), encoding="utf-8")
    with pytest.raises(Exception, match="best"):
        configured_method(course.root)


def test_item_statistics_ignore_retake_rows_and_the_report_shows_the_history(course, tmp_path):
    from latsar.report.write import write_report

    bank = course.item_bank
    cohort = cohort_with_a_retake(bank)
    files = write_report(cohort, bank, tmp_path / "laporan", method="best")
    first_only = write_report(cohort[cohort["attempt"] == 1], bank, tmp_path / "pertama")
    for name in ("items", "distractors", "test", "variants"):
        assert files.csv[name].read_text() == first_only.csv[name].read_text(), name
    import pandas as pd

    items = pd.read_csv(files.csv["items"])
    assert set(items.loc[items["materi_pokok"] == 1, "n"]) == {2}  # two participants, not three attempts
    history = pd.read_csv(files.csv["attempts"]).set_index("peserta_id")
    assert (history.loc["gagal-lulus", "percobaan_1"], history.loc["gagal-lulus", "percobaan_2"]) == (70.0, 90.0)
    assert history.loc["gagal-lulus", "attempt_used"] == 2 and pd.isna(history.loc["lulus", "percobaan_2"])
    mastery = pd.read_csv(files.csv["mastery"]).set_index("peserta_id")
    assert bool(mastery.loc["gagal-lulus", "tuntas"]) and mastery.loc["gagal-lulus", "benar"] == 9
    page = files.html.read_text(encoding="utf-8")
    assert "Riwayat percobaan" in page and "Statistik soal memakai percobaan pertama, seperti Moodle" in page
    assert "percobaan terbaik" in page
    from openpyxl import load_workbook

    wb = load_workbook(files.excel)
    assert "Riwayat percobaan" in wb.sheetnames
    assert any("percobaan terbaik" in str(c.value) for row in wb["Petunjuk"].iter_rows() for c in row)
    assert "attempts.csv" not in {p.name for p in first_only.csv.values()}
    strict = write_report(cohort, bank, tmp_path / "first", method="first")
    assert not pd.read_csv(strict.csv["mastery"]).set_index("peserta_id").loc["gagal-lulus", "tuntas"]
    assert "percobaan pertama tiap Materi Pokok" in strict.html.read_text(encoding="utf-8")


def test_simulated_retakes_go_to_those_below_80_on_unseen_variants(released):
    from latsar.simulate import first_scores, simulate_forms, simulate_retakes

    bank = released.item_bank
    answers = simulate_forms(bank, 40, seed=3)
    first = first_scores(bank, answers)
    retakes = simulate_retakes(bank, first, seed=3)
    assert set(retakes) == {(p, retake_assignment(mp, 2)) for (p, mp), persen in first.items() if persen < 80}
    assert retakes  # someone in 40 is below 80 %
    for (peserta, assignment), records in retakes.items():
        mp, _ = assignment_attempt(assignment)
        seen = answers[(peserta, MATERI_POKOK_ASSIGNMENT[mp])]
        assert len(records) == 10 and all(records[s].variant != seen[s].variant for s in seen)


@pytest.mark.parametrize("method, rate", [("best", 1.0), ("first", 0.5)])
def test_a_group_s_mastery_rate_counts_the_attempts_the_mastery_table_counts(course, method, rate):
    """How classes compare: after a passed retake the class table and the mastery table agree."""
    import pandas as pd

    from latsar.report.tables import build_tables

    roster = pd.DataFrame({"peserta_id": ["gagal-lulus", "lulus"], "nama": ["Ani", "Budi"], "kelas": ["A", "A"]})
    tables = build_tables(cohort_with_a_retake(course.item_bank), course.item_bank, roster, method=method)
    group = tables.groups.set_index(["group_by", "group", "materi_pokok"]).loc[("kelas", "A", 1)]
    assert group["mastery_rate"] == rate == tables.mastery.query("materi_pokok == 1")["tuntas"].mean()
    assert group["n"] == 2 and group["mean_persen"] == (95.0 if method == "best" else 85.0)
    assert set(tables.mastery["nama"]) == {"Ani", "Budi"}
