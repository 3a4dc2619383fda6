"""Simulated participants answer on their own forms, as their clicks would record it."""

import json

from click.testing import CliRunner

from latsar.cli import main
from latsar.course import PRETEST_ASSIGNMENT, assignment_attempt
from latsar.grading.forms import RECORDED, slot_variants
from latsar.kernel.answers import AnswerStore
from latsar.kernel.forms import form
from latsar.simulate import simulate_forms


def test_simulated_answers_are_on_each_participant_s_form(released):
    bank = released.item_bank
    answers = simulate_forms(bank, 12, seed=5)
    assert answers == simulate_forms(bank, 12, seed=5)
    right = total = 0
    pre_right = pre_total = 0
    for (peserta, assignment), records in answers.items():
        attempt = assignment_attempt(assignment)[1]
        mine = form(peserta, assignment, slot_variants(bank, assignment), attempt)
        for slot, record in records.items():
            assert (record.variant, record.order) == mine[slot]
            if assignment == PRETEST_ASSIGNMENT:
                pre_right += record.choice == bank.variant(record.variant).key
                pre_total += 1
                continue
            right += record.choice == bank.variant(record.variant).key
            total += 1
    assert total > 0.9 * 12 * 20 and 0.4 < right / total < 0.95
    # the pre-test too (before the lessons: fewer right than in the evaluations)
    assert pre_total > 0.9 * 12 * len(bank.pretest()) and pre_right / pre_total < right / total - 0.1
    assert sum(r.variant != s for recs in answers.values() for s, r in recs.items()) > total / 2


def test_cli_writes_v2_submissions_and_records_no_form(released_copy):
    result = CliRunner().invoke(main, ["simulate", "--course", str(released_copy.root), "--n", "3", "--kiriman"])
    assert result.exit_code == 0, result.output
    folders = sorted(p for p in released_copy.submitted.glob("*/*") if p.is_dir())
    # both evaluations and the pre-test for each of 3, and a retake (…_ulang1) for each one below 80 %
    retakes = [p for p in folders if "_ulang" in p.name]
    assert len(folders) - len(retakes) == 9
    assert {f.name for f in folders} >= {PRETEST_ASSIGNMENT}
    assert f"({len(retakes)} evaluasi ulang" in result.output
    for folder in folders:
        data = json.loads((folder / ".jawaban.json").read_text())
        assert data["format"] == "latsar-jawaban/2"
        assert (folder / f"{folder.name}.ipynb").exists() and (folder / "timestamp.txt").exists()
        assert AnswerStore(folder).records()
    assert not (released_copy.root / RECORDED).exists()  # grading derives each form from the id
    refused = CliRunner().invoke(main, ["simulate", "--course", str(released_copy.root)])
    assert refused.exit_code != 0 and "--kiriman" in refused.output
