"""Pre/post scores and the normalised gain (latsar.report.gain)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from latsar.authoring.itembank import ItemBank
from latsar.report.gain import cohort_gain, gains
from latsar.report.stats import ReportError

from .conftest import REPO

BANK = ItemBank.load(REPO / "course_data" / "item_bank.yaml")
SLOTS = {mp: [i.id for i in BANK.for_materi_pokok(mp)] for mp in (1, 2)}


def answers(peserta: str, right: dict[int, int], slots: dict[int, list[str]] = SLOTS) -> list[dict]:
    """``right[mp]`` of the MP's ``slots`` answered right, the rest wrong."""
    return [dict(peserta_id=peserta, assignment="x", item_id=s, poin=float(n < right[mp]))
            for mp, ids in slots.items() for n, s in enumerate(ids)]


def test_gain_is_the_share_of_the_missing_part_that_was_learnt():
    pre_slots = {mp: ids[:5] for mp, ids in SLOTS.items()}  # a pre-test of 5 slots per MP
    pre = pd.DataFrame(answers("ani", {1: 1, 2: 5}, pre_slots) + answers("budi", {1: 3, 2: 2}, pre_slots))
    post = pd.DataFrame(answers("ani", {1: 9, 2: 10}) + answers("budi", {1: 4, 2: 8}) + answers("cici", {1: 9, 2: 9}))
    table = gains(pre, post, BANK).set_index(["peserta_id", "materi_pokok"])
    assert len(table) == 4  # cici has no pre-test: not in the table
    ani = table.loc[("ani", 1)]
    assert (ani["pre"], ani["post"]) == (20.0, 90.0) and ani["g"] == pytest.approx(70 / 80)
    assert math.isnan(table.loc[("ani", 2), "g"])  # pre 100 %: nothing left to gain
    assert table.loc[("budi", 1), "g"] == pytest.approx((40 - 60) / 40)  # forgot: negative


def test_cohort_gain_gives_the_mean_of_gains_and_hakes_class_gain():
    pre = pd.DataFrame(answers("a", {1: 2, 2: 0}) + answers("b", {1: 6, 2: 0}))
    post = pd.DataFrame(answers("a", {1: 6, 2: 5}) + answers("b", {1: 8, 2: 10}))
    cohort = cohort_gain(gains(pre, post, BANK)).set_index("materi_pokok")
    # MP1: g = (60 − 20)/80 = 0.5 and (80 − 60)/40 = 0.5; class: (70 − 40)/60 = 0.5
    assert cohort.loc[1, "mean_g"] == pytest.approx(0.5) and cohort.loc[1, "hake_g"] == pytest.approx(0.5)
    # MP2: g = 0.5 and 1.0; class (75 − 0)/100 = 0.75
    assert cohort.loc[2, "mean_g"] == pytest.approx(0.75) and cohort.loc[2, "hake_g"] == pytest.approx(0.75)
    assert cohort.loc[2, "n"] == 2


def test_unanswered_items_score_zero_and_unknown_items_are_refused():
    pre = pd.DataFrame(answers("a", {1: 5, 2: 5}))
    pre.loc[0, "poin"] = None
    post = pd.DataFrame(answers("a", {1: 10, 2: 10}))
    assert gains(pre, post, BANK).set_index("materi_pokok").loc[1, "pre"] == 40.0
    with pytest.raises(ReportError, match="MP9-01"):
        gains(pre.assign(item_id="MP9-01"), post, BANK)
    with pytest.raises(ReportError, match="poin"):
        gains(pre.drop(columns=["poin"]), post, BANK)
