"""Stock nbgrader scores the clicks: full marks for the key, nothing for anything else."""

import json
import shutil

import pytest

from latsar.kernel.answers import AnswerStore
from latsar.results import scores
from latsar.authoring.notebooks import item_options
from latsar.authoring.itembank import LETTERS

from .conftest import click, click_on_form, copy_course, key_as_shown, nbgrader, participant_form

GRADED = ("bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan")


def test_key_answers_score_full_marks_through_stock_nbgrader_commands(tmp_path):
    """generate_assignment and autograde as the `nbgrader` command, in the course folder."""
    course = copy_course(tmp_path / "course")
    for assignment in GRADED:
        nbgrader(course, "generate_assignment", assignment, "--force")
        # a participant clicks the key of every item, as shown on their own form, in their own folder …
        home = tmp_path / "home" / assignment
        shutil.copytree(course.release / assignment, home)
        click_on_form(course, "peserta01", assignment, home, key_as_shown)
        # … and their folder is what gets submitted
        shutil.copytree(home, course.submission_dir("peserta01", assignment))
        nbgrader(course, "autograde", assignment, "--force")
    table = scores.responses(course)
    assert len(table) == 20
    assert table["benar"].all() and table["poin"].sum() == 20
    forms = {**participant_form(course, "peserta01", GRADED[0]), **participant_form(course, "peserta01", GRADED[1])}
    # pilihan is the canonical choice: the key of the participant's variant
    assert table.set_index("item_id")["pilihan"].to_dict() == {s: course.item_bank.variant(v).key for s, (v, _) in forms.items()}
    assert sum(v != s for s, (v, _) in forms.items()) >= 8  # most slots showed another variant than the module's


def test_unanswered_release_scores_zero(graded):
    table = scores.responses(graded)
    kosong = table[table["peserta_id"] == "kosong"]
    assert len(kosong) == 20
    assert kosong["poin"].sum() == 0
    assert (kosong["pilihan"] == "").all()


@pytest.mark.parametrize("item_id", [f"MP{mp}-{n:02d}" for mp in (1, 2) for n in range(1, 11)])
def test_only_the_key_earns_the_point(graded, item_id):
    table = scores.responses(graded).set_index(["peserta_id", "item_id"])
    key = graded.item_bank[item_id].key
    for letter in LETTERS:
        row = table.loc[(f"semua-{letter}", item_id)]
        assert row["pilihan"] == letter
        assert row["poin"] == (1.0 if letter == key else 0.0), letter
        assert bool(row["benar"]) == (letter == key)


def test_mastery_follows_the_80_percent_rule(graded):
    mastery = scores.mastery(graded).set_index(["peserta_id", "materi_pokok"])
    assert mastery.loc[("kunci", 1), "persen"] == 100.0 and mastery.loc[("kunci", 1), "tuntas"]
    assert not mastery.loc[("kosong", 2), "tuntas"]
    for (peserta, mp), row in mastery.iterrows():
        assert row["tuntas"] == (row["benar"] / row["maks"] >= 0.8)


def test_chosen_letters_are_kept_beside_the_graded_notebook(graded):
    answers = AnswerStore(graded.autograded_dir("semua-c", GRADED[0])).load()
    assert answers and set(answers.values()) == {"c"}
