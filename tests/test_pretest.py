"""The pre-test in bab1_pendahuluan: written by sync, graded by stock nbgrader, kept out of mastery
and of the evaluations' statistics, and reported as the learning gain (issue 15, item 4)."""

from __future__ import annotations

import math

import nbformat
import openpyxl
import pandas as pd
import pytest

from latsar.authoring.notebooks import items_in, sync_notebook
from latsar.course import PRETEST_ASSIGNMENT, PRETEST_SLOTS_PER_MATERI_POKOK
from latsar.grading.forms import assigned_form, pinned, slot_variants
from latsar.kernel.forms import form
from latsar.report.tables import build_tables
from latsar.report.write import write_report
from latsar.results import scores
from latsar.simulate import peserta_ids, simulate_forms, write_submissions

from .conftest import REPO, nbgrader, released_course
from .test_report_stats import COHORT, MP1, MP2, make_bank, make_responses

BAB2 = "bab2_konsep_pelayanan_publik"
BAB3 = "bab3_berorientasi_pelayanan"
EVALUATION = {1: BAB2, 2: BAB3}


def test_the_pre_test_slots_have_one_definition():
    from latsar.authoring.itembank import ItemBank
    from latsar.course import ITEM_BANK

    bank = ItemBank.load(REPO / ITEM_BANK)
    slots = [i.id for i in bank.for_assignment(PRETEST_ASSIGNMENT)]
    assert slots == [i.id for i in bank.pretest()]
    assert slots == [i.id for mp in (1, 2) for i in bank.for_materi_pokok(mp)[:PRETEST_SLOTS_PER_MATERI_POKOK]]
    assert len(slots) == 10
    assert list(slot_variants(bank, PRETEST_ASSIGNMENT)) == slots  # grading asks the bank the same way


def test_sync_writes_the_pre_test_items_with_attempt_0(released):
    bank = released.item_bank
    wanted = [i.id for i in bank.pretest()]
    source = nbformat.read(REPO / "source" / PRETEST_ASSIGNMENT / f"{PRETEST_ASSIGNMENT}.ipynb", as_version=4)
    assert source.metadata["latsar"]["attempt"] == 0
    assert items_in(source) == wanted
    answers = [c for c in source.cells if c.metadata.get("latsar", {}).get("part") == "answer"]
    for cell in answers:
        assert f'assignment="{PRETEST_ASSIGNMENT}", attempt=0,' in cell.source
        assert cell.metadata["nbgrader"]["grade"] and cell.metadata["nbgrader"]["locked"]
    # the heading says what it is, before the course content
    text = [c.source for c in source.cells if c.cell_type == "markdown"]
    heading = next(n for n, t in enumerate(text) if t.startswith("## Pra-tes"))
    assert heading < next(n for n, t in enumerate(text) if t.startswith("## A."))
    assert "tidak** ikut menentukan ketuntasan" in text[heading]
    # the release: the items, no hidden test; the gradebook's copy: every variant's key, attempt 0
    release = nbformat.read(released.release / PRETEST_ASSIGNMENT / f"{PRETEST_ASSIGNMENT}.ipynb", as_version=4)
    assert items_in(release) == wanted
    assert not any("check(" in c.source for c in release.cells)
    from nbgrader.api import Gradebook

    with Gradebook(released.db_url) as gb:
        cells = {c.name: c.source for c in gb.find_notebook(PRETEST_ASSIGNMENT, PRETEST_ASSIGNMENT).source_cells}
    for slot in wanted:
        pins = pinned(cells[slot])
        assert pins["attempt"] == 0 and set(pins["keys"]) == {v.id for v in bank.slots[slot]}


def test_sync_refuses_a_pre_test_with_other_slots(released):
    source = nbformat.read(REPO / "source" / PRETEST_ASSIGNMENT / f"{PRETEST_ASSIGNMENT}.ipynb", as_version=4)
    source.cells = [c for c in source.cells if c.metadata.get("latsar", {}).get("item") != "MP2-05"]
    with pytest.raises(ValueError, match="soal pra-tes"):
        sync_notebook(source, released.item_bank, f"{PRETEST_ASSIGNMENT}.ipynb")


