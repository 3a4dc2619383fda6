"""latsar.course: which attempt a graded assignment is."""

from __future__ import annotations

import pytest

from latsar.course import MATERI_POKOK_ASSIGNMENT, PRETEST_ASSIGNMENT, assignment_attempt, retake_assignment


def test_evaluations_are_attempt_one_retakes_count_on_and_the_pretest_is_zero():
    for mp, name in MATERI_POKOK_ASSIGNMENT.items():
        assert assignment_attempt(name) == (mp, 1)
        for attempt in (2, 3, 11):
            assert assignment_attempt(retake_assignment(mp, attempt)) == (mp, attempt)
    assert retake_assignment(1, 2) == "bab2_konsep_pelayanan_publik_ulang1"
    assert assignment_attempt(PRETEST_ASSIGNMENT) == (None, 0)


@pytest.mark.parametrize("name", ["bab4_penutup", "bab2_konsep_pelayanan_publik_ulang", "bab2_konsep_pelayanan_publik_ulang0",
                                  "bab2_konsep_pelayanan_publik_ulangx", "x"])
def test_other_names_are_no_attempt(name):
    assert assignment_attempt(name) == (None, None)


def test_a_retake_is_attempt_two_or_later():
    with pytest.raises(ValueError):
        retake_assignment(1, 1)
