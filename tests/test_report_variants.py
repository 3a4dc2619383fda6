"""Statistics per variant and the position-bias check (latsar.report.variants)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from latsar.authoring.itembank import ItemBank
from latsar.report.stats import ReportError
from latsar.report.variants import chi2_sf_3, holm, position_bias, two_proportion_p, variants

from .conftest import REPO

BANK = ItemBank.load(REPO / "course_data" / "item_bank.yaml")
HARD = "MP1-03-v2"


def cohort(n: int = 300, seed: int = 7, hard: str | None = HARD, position_weights=(1, 1, 1, 1)) -> pd.DataFrame:
    """n participants answer every slot on one of its variants (in turn); ability drives success,
    and ``hard`` is much harder than its siblings."""
    rng = np.random.default_rng(seed)
    weights = np.array(position_weights, dtype=float) / sum(position_weights)
    rows = []
    for p in range(n):
        ability = rng.normal()
        for s, (slot, siblings) in enumerate(BANK.slots.items()):
            item = siblings[(p + s) % len(siblings)]
            chance = 1 / (1 + math.exp(-(ability + (-2.5 if item.id == hard else 1.0))))
            right = bool(rng.random() < chance)
            rows.append(dict(peserta_id=f"p{p:03d}", assignment="x", item_id=slot, variant=item.id,
                             pilihan=item.key if right else next(o for o in "abcd" if o != item.key),
                             benar=right, poin=float(right),
                             shown_position=int(rng.choice(4, p=weights)) + 1))
    return pd.DataFrame(rows)


def test_a_variant_much_harder_than_its_siblings_is_flagged_and_parallel_ones_are_not():
    table = variants(cohort(), BANK)
    assert len(table) == len(list(BANK.all_items())) == 60
    flagged = table.loc[table["differs"], "variant"].tolist()
    assert HARD in flagged
    # its siblings differ from it too, but only through it; no other slot is flagged
    assert {BANK.variant(v).slot for v in flagged} == {"MP1-03"}
    hard = table.set_index("variant").loc[HARD]
    assert hard["facility"] < 0.35 < hard["facility_siblings"]
    assert (table["discrimination_index"].dropna() > 0).all()  # ability drives every variant


def test_parallel_forms_raise_no_flag():
    assert not variants(cohort(hard=None), BANK)["differs"].any()


def test_facility_per_variant_is_the_proportion_right():
    data = cohort(n=40)
    table = variants(data, BANK).set_index("variant")
    for variant, group in data.groupby("variant"):
        assert table.loc[variant, "facility"] == pytest.approx(group["benar"].mean())
        assert table.loc[variant, "n"] == len(group)


def test_without_a_variant_column_every_answer_is_the_module_item():
    data = cohort(n=20).drop(columns=["variant"])
    table = variants(data, BANK)
    assert (table.loc[table["variant"] == table["item_id"], "n"] == 20).all()
    assert (table.loc[table["variant"] != table["item_id"], "n"] == 0).all()


def test_bad_variants_are_refused_by_row():
    data = cohort(n=5)
    with pytest.raises(ReportError, match="Varian tidak ada"):
        variants(data.assign(variant="MP1-01-v9"), BANK)
    data.loc[3, "variant"] = "MP2-01"
    with pytest.raises(ReportError, match=r"baris \[3\]"):
        variants(data, BANK)


def test_formulas_against_known_values():
    # 2 × 2: 30/50 against 20/50 → z = 2.0, p = 0.0455 (pooled p̂ = 0.5)
    z, p = two_proportion_p(30, 50, 20, 50)
    assert z == pytest.approx(2.0) and p == pytest.approx(0.0455, abs=1e-4)
    assert math.isnan(two_proportion_p(0, 10, 0, 10)[1]) and math.isnan(two_proportion_p(3, 0, 1, 5)[1])
    # χ²₃ critical values of the tables: 7.815 at 5 %, 11.345 at 1 %
    assert chi2_sf_3(7.815) == pytest.approx(0.05, abs=1e-4)
    assert chi2_sf_3(11.345) == pytest.approx(0.01, abs=1e-4)
    assert chi2_sf_3(0) == 1.0
    # Holm: sorted p × (m, m−1, …), running maximum, capped at 1; NaN ignored
    adjusted = holm(pd.Series([0.01, 0.04, np.nan, 0.03, 0.5]))
    assert adjusted.round(6).tolist()[:2] == [0.04, 0.09] and math.isnan(adjusted[2])
    assert adjusted[3] == pytest.approx(0.09) and adjusted[4] == pytest.approx(0.5)


def test_position_bias_is_found_when_participants_favour_the_first_option():
    fair = position_bias(cohort(n=200), BANK)
    assert not fair["biased"].any()
    assert set(fair["materi_pokok"]) == {0, 1, 2}
    skewed = position_bias(cohort(n=200, position_weights=(1.6, 1, 1, 1)), BANK).set_index("materi_pokok")
    assert skewed.loc[0, "biased"] and skewed.loc[0, "share_1"] > 0.3
    assert skewed.loc[0, "n"] == 200 * 20


def test_position_bias_counts_answered_items_only_and_refuses_bad_positions():
    data = cohort(n=10)
    data.loc[data.index[:20], "shown_position"] = None
    assert position_bias(data, BANK).set_index("materi_pokok").loc[0, "n"] == 10 * 20 - 20
    data.loc[data.index[25], "shown_position"] = 5
    with pytest.raises(ReportError, match="1–4"):
        position_bias(data, BANK)
    with pytest.raises(ReportError, match="shown_position"):
        position_bias(data.drop(columns=["shown_position"]), BANK)


def test_the_report_lists_unequal_variants_and_the_positions(tmp_path):
    from latsar.report.write import write_report

    files = write_report(cohort(n=120), BANK, tmp_path / "laporan")
    page = files.html.read_text(encoding="utf-8")
    section = page[page.index(">Varian soal<"):page.index(">Posisi pilihan di layar<")]
    assert HARD in section and "tidak setara" in section
    assert "60 varian dijawab" in section
    written = pd.read_csv(files.csv["variants"])
    assert len(written) == 60 and written.loc[written["variant"] == HARD, "differs"].item()
    assert "positions" in files.csv and ">Posisi pilihan di layar<" in page


def test_distractors_are_per_variant_with_each_variants_own_key():
    """A letter names an option of the variant answered: b of MP1-01-v2 is not b of MP1-01."""
    from latsar.report.tables import build_tables

    table = build_tables(cohort(n=60), BANK).distractors
    assert set(table["item_id"]) == {i.id for i in BANK.all_items()}
    keys = table[table["is_key"]].set_index("item_id")["option"]
    assert all(keys[i.id] == i.key for i in BANK.all_items())
    right = table[table["is_key"]].set_index("item_id")["count"]
    data = cohort(n=60)
    assert all(right[v] == g["benar"].sum() for v, g in data.groupby("variant"))
    # module forms only (no variant column): one row set per slot, as before
    assert set(build_tables(cohort(n=20).drop(columns=["variant"]), BANK).distractors["item_id"]) == {i.id for i in BANK}