def test_no_participant_meets_their_evaluation_variant_in_the_pre_test(released):
    bank = released.item_bank
    ids = peserta_ids(40, __import__("random").Random(2021))
    for peserta in ids:
        pre = assigned_form(released.root, bank, peserta, PRETEST_ASSIGNMENT, 0)
        assert list(pre) == [i.id for i in bank.pretest()]
        for slot, (variant, _) in pre.items():
            post = assigned_form(released.root, bank, peserta, EVALUATION[bank[slot].materi_pokok], 1)
            assert post[slot][0] != variant, (peserta, slot)
            assert form(peserta, PRETEST_ASSIGNMENT, slot_variants(bank, PRETEST_ASSIGNMENT), 0)[slot][0] == variant


@pytest.fixture(scope="module")
def pretest_graded(tmp_path_factory):
    """Three simulated participants' pre-tests and evaluations, graded by stock `nbgrader autograde`."""
    course = released_course(tmp_path_factory, "pretest")
    answers = simulate_forms(course.item_bank, 3, seed=11, assignments=[PRETEST_ASSIGNMENT, BAB2, BAB3])
    write_submissions(course, answers)
    for assignment in (PRETEST_ASSIGNMENT, BAB2, BAB3):
        nbgrader(course, "autograde", assignment)
    return course, answers


def test_stock_nbgrader_autograde_grades_the_pre_test_on_each_form(pretest_graded):
    course, answers = pretest_graded
    bank = course.item_bank
    grades = scores.grade_cells(course)
    checked = 0
    for (peserta, assignment), records in answers.items():
        if assignment != PRETEST_ASSIGNMENT:
            continue
        mine = form(peserta, PRETEST_ASSIGNMENT, slot_variants(bank, PRETEST_ASSIGNMENT), 0)
        for item in bank.pretest():
            record = records.get(item.id)
            right = record is not None and record.variant == mine[item.id][0] \
                and record.choice == bank.variant(record.variant).key
            assert grades[(peserta, PRETEST_ASSIGNMENT, item.id)][0] == (1.0 if right else 0.0)
            checked += 1
    assert checked == 3 * 10
    table = scores.responses(course)
    pre = table[table["assignment"] == PRETEST_ASSIGNMENT]
    assert len(pre) == 30 and set(pre["attempt"]) == {0}
    assert pre["poin"].sum() > 0


def test_pre_test_feedback_gives_the_score_and_no_mastery_verdict(pretest_graded):
    course, _ = pretest_graded
    nbgrader(course, "generate_feedback", PRETEST_ASSIGNMENT)
    nbgrader(course, "generate_feedback", BAB2)
    pages = sorted(course.feedback.glob(f"*/{PRETEST_ASSIGNMENT}/{PRETEST_ASSIGNMENT}.html"))
    assert len(pages) == 3
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "Pra-tes:</b>" in text and "tidak ikut menentukan ketuntasan" in text
        assert "tuntas</b>" not in text and "ulangi</b>" not in text and "Baca ulang" not in text
    evaluation = next(course.feedback.glob(f"*/{BAB2}/{BAB2}.html")).read_text(encoding="utf-8")
    assert "Evaluasi Materi Pokok 1:" in evaluation  # the evaluations keep their verdict


def test_pre_test_rows_do_not_change_mastery(pretest_graded):
    course, _ = pretest_graded
    table = scores.responses(course)
    evaluations = table[table["attempt"] != 0]
    assert len(evaluations) < len(table)
    pd.testing.assert_frame_equal(scores.mastery(course, table), scores.mastery(course, evaluations))
    assert scores.mastery(course, table)["maks"].eq(10).all()  # 10 items per Materi Pokok, not 15


def with_pre(responses: pd.DataFrame, pre: dict[str, dict[str, str]]) -> pd.DataFrame:
    """``responses`` (attempt 1) and pre-test rows for ``pre`` (attempt 0), as scores.responses builds them."""
    pre_rows = make_responses(pre).assign(assignment=PRETEST_ASSIGNMENT, attempt=0)
    return pd.concat([responses.assign(attempt=1), pre_rows], ignore_index=True)


# Pre-test of two participants (post = COHORT: p1 4/4 and 3/3, p2 3/4 and 2/3):
#   p1 MP1: MP1-01 right, MP1-02 wrong → 50 %;  g = (100 − 50) / 50 = 1
#   p2 MP1: both wrong → 0 %;                    g = (75 − 0) / 100 = 0.75
#   p1 MP2: MP2-01 right → 100 %;                g undefined (nothing to gain)
#   p2 MP2: MP2-01 wrong → 0 %;                  g = (66.67 − 0) / 100 = 0.667
PRE = {"p1": {MP1[0]: "a", MP1[1]: "a", MP2[0]: "a"}, "p2": {MP1[0]: "b", MP1[1]: "", MP2[0]: "d"}}


