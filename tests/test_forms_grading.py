"""Grading on each participant's form: the form is the instructor's, never the answer file's."""

import json
import shutil

import pytest

from latsar.grading import batch as autograde
from latsar.grading.import_answers import import_answers
from latsar.grading.options import grading_config
from latsar.grading.sanitize import read_record
from latsar.kernel.forms import LETTERS
from latsar.results import scores
from latsar.simulate import simulate_forms, write_sheet, write_submissions

from .conftest import click_scores, clone, click_on_form, key_as_shown, nbgrader, participant_form, released_course

BAB2 = "bab2_konsep_pelayanan_publik"
grades = scores.grade_cells


def submit(course, student, pick):
    """``student`` clicks in their own folder (a copy of the release) and submits it."""
    home = course.root.parent / "home" / student / BAB2
    shutil.copytree(course.release / BAB2, home)
    click_on_form(course, student, BAB2, home, pick)
    shutil.copytree(home, course.submission_dir(student, BAB2))
    return home


def forge(course, student, edit):
    """As an attacker: edit ``.jawaban.json`` in the submission."""
    path = course.submission_dir(student, BAB2) / ".jawaban.json"
    data = json.loads(path.read_text())
    edit(data["answers"])
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def forms_cohort(tmp_path_factory):
    course = released_course(tmp_path_factory, "forms")
    bank = course.item_bank
    submit(course, "jujur", key_as_shown)
    # the module's printed key, read as the letters on screen
    submit(course, "kunci-modul", lambda item, order: bank[item.slot].key)
    submit(course, "palsu", key_as_shown)
    form = participant_form(course, "palsu", BAB2)
    # another variant (one the participant was not given), with that variant's key
    other = {slot: next(v for v in bank.slots[slot] if v.id != variant) for slot, (variant, _) in form.items()}
    flipped = {slot: order[::-1] for slot, (_, order) in form.items()}

    def edit(answers):
        answers["MP1-01"] = {"variant": other["MP1-01"].id, "order": "abcd", "choice": other["MP1-01"].key}
        answers["MP1-02"]["order"] = flipped["MP1-02"]  # another order, the same canonical choice
        answers["MP1-03"] = {"variant": "MP9-99", "order": "abcd", "choice": "a"}
    forge(course, "palsu", edit)
    write_submissions(course, simulate_forms(bank, 2, seed=7, assignments=[BAB2]))  # `latsar simulate --kiriman`
    # a paper exam on variants the derived form would not give: the sheet's form is the one graded
    import_answers(write_sheet(paper_sheet(course), course.root.parent / "kertas.csv"), course)
    return course


def paper_sheet(course):
    """``kertas`` sat, on paper, each slot's variant after the derived one; all right but MP1-10."""
    bank = course.item_bank
    rows = []
    for slot, (variant, _) in participant_form(course, "kertas", BAB2).items():
        ids = [v.id for v in bank.slots[slot]]
        on_paper = bank.variant(ids[(ids.index(variant) + 1) % len(ids)])
        wrong = next(x for x in LETTERS if x != on_paper.key)
        rows.append(("kertas", on_paper.id, wrong if slot == "MP1-10" else on_paper.key))
    return rows


@pytest.fixture(scope="module")
def graded_forms(forms_cohort, tmp_path_factory):
    course = clone(forms_cohort, tmp_path_factory.mktemp("forms-graded") / "course")
    batch = autograde.run(course, grading_config(workers=2))
    assert len(batch.graded) == 6 and not batch.failed
    return course


def item_scores(course, student):
    return {cell: auto for (s, a, cell), (auto, _) in grades(course).items() if s == student and cell.startswith("MP")}


def test_the_key_on_one_s_own_form_scores_full_marks_unflagged(graded_forms):
    assert set(item_scores(graded_forms, "jujur").values()) == {1.0}
    assert read_record(graded_forms.autograded_dir("jujur", BAB2))["status"] == "graded"


def test_the_printed_module_key_does_not_give_tuntas(graded_forms):
    got = sum(item_scores(graded_forms, "kunci-modul").values())
    assert got < 8, got  # near chance: far from the 80 % of tuntas


