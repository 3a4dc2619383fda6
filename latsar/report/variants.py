"""Are the parallel forms parallel?  Statistics per variant, and a check for position bias.

Each slot of the bank (``MP1-01`` …) has several variants (``MP1-01``, ``MP1-01-v2`` …) and
each participant answers one of them, with the options in an order of their own (issue 15).
The mastery verdict is fair only if siblings are about equally hard, and the shuffled order
is only neutral if participants do not favour a position on the screen.

Input: the ``responses`` table of :mod:`latsar.results.scores` (``peserta_id``, ``item_id``
= the slot, ``pilihan``, ``benar``, ``poin``) with two more columns: ``variant`` (the variant
answered; missing or blank = the module's own item, i.e. the slot id) and, for
:func:`position_bias`, ``shown_position`` (1–4, the chosen option's place on the screen;
blank when unanswered).

Formulas
--------
- facility and discrimination_index per variant: as :func:`latsar.report.stats.items`
  (Moodle), over the participants who answered that variant; the rest score is their total
  on the Materi Pokok minus this item.
- Sibling test, per variant v of slot s: the two-proportion z-test with pooled variance
  (Agresti 2013, *Categorical Data Analysis*, §3.1) of v's proportion correct p_v against
  that of the slot's other variants p_o:
  z = (p_v − p_o) / sqrt(p̂ (1 − p̂) (1/n_v + 1/n_o)), p̂ the pooled proportion; two-sided
  p = erfc(|z| / √2).  The p-values of every variant are adjusted together with Holm's
  step-down method (Holm 1979), since 60 variants tested at 5 % would flag three by chance.
  ``differs`` = adjusted p < :data:`ALPHA`.  NaN (never flagged) when either group is empty
  or p̂ is 0 or 1.  With few participants per variant the test has little power: a cohort of
  40 sees about 13 per variant, so only large gaps show.
- Position bias, per Materi Pokok and overall: Pearson's χ² goodness of fit of the counts of
  chosen positions 1–4 (answered items only) against a uniform 1/4 each; 3 degrees of
  freedom, whose survival function has the closed form
  Q(x) = erfc(sqrt(x/2)) + sqrt(2x/π) · exp(−x/2) (Abramowitz & Stegun 26.4.4, ν = 3).
  ``biased`` = p < :data:`ALPHA`.  Because every participant's option order is shuffled, the
  key falls on each position equally often in expectation, so a bias here is a habit of the
  participants (e.g. picking the first option when unsure), not a property of the items.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from latsar.authoring.itembank import ItemBank
from latsar.report.stats import NOTE_CONSTANT, NOTE_ONE_RESPONSE, ReportError, _constant, _corr_parts, prepare

#: significance level of the sibling test (after Holm's adjustment) and of the position test
ALPHA = 0.05
POSITIONS = (1, 2, 3, 4)


def by_variant(responses: pd.DataFrame, bank: ItemBank) -> tuple[pd.DataFrame, ItemBank] | None:
    """The responses and a bank with one "item" per variant answered, for the tables whose
    letters mean options: ``pilihan`` is a letter of the variant's own options, so option b of
    ``MP1-01-v2`` and option b of ``MP1-01`` are different answers and the key differs too.
    None when every answer is a module item (nothing to split)."""
    variant = _variant_column(responses)
    if (variant == responses["item_id"].astype(str)).all():
        return None
    answered = set(variant)
    items = [i for i in bank.all_items() if i.id in answered]
    return responses.assign(item_id=variant), ItemBank(list(bank.sections.values()), items, bank.path)


def _variant_column(responses: pd.DataFrame) -> pd.Series:
    if "variant" not in responses.columns:
        return responses["item_id"].astype(str)
    variant = responses["variant"].astype("string").fillna("").str.strip()
    return variant.where(variant != "", responses["item_id"].astype(str)).astype(str)


def two_proportion_p(right_a: int, n_a: int, right_b: int, n_b: int) -> tuple[float, float]:
    """(z, two-sided p) of the pooled two-proportion z-test; NaN when undefined."""
    if n_a == 0 or n_b == 0:
        return math.nan, math.nan
    pooled = (right_a + right_b) / (n_a + n_b)
    if pooled in (0.0, 1.0):
        return math.nan, math.nan
    z = (right_a / n_a - right_b / n_b) / math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return z, math.erfc(abs(z) / math.sqrt(2))


def holm(p: pd.Series) -> pd.Series:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count in m)."""
    valid = p.dropna().sort_values()
    m = len(valid)
    adjusted = (valid * np.arange(m, 0, -1)).cummax().clip(upper=1.0)
    return adjusted.reindex(p.index)


def chi2_sf_3(x: float) -> float:
    """P(χ²₃ ≥ x), the closed form for 3 degrees of freedom."""
    if x <= 0:
        return 1.0
    return math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)


