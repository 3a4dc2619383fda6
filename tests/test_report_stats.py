"""Cohort analytics (latsar.report.stats) on tiny cohorts whose figures are worked out by hand below."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from latsar.results import scores
from latsar.authoring.itembank import ItemBank
from latsar.report import stats

SECTIONS = [("MP1.1", 1), ("MP1.2", 1), ("MP2.1", 2), ("MP2.2", 2)]
# item id, section, key — MP1 has 4 items, MP2 has 3.  Sections are deliberately
# not in item order (MP1-01 is in MP1.2) so remedial order must come from the module.
ITEMS = [
    ("MP1-01", "MP1.2", "a"), ("MP1-02", "MP1.1", "b"), ("MP1-03", "MP1.2", "c"), ("MP1-04", "MP1.1", "d"),
    ("MP2-01", "MP2.2", "a"), ("MP2-02", "MP2.1", "b"), ("MP2-03", "MP2.2", "c"),
]
MP1 = [i for i, _, _ in ITEMS[:4]]
MP2 = [i for i, _, _ in ITEMS[4:]]


def make_bank() -> ItemBank:
    return ItemBank.from_dict({
        "sections": [{"id": s, "materi_pokok": mp, "title": f"Bagian {s}"} for s, mp in SECTIONS],
        "items": [
            {"id": item_id, "materi_pokok": int(item_id[2]), "number": int(item_id[-2:]), "section": section,
             "tag": "uji", "stem": f"Soal {item_id} ...", "options": {k: f"opsi {k}" for k in "abcd"},
             "key": key, "points": 1, "evidence": "bukti", "explanation": "penjelasan"}
            for item_id, section, key in ITEMS
        ],
    })


KEYS = {item_id: key for item_id, _, key in ITEMS}


def make_responses(choices: dict[str, dict[str, str]]) -> pd.DataFrame:
    """responses as latsar.results.scores.responses builds them: 1 point for the key, blank = ''."""
    rows = [
        (p, "bab2" if item.startswith("MP1") else "bab3", item, letter, letter == KEYS[item],
         1.0 if letter == KEYS[item] else 0.0)
        for p, answers in choices.items() for item, letter in answers.items()
    ]
    return pd.DataFrame(rows, columns=["peserta_id", "assignment", "item_id", "pilihan", "benar", "poin"])


# The main cohort.  Score matrices (1 = key chosen):
#
#   MP1   i1 i2 i3 i4 | X        MP2   j1 j2 j3 | X
#   p1     1  1  1  1 | 4        p1     1  1  1 | 3
#   p2     1  1  1  0 | 3        p2     1  1  0 | 2
#   p3     1  0  1  0 | 2        p3     1  0  1 | 2
#   p4     0  1  0  0 | 1        p4     1  0  0 | 1
#   p5     1  0  0  0 | 1        p5     1  -  - | 1   (two blanks, still counted)
#   p6     -  0  -  0 | 0        p6     did not submit MP2
COHORT = {
    "p1": dict(zip(MP1, "abcd")) | dict(zip(MP2, "abc")),
    "p2": dict(zip(MP1, "abca")) | dict(zip(MP2, "abd")),
    "p3": dict(zip(MP1, "accb")) | dict(zip(MP2, "aac")),
    "p4": dict(zip(MP1, ["b", "b", "a", ""])) | dict(zip(MP2, "aca")),
    "p5": dict(zip(MP1, "adbc")) | dict(zip(MP2, ["a", "", ""])),
    "p6": dict(zip(MP1, ["", "d", "", "a"])),
}


@pytest.fixture
def bank() -> ItemBank:
    return make_bank()


@pytest.fixture
def responses() -> pd.DataFrame:
    return make_responses(COHORT)


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = np.logical_and.reduce([table[k] == v for k, v in where.items()])
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


# -- test statistics -------------------------------------------------------------------


def test_test_stats_by_hand(responses, bank):
    t = stats.test_stats(responses, bank).set_index("materi_pokok")
    mp1, mp2 = t.loc[1], t.loc[2]
    # MP1: X = 4,3,2,1,1,0; mean 11/6, median (2+1)/2, ΣX² = 31
    # population var = 31/6 − (11/6)² = 65/36; sample var = 65/36 · 6/5 = 13/6
    assert (mp1["n"], mp1["k"]) == (6, 4)
    assert mp1["mean"] == pytest.approx(11 / 6)
    assert mp1["median"] == 1.5
    assert mp1["sd"] == pytest.approx(math.sqrt(13 / 6))
    # p_i = 4/6, 3/6, 3/6, 1/6 → Σ p q = (8 + 9 + 9 + 5)/36 = 31/36
    # KR-20 = 4/3 · (1 − (31/36)/(65/36)) = 4/3 · 34/65 = 136/195
    assert mp1["kr20"] == pytest.approx(136 / 195)
    assert mp1["alpha"] == pytest.approx(136 / 195)  # α = KR-20 for 0/1 items
    # SEM = sqrt(13/6) · sqrt(59/195) = sqrt(767/1170) ≈ 0.80966
    assert mp1["sem"] == pytest.approx(math.sqrt(767 / 1170))
    assert mp1["mastery_rate"] == pytest.approx(1 / 6)  # only p1 has ≥ 3.2 of 4
    # bias-corrected G1 and excess G2 (pandas' estimators), written out
    x = np.array([4, 3, 2, 1, 1, 0.0])
    n, d = len(x), x - x.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    assert mp1["skewness"] == pytest.approx(math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5)
    assert mp1["kurtosis"] == pytest.approx((n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * m4 / m2**2 - 3 * (n - 1)))
    # MP2 (p6 absent): X = 3,2,2,1,1; sample var X = (19 − 5·1.8²)/4 = 0.7
    # item sample vars 0, 0.3, 0.3 → α = 3/2 · (1 − 0.6/0.7) = 3/14
    # KR-20: Σpq = 0 + .24 + .24 = .48, population var X = .56 → 3/2 · (1 − 6/7) = 3/14
    assert (mp2["n"], mp2["k"]) == (5, 3)
    assert mp2["alpha"] == pytest.approx(3 / 14)
    assert mp2["kr20"] == pytest.approx(3 / 14)
    assert mp2["sem"] == pytest.approx(math.sqrt(0.7 * 11 / 14))  # ≈ 0.74162
    assert mp2["mastery_rate"] == pytest.approx(0.2)
    assert mp2["median"] == 2.0
    assert (t["note"] == "").all()


def test_alpha_equals_kr20_on_random_binary_items(bank):
    rng = np.random.default_rng(7)
    ability = rng.normal(size=40)
    choices = {}
    for p in range(40):
        right = rng.random(7) < 1 / (1 + np.exp(-(ability[p] - rng.normal(size=7))))
        choices[f"r{p:02d}"] = {i: (KEYS[i] if ok else ("" if KEYS[i] == "a" else "a")) for i, ok in zip(KEYS, right)}
    t = stats.test_stats(make_responses(choices), bank)
    np.testing.assert_allclose(t["alpha"], t["kr20"], rtol=1e-12)
    assert t["alpha"].notna().all()


# -- mastery and near_cut --------------------------------------------------------------


def test_mastery_and_near_cut(responses, bank):
    m = stats.mastery(responses, bank)
    assert list(m.columns) == ["peserta_id", "materi_pokok", "benar", "maks", "persen", "tuntas", "near_cut"]
    got = {(r.peserta_id, r.materi_pokok): (r.benar, r.maks, r.persen, r.tuntas, r.near_cut) for r in m.itertuples()}
    assert got == {
        # MP1: cut 0.8·4 = 3.2, SEM ≈ 0.80966: |4−3.2| = 0.8 ≤ SEM (near), |3−3.2| = 0.2 (near), |2−3.2| = 1.2 (not)
        # (with the population SD the SEM would be 0.739 and p1 would not be near the cut)
        ("p1", 1): (4, 4, 100.0, True, True),
        ("p2", 1): (3, 4, 75.0, False, True),
        ("p3", 1): (2, 4, 50.0, False, False),
        ("p4", 1): (1, 4, 25.0, False, False),
        ("p5", 1): (1, 4, 25.0, False, False),
        ("p6", 1): (0, 4, 0.0, False, False),
        # MP2: cut 2.4, SEM ≈ 0.74162: 3 → 0.6 (near), 2 → 0.4 (near), 1 → 1.4 (not)
        ("p1", 2): (3, 3, 100.0, True, True),
        ("p2", 2): (2, 3, 66.7, False, True),
        ("p3", 2): (2, 3, 66.7, False, True),
        ("p4", 2): (1, 3, 33.3, False, False),
        ("p5", 2): (1, 3, 33.3, False, False),  # blanks count as wrong, p5 is still in MP2
        # p6 did not submit MP2: absent, not a zero
    }
    assert m["tuntas"].dtype == bool and m["near_cut"].dtype == bool


def test_mastery_agrees_with_scores_module(responses, bank):
    ours = stats.mastery(responses, bank)
    theirs = scores.mastery(SimpleNamespace(item_bank=bank), responses)
    assert set(theirs["attempts"]) == set(theirs["attempt_used"]) == {1}  # one attempt each: no retakes here
    ours = ours.drop(columns="near_cut").reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs[ours.columns].reset_index(drop=True), check_dtype=False)


# -- remedial ------------------------------------------------------------------------


def test_remedial_in_module_order(responses, bank):
    r = stats.remedial(responses, bank)
    assert list(r.columns) == ["peserta_id", "materi_pokok", "section_id", "section", "n_wrong"]
    got = {p: list(zip(g["section_id"], g["n_wrong"])) for p, g in r.groupby("peserta_id", sort=True)}
    assert got == {
        # p4 got MP1-01 (MP1.2) wrong before MP1-04 (MP1.1), yet MP1.1 comes first
        "p2": [("MP1.1", 1), ("MP2.2", 1)],
        "p3": [("MP1.1", 2), ("MP2.1", 1)],
        "p4": [("MP1.1", 1), ("MP1.2", 2), ("MP2.1", 1), ("MP2.2", 1)],
        "p5": [("MP1.1", 2), ("MP1.2", 1), ("MP2.1", 1), ("MP2.2", 1)],  # blanks are wrong
        "p6": [("MP1.1", 2), ("MP1.2", 2)],  # no MP2 rows: nothing to re-read there
    }  # p1: nothing wrong, no rows
    assert row(r, peserta_id="p4", section_id="MP1.2")["section"] == "MP1.2 Bagian MP1.2"
    assert list(r["peserta_id"]) == sorted(r["peserta_id"])


# -- item analysis -------------------------------------------------------------------


def test_item_statistics_by_hand(responses, bank):
    it = stats.items(responses, bank)
    assert list(it["item_id"]) == [i for i, _, _ in ITEMS]
    i1 = row(it, item_id="MP1-01")
    # MP1-01: x = 1,1,1,0,1,0; rest = X − x = 3,2,1,1,0,0
    #   x̄ = 2/3, rest mean = 7/6
    #   Σ(x−x̄)(r−r̄) = Σxr − n·x̄·r̄ = (3+2+1) − 6·(2/3)(7/6) = 6 − 14/3 = 4/3
    #   Σ(x−x̄)² = n·p·q = 6·(2/3)(1/3) = 4/3;  Σ(r−r̄)² = (9+4+1+1) − 6·(7/6)² = 15 − 49/6 = 41/6
    #   r = (4/3)/sqrt(4/3 · 41/6) = (4/3)/(sqrt(82)/3) = 4/sqrt(82) → index 44.17
    assert i1["n"] == 6
    assert i1["facility"] == pytest.approx(2 / 3)
    assert i1["sd"] == pytest.approx(math.sqrt((4 / 3) / 5))  # sample SD
    assert i1["discrimination_index"] == pytest.approx(100 * 4 / math.sqrt(82))
    # efficiency: sorted x = 0,0,1,1,1,1 against sorted rest = 0,0,1,1,2,3:
    #   Σ = 1+1+2+3 = 7 → C_max·(n−1) = 7 − 14/3 = 7/3;  100 · (4/3)/(7/3) = 400/7 = 57.14
    assert i1["discriminative_efficiency"] == pytest.approx(400 / 7)
    # upper–lower: g = ceil(0.27·6) = 2; by (X, peserta_id): p6(0) p4(1) p5(1) p3(2) p2(3) p1(4)
    #   lower = p6, p4 → 0/2 correct; upper = p2, p1 → 2/2; D = 1.0
    #   (the tie p4/p5 matters: p5 first would give 0.5)
    assert i1["d_upper_lower"] == pytest.approx(1.0)
    assert not i1["review"] and i1["review_reason"] == "" and i1["note"] == ""
    i2 = row(it, item_id="MP1-02")  # x = 1,1,0,1,0,0: lower p6,p4 → 0.5; upper p2,p1 → 1.0
    assert i2["d_upper_lower"] == pytest.approx(0.5)
    i4 = row(it, item_id="MP1-04")
    # x = 1,0,0,0,0,0; rest = 3,3,2,1,1,0: cov = 3 − 6·(1/6)(10/6) = 4/3, Σx² dev = 5/6,
    # Σrest² dev = 24 − 100/6 = 22/3 → r = (4/3)/sqrt(55/9) = 4/sqrt(55) = 0.539
    assert i4["discrimination_index"] == pytest.approx(100 * 4 / math.sqrt(55))
    assert i4["review"] and i4["review_reason"] == "terlalu sulit (facility < 0.30)"
    j2 = row(it, item_id="MP2-02")
    # x = 1,1,0,0,0; rest = 2,1,2,1,1: cov = 3 − 5·0.4·1.4 = 0.2; Σdx² = 1.2; Σdr² = 11 − 9.8 = 1.2
    # r = 0.2/1.2 → 16.7 < 20
    assert j2["n"] == 5
    assert j2["discrimination_index"] == pytest.approx(100 / 6)
    assert j2["review_reason"] == "daya beda rendah (< 20)"


def test_constant_column_gives_nan_and_note(responses, bank):
    it = stats.items(responses, bank)
    j1 = row(it, item_id="MP2-01")  # everybody right: no variance
    assert j1["facility"] == 1.0 and j1["sd"] == 0.0
    assert math.isnan(j1["discrimination_index"]) and math.isnan(j1["discriminative_efficiency"])
    assert j1["note"] == "tidak terdefinisi (skor konstan)"
    assert j1["review_reason"] == "terlalu mudah (facility > 0.90)"  # not flagged for discrimination


def test_negative_discrimination_flagged(bank):
    # i1 = 0,0,1,1 while rest = 3,2,0,0: cov = 0 − 4·0.5·1.25 = −2.5; Σdx² = 1; Σdr² = 13 − 6.25 = 6.75
    # r = −2.5/sqrt(6.75) = −0.9623
    choices = {
        "q1": dict(zip(MP1, "bbcd")), "q2": dict(zip(MP1, "bbca")),
        "q3": dict(zip(MP1, "aaaa")), "q4": dict(zip(MP1, "aaaa")),
    }
    i1 = row(stats.items(make_responses(choices), bank), item_id="MP1-01")
    assert i1["discrimination_index"] == pytest.approx(-250 / math.sqrt(6.75))
    assert i1["review_reason"] == "daya beda negatif"


def test_upper_lower_group_size_is_exact(bank):
    # 900 participants: s657…s899 answer everything right (X = 4), s000…s656 only MP1-02 (X = 1).
    # g = ceil(0.27·900) = 243, but 0.27·900 is 243.00000000000003 in floats, whose ceiling is 244.
    # upper = s657…s899, all right on MP1-01 → 1; lower all wrong → D = 1.0 (with g = 244, 243/244).
    choices = {f"s{k:03d}": (dict(zip(MP1, "abcd")) if k >= 657 else dict(zip(MP1, "bbaa"))) for k in range(900)}
    i1 = row(stats.items(make_responses(choices), bank), item_id="MP1-01")
    assert i1["d_upper_lower"] == 1.0


def test_item_nobody_answered(responses, bank):
    partial = responses[responses["item_id"] != "MP1-04"]
    it = stats.items(partial, bank)
    i4 = row(it, item_id="MP1-04")
    assert i4["n"] == 0 and math.isnan(i4["facility"]) and math.isnan(i4["discrimination_index"])
    assert i4["note"] == "tidak ada respons untuk soal ini" and not i4["review"]
    t = stats.test_stats(partial, bank).set_index("materi_pokok")
    assert t.loc[1, "k"] == 3 and np.isfinite(t.loc[1, "alpha"])
    m = stats.mastery(partial, bank)
    assert (m.loc[m["materi_pokok"] == 1, "maks"] == 4).all()  # maks stays the bank's
    d = stats.distractors(partial, bank)
    assert d.loc[d["item_id"] == "MP1-04", "count"].sum() == 0


# -- distractors ------------------------------------------------------------------------


def test_distractors_by_hand(responses, bank):
    d = stats.distractors(responses, bank)
    assert len(d) == 7 * 5
    assert list(d.loc[d["item_id"] == "MP1-01", "option"]) == ["a", "b", "c", "d", "kosong"]
    i1 = d[d["item_id"] == "MP1-01"].set_index("option")
    # chosen: a a a b a '' → a 4, b 1, c 0, d 0, kosong 1 of 6
    assert list(i1["count"]) == [4, 1, 0, 0, 1]
    np.testing.assert_allclose(i1["proportion"], [4 / 6, 1 / 6, 0, 0, 1 / 6])
    assert list(i1["is_key"]) == [True, False, False, False, False]
    # rest = 3,2,1,1,0,0 (mean 7/6, Σdev² = 41/6).  b = p4 only: Σ I·dev = 1 − 7/6 = −1/6,
    # Σ(I − Ī)² = 1·5/6 → r = (−1/6)/sqrt(5/6 · 41/6) = −1/sqrt(205)
    assert i1.loc["b", "rest_correlation"] == pytest.approx(-1 / math.sqrt(205))
    assert i1.loc["kosong", "rest_correlation"] == pytest.approx(-7 / math.sqrt(205))  # p6: 0 − 7/6
    assert i1.loc["a", "rest_correlation"] == pytest.approx(4 / math.sqrt(82))  # the key: = index / 100
    assert math.isnan(i1.loc["c", "rest_correlation"])
    # c, d chosen by 0 % < 5 %; b is chosen by low scorers; kosong and the key are never "distractors"
    assert list(i1["non_functioning"]) == [False, False, True, True, False]
    i2 = d[d["item_id"] == "MP1-02"].set_index("option")
    # chosen: b b c b d d; rest = 3,2,2,0,1,0 (mean 4/3, Σdev² = 18 − 32/3 = 22/3)
    # c = p3 (rest 2): Σ I·dev = 2 − 4/3 = 2/3 > 0 → r = (2/3)/sqrt(5/6 · 22/3) = 2/sqrt(55): attracts stronger ones
    # d = p5, p6: Σ I·dev = 1 − 8/3 = −5/3; Σ(I−Ī)² = 2·4/6 = 4/3 → r = −5/sqrt(88)
    assert list(i2["count"]) == [0, 3, 1, 2, 0]
    assert i2.loc["c", "rest_correlation"] == pytest.approx(2 / math.sqrt(55))
    assert i2.loc["d", "rest_correlation"] == pytest.approx(-5 / math.sqrt(88))
    assert list(i2["non_functioning"]) == [True, False, True, False, False]


# -- extremes -------------------------------------------------------------------------


def test_perfect_scores(bank):
    choices = {f"p{k}": dict(KEYS) for k in range(5)}
    resp = make_responses(choices)
    m = stats.mastery(resp, bank)
    assert (m["persen"] == 100.0).all() and m["tuntas"].all() and not m["near_cut"].any()
    assert list(m["benar"]) == [4, 3] * 5
    t = stats.test_stats(resp, bank)
    assert (t["sd"] == 0).all() and t["alpha"].isna().all() and t["sem"].isna().all()
    assert t["note"].str.contains("skor total konstan").all()
    assert (t["mastery_rate"] == 1.0).all()
    it = stats.items(resp, bank)
    assert (it["facility"] == 1.0).all() and it["discrimination_index"].isna().all()
    assert (it["note"] == "tidak terdefinisi (skor konstan)").all()
    assert (it["d_upper_lower"] == 0).all()
    assert stats.remedial(resp, bank).empty


def test_all_wrong(bank):
    choices = {f"p{k}": {i: ("" if k % 2 else ("b" if KEYS[i] == "a" else "a")) for i in KEYS} for k in range(4)}
    resp = make_responses(choices)
    m = stats.mastery(resp, bank)
    assert (m["persen"] == 0.0).all() and not m["tuntas"].any() and len(m) == 8
    r = stats.remedial(resp, bank)
    assert list(zip(r["section_id"], r["n_wrong"]))[:4] == [("MP1.1", 2), ("MP1.2", 2), ("MP2.1", 1), ("MP2.2", 2)]
    assert len(r) == 4 * 4
    it = stats.items(resp, bank)
    assert (it["facility"] == 0).all()
    assert (it["review_reason"] == "terlalu sulit (facility < 0.30)").all()
    d = stats.distractors(resp, bank)
    assert (d.loc[d["option"] == "kosong", "count"] == 2).all()


# -- groups and roster -------------------------------------------------------------------


def test_groups_and_roster_mismatch(responses, bank):
    roster = pd.DataFrame({
        "peserta_id": ["p1", "p2", "p3", "p4", "p5", "p7"],  # p6 missing, p7 never submitted
        "kelas": ["A", "A", "A", "B", "B", "B"],
    })
    mismatch = stats.roster_mismatch(responses, roster)
    assert mismatch.not_in_roster == ["p6"] and mismatch.no_responses == ["p7"]
    g = stats.groups(responses, bank, roster, "kelas")
    assert list(g.columns) == ["kelas", "materi_pokok", "n", "mean_persen", "mastery_rate", "near_cut_count", "n_absent"]
    a1 = row(g, kelas="A", materi_pokok=1)  # 100, 75, 50 → 75.0; p1 tuntas; p1, p2 near the cut
    assert (a1["n"], a1["mean_persen"], a1["near_cut_count"], a1["n_absent"]) == (3, 75.0, 2, 0)
    assert a1["mastery_rate"] == pytest.approx(1 / 3)
    b1 = row(g, kelas="B", materi_pokok=1)  # p4, p5 at 25 %; p7 absent
    assert (b1["n"], b1["mean_persen"], b1["mastery_rate"], b1["near_cut_count"], b1["n_absent"]) == (2, 25.0, 0, 0, 1)
    a2 = row(g, kelas="A", materi_pokok=2)  # (100 + 66.67 + 66.67)/3 = 77.8; all three near 2.4
    assert (a2["n"], a2["mean_persen"], a2["near_cut_count"]) == (3, 77.8, 3)
    # p6 is not silently dropped: a NaN group holds them
    stray = g[g["kelas"].isna()].set_index("materi_pokok")
    assert stray.loc[1, "n"] == 1 and stray.loc[1, "mean_persen"] == 0.0
    assert stray.loc[2, "n"] == 0
    assert g["n"].sum() == len(stats.mastery(responses, bank))


def test_roster_errors(responses, bank):
    with pytest.raises(stats.ReportError, match="ganda"):
        stats.groups(responses, bank, pd.DataFrame({"peserta_id": ["p1", "p1"], "kelas": ["A", "B"]}), "kelas")
    with pytest.raises(stats.ReportError, match="instansi"):
        stats.groups(responses, bank, pd.DataFrame({"peserta_id": ["p1"], "kelas": ["A"]}), "instansi")


# -- errors and plumbing ---------------------------------------------------------------


@pytest.mark.parametrize("table", ["mastery", "remedial", "items", "distractors", "test_stats"])
def test_empty_cohort_raises(bank, table):
    empty = make_responses({})
    with pytest.raises(stats.ReportError, match="^Tidak ada data respons: ") as info:
        getattr(stats, table)(empty, bank)
    assert isinstance(info.value, ValueError)


def test_empty_cohort_raises_for_groups_and_roster(bank):
    empty, roster = make_responses({}), pd.DataFrame({"peserta_id": ["p1"], "kelas": ["A"]})
    with pytest.raises(stats.ReportError, match="^Tidak ada data respons: "):
        stats.groups(empty, bank, roster, "kelas")
    with pytest.raises(stats.ReportError, match="^Tidak ada data respons: "):
        stats.roster_mismatch(empty, roster)


def test_bad_input_is_named(responses, bank):
    with pytest.raises(stats.ReportError, match="MP9-01"):
        stats.items(pd.concat([responses, responses.iloc[:1].assign(item_id="MP9-01")]), bank)
    with pytest.raises(stats.ReportError, match="ganda.*p1"):
        stats.items(pd.concat([responses, responses.iloc[:1]]), bank)
    with pytest.raises(stats.ReportError, match="'e'"):
        stats.items(responses.assign(pilihan=responses["pilihan"].replace("a", "e")), bank)


def test_cohort_reuse_gives_same_tables(responses, bank):
    cohort = stats.prepare(responses, bank)
    for name in ("mastery", "remedial", "items", "distractors", "test_stats"):
        pd.testing.assert_frame_equal(getattr(stats, name)(cohort, bank), getattr(stats, name)(responses, bank))


def test_letters_normalised_and_blank_scores_zero(bank):
    resp = make_responses({"x1": dict(zip(MP1, "abcd")), "x2": dict(zip(MP1, "bbcd"))})
    resp.loc[0, "pilihan"] = " A "
    resp.loc[4, ["pilihan", "poin", "benar"]] = [None, 1.0, True]  # a blank can never score
    m = stats.mastery(resp, bank).set_index("peserta_id")
    assert m.loc["x1", "benar"] == 4 and m.loc["x2", "benar"] == 3  # not 4: the blank scores 0
    d = stats.distractors(resp, bank)
    assert row(d, item_id="MP1-01", option="kosong")["count"] == 1