def test_pre_test_rows_do_not_change_the_evaluations_statistics():
    bank = make_bank()
    post = make_responses(COHORT).assign(attempt=1)
    alone, both = build_tables(post, bank), build_tables(with_pre(make_responses(COHORT), PRE), bank)
    for name in ("mastery", "remedial", "items", "distractors", "test"):
        pd.testing.assert_frame_equal(getattr(alone, name), getattr(both, name), obj=name)
    assert alone.n_peserta == both.n_peserta
    assert alone.gain is None and both.gain is not None


def test_report_writes_the_gain_with_hand_checked_numbers(tmp_path):
    bank = make_bank()
    files = write_report(with_pre(make_responses(COHORT), PRE), bank, tmp_path)
    gain = pd.read_csv(files.csv["gain"], dtype={"peserta_id": str})
    rows = {(r.peserta_id, r.materi_pokok): (r.pre, r.post, r.g) for r in gain.itertuples()}
    assert set(rows) == {("p1", 1), ("p2", 1), ("p1", 2), ("p2", 2)}  # only those with both scores
    assert rows[("p1", 1)] == pytest.approx((50.0, 100.0, 1.0))
    assert rows[("p2", 1)] == pytest.approx((0.0, 75.0, 0.75))
    assert rows[("p1", 2)][:2] == pytest.approx((100.0, 100.0)) and math.isnan(rows[("p1", 2)][2])
    assert rows[("p2", 2)] == pytest.approx((0.0, 200 / 3, 2 / 3))
    cohort = pd.read_csv(files.csv["gain_cohort"]).set_index("materi_pokok")
    assert cohort.loc[1, ["n", "mean_pre", "mean_post", "mean_g", "hake_g"]].tolist() == \
        pytest.approx([2, 25.0, 87.5, 0.875, 62.5 / 75])
    assert cohort.loc[2, ["n", "mean_pre", "mean_post", "mean_g", "hake_g"]].tolist() == \
        pytest.approx([2, 50.0, 250 / 3, 2 / 3, (250 / 3 - 50) / 50])
    wb = openpyxl.load_workbook(files.excel)
    sheet = [[c.value for c in row] for row in wb["Pra-tes dan gain"].iter_rows()]
    assert sheet[0][:4] == ["NIP/ID peserta", "Materi Pokok", "Pra-tes (%)", "Evaluasi (%)"]
    assert ["p2", 1, 0, 75, 0.75] in [r[:5] for r in sheet[1:]]
    assert [c.value for c in wb["Gain kohort"][2]][:2] == [1, 2]
    assert files.plots["gain"].read_bytes().startswith(b"\x89PNG")
    page = files.html.read_text(encoding="utf-8")
    assert "<h2>Pra-tes dan gain</h2>" in page and "plot_gain.png" in page
    assert '<td class="num">0,88</td>' in page  # MP1's mean g on the page


def test_without_a_pre_test_the_report_has_no_gain_and_removes_old_gain_files(tmp_path):
    bank = make_bank()
    first = write_report(with_pre(make_responses(COHORT), PRE), bank, tmp_path)
    assert first.csv["gain"].exists()
    again = write_report(make_responses(COHORT), bank, tmp_path)
    assert "gain" not in again.csv and "gain" not in again.plots
    assert not (tmp_path / "gain.csv").exists() and not (tmp_path / "plot_gain.png").exists()
    assert "Pra-tes dan gain" not in again.html.read_text(encoding="utf-8")


def test_an_evaluation_notebook_submitted_as_the_pre_test_is_refused(released_copy):
    """The pre-test shares its slots with the evaluations; grading still tells the notebooks apart."""
    from latsar.grading.inspect import validate_submission

    course = released_copy
    for assignment, notebook in ((PRETEST_ASSIGNMENT, BAB2), (PRETEST_ASSIGNMENT, PRETEST_ASSIGNMENT), (BAB2, BAB2)):
        folder = course.submission_dir("peserta", assignment)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{assignment}.ipynb").write_bytes((course.release / notebook / f"{notebook}.ipynb").read_bytes())
        reason = validate_submission(course, "peserta", assignment, 0)
        if notebook == assignment:
            assert reason is None, (assignment, reason)
        else:
            assert reason and f"milik tugas {BAB2}, bukan {PRETEST_ASSIGNMENT}" in reason