def variants(responses: pd.DataFrame, bank: ItemBank) -> pd.DataFrame:
    """Per variant (slot, then variant order): n, facility, discrimination_index and the sibling test."""
    cohort = prepare(responses, bank)
    table = responses.assign(variant=_variant_column(responses))
    unknown = sorted(set(table["variant"]) - {i.id for i in bank.all_items()})
    if unknown:
        raise ReportError(f"Varian tidak ada di bank soal: {unknown[:10]}.")
    wrong_slot = table[table["variant"].map(lambda v: bank.variant(v).slot) != table["item_id"]]
    if not wrong_slot.empty:
        rows = wrong_slot.index[:10].tolist()
        raise ReportError(f"Varian bukan milik soal (item_id) pada baris {rows}: periksa kolom variant.")

    # each response's score, whether right, and its rest score (MP total without the item)
    row_of = pd.Series(np.arange(len(cohort.peserta)), index=cohort.peserta)
    p_idx = row_of.reindex(table["peserta_id"].astype(str)).to_numpy()
    slot_mp = {i.id: i.materi_pokok for i in bank}
    mp = table["item_id"].map(slot_mp).to_numpy()
    totals = {m: cohort.totals(m) for m in bank.materi_pokok}
    col = {item_id: n for n, item_id in enumerate(cohort.item_ids)}
    i_idx = table["item_id"].map(col).to_numpy()
    score = cohort.score[p_idx, i_idx]
    right = cohort.correct[p_idx, i_idx]
    total = np.array([totals[m][p] for m, p in zip(mp, p_idx)], dtype=float)
    frame = pd.DataFrame({"variant": table["variant"].to_numpy(), "score": score, "right": right,
                          "rest": total - score})

    rows = []
    for slot, siblings in bank.slots.items():
        in_slot = frame[frame["variant"].isin([v.id for v in siblings])]
        for item in siblings:
            mine = in_slot[in_slot["variant"] == item.id]
            others = in_slot[in_slot["variant"] != item.id]
            n = len(mine)
            row = dict(item_id=slot, variant=item.id, materi_pokok=item.materi_pokok, n=n,
                       facility=np.nan, discrimination_index=np.nan,
                       facility_siblings=float(others["right"].mean()) if len(others) else np.nan,
                       z=np.nan, p=np.nan, note="")
            if n:
                row["facility"] = float(mine["score"].mean() / item.points)
                x, rest = mine["score"].to_numpy(), mine["rest"].to_numpy()
                if n < 2:
                    row["note"] = NOTE_ONE_RESPONSE
                elif _constant(x) or _constant(rest):
                    row["note"] = NOTE_CONSTANT
                else:
                    cov, vx, vr = _corr_parts(x, rest)
                    row["discrimination_index"] = 100 * cov / math.sqrt(vx * vr)
            row["z"], row["p"] = two_proportion_p(int(mine["right"].sum()), n, int(others["right"].sum()), len(others))
            rows.append(row)
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p"])
    out["differs"] = (out["p_holm"] < ALPHA).fillna(False).astype(bool)
    return out[["item_id", "variant", "materi_pokok", "n", "facility", "facility_siblings",
                "discrimination_index", "z", "p", "p_holm", "differs", "note"]]


def position_bias(responses: pd.DataFrame, bank: ItemBank) -> pd.DataFrame:
    """Per Materi Pokok and overall (``materi_pokok`` 0): chosen positions 1–4 and the χ² test."""
    if "shown_position" not in responses.columns:
        raise ReportError("Tabel respons tidak punya kolom 'shown_position' (posisi pilihan yang tampil).")
    position = pd.to_numeric(responses["shown_position"], errors="coerce")
    bad = position.notna() & ~position.isin(POSITIONS)
    if bad.any():
        raise ReportError(f"shown_position harus 1–4 atau kosong; baris {position.index[bad][:10].tolist()}.")
    slot_mp = {i.id: i.materi_pokok for i in bank}
    answered = pd.DataFrame({"mp": responses["item_id"].map(slot_mp), "position": position}).dropna()
    rows = []
    for mp, group in [*answered.groupby("mp"), (0, answered)]:
        counts = group["position"].value_counts().reindex(POSITIONS, fill_value=0)
        n = int(counts.sum())
        row = {"materi_pokok": int(mp), "n": n,
               **{f"share_{p}": (counts[p] / n if n else np.nan) for p in POSITIONS}}
        if n:
            expected = n / len(POSITIONS)
            chi2 = float(((counts - expected) ** 2 / expected).sum())
            row.update(chi2=chi2, p=chi2_sf_3(chi2))
        else:
            row.update(chi2=np.nan, p=np.nan)
        row["biased"] = bool(row["p"] < ALPHA)
        rows.append(row)
    return pd.DataFrame(rows)