def test_a_forged_answer_file_is_scored_on_the_assigned_form_and_flagged(graded_forms):
    got = item_scores(graded_forms, "palsu")
    assert got["MP1-01"] == 0.0  # answered a question they were not given
    assert got["MP1-02"] == 1.0  # another order, the assigned variant: the canonical choice counts
    assert got["MP1-03"] == 0.0
    assert [got[f"MP1-{n:02d}"] for n in range(4, 11)] == [1.0] * 7
    record = read_record(graded_forms.autograded_dir("palsu", BAB2))
    assert record["status"] == "flagged"
    assert "varian soal lain" in record["reason"] and "MP1-01" in record["reason"] and "MP1-03" in record["reason"]
    assert "urutan pilihan lain" in record["reason"] and "MP1-02" in record["reason"]
    flagged = scores.review(graded_forms)
    assert "palsu" in set(flagged["peserta_id"]) if "peserta_id" in flagged else True


def test_stock_nbgrader_autograde_gives_the_same_grades_on_forms(forms_cohort, graded_forms, tmp_path):
    stock = clone(forms_cohort, tmp_path / "stock")
    nbgrader(stock, "autograde", BAB2)
    assert grades(stock) == grades(graded_forms)
    assert read_record(stock.autograded_dir("palsu", BAB2))["status"] == "flagged"
    assert read_record(stock.autograded_dir("jujur", BAB2))["status"] == "graded"


def test_the_hidden_test_alone_scores_the_assigned_form(graded_forms):
    """Without reconcile's correction: the kernel's check already gave every item its click score."""
    import nbformat

    nb = nbformat.read(graded_forms.autograded_dir("palsu", BAB2) / f"{BAB2}.ipynb", as_version=4)
    form = participant_form(graded_forms, "palsu", BAB2)
    for cell in nb.cells:
        slot = cell.metadata.get("nbgrader", {}).get("grade_id")
        if slot in form:
            variant, order = form[slot]
            assert f'variant="{variant}", order="{order}"' in cell.source
    record = read_record(graded_forms.autograded_dir("palsu", BAB2))
    assert "dikoreksi" not in record["reason"]
    assert LETTERS == "abcd"


def test_responses_name_the_variant_and_the_position_shown(graded_forms):
    table = scores.responses(graded_forms)
    mine = table[table["peserta_id"] == "jujur"].set_index("item_id")
    bank = graded_forms.item_bank
    for slot, (variant, order) in participant_form(graded_forms, "jujur", BAB2).items():
        row = mine.loc[slot]
        assert row["variant"] == variant and row["pilihan"] == bank.variant(variant).key and row["benar"]
        assert row["shown_position"] == order.index(row["pilihan"]) + 1
    assert mine["shown_position"].nunique() > 1  # the key is not always in the same place


def test_simulated_submissions_on_forms_are_graded_on_their_clicks_unflagged(graded_forms):
    simulated = sorted({s for (s, a, c) in grades(graded_forms)} - {"jujur", "kunci-modul", "palsu", "kertas"})
    assert len(simulated) == 2
    for student in simulated:
        assert item_scores(graded_forms, student) == click_scores(graded_forms, student, BAB2)
        assert read_record(graded_forms.autograded_dir(student, BAB2))["status"] == "graded"


def test_an_imported_sheet_is_graded_on_the_variants_it_names_unflagged(graded_forms):
    """``latsar import-answers``: the sheet names variants; they, not the derived form, are scored."""
    sheet = {graded_forms.item_bank.variant(item).slot: (item, letter) for _, item, letter in paper_sheet(graded_forms)}
    assert item_scores(graded_forms, "kertas") == {slot: 0.0 if slot == "MP1-10" else 1.0 for slot in sheet}
    assert read_record(graded_forms.autograded_dir("kertas", BAB2))["status"] == "graded"
    table = scores.responses(graded_forms)
    mine = table[table["peserta_id"] == "kertas"].set_index("item_id")
    assert {slot: (row["variant"], row["pilihan"]) for slot, row in mine.iterrows()} == sheet
    assert set(mine["shown_position"]) == {"abcd".index(letter) + 1 for _, letter in sheet.values()}
