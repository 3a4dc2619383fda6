"""Did the course teach anything?  Pre-test, post-test and the normalised gain per Materi Pokok.

The pre-test (in ``bab1_pendahuluan``, before the lessons) and the graded evaluation of each
Materi Pokok (after them) draw different variants of the same slots, so a participant's two
scores measure the same facts twice.  The pre-test may hold a subset of the slots, so both
scores are compared as percentages of their own maximum.

Formulas
--------
Source: R. R. Hake (1998), "Interactive-engagement versus traditional methods: a
six-thousand-student survey of mechanics test data for introductory physics courses",
*American Journal of Physics* 66, 64–74, and its use per student in Bao (2006), *Am. J. Phys.*
74, 917–922.

- pre, post: percentage correct, 100 · Σ poin / Σ points of the items the participant was
  given (unanswered items score 0).
- g = (post − pre) / (100 − pre), the share of what the participant did not know before
  that they knew after.  NaN when pre = 100 (nothing left to gain).  Negative when post < pre.
- Cohort, per Materi Pokok, over the participants with both scores:
  ``mean_g`` = the mean of the individual g (Bao's "average of single-student gains"), and
  ``hake_g`` = (⟨post⟩ − ⟨pre⟩) / (100 − ⟨pre⟩), Hake's gain of the class averages.  The two
  agree unless gains and pre-scores are correlated; both are given, as Bao recommends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latsar.authoring.itembank import ItemBank
from latsar.report.stats import ReportError

REQUIRED = ("peserta_id", "assignment", "item_id", "poin")


def percent_by_participant(responses: pd.DataFrame, bank: ItemBank) -> pd.DataFrame:
    """Per participant × Materi Pokok: percentage correct over the items of ``responses``."""
    missing = [c for c in REQUIRED if c not in responses.columns]
    if missing:
        raise ReportError(f"Tabel respons tidak lengkap: kolom {missing} tidak ada.")
    slots = {i.id: i for i in bank}
    unknown = sorted(set(responses["item_id"]) - set(slots))
    if unknown:
        raise ReportError(f"Soal tidak ada di bank soal: {unknown[:10]}.")
    scored = responses.assign(
        materi_pokok=responses["item_id"].map(lambda s: slots[s].materi_pokok),
        maks=responses["item_id"].map(lambda s: slots[s].points).astype(float),
        poin=pd.to_numeric(responses["poin"], errors="coerce").fillna(0.0),
    )
    out = scored.groupby(["peserta_id", "materi_pokok"], as_index=False)[["poin", "maks"]].sum()
    out["persen"] = 100 * out["poin"] / out["maks"]
    return out[["peserta_id", "materi_pokok", "persen"]]


def gains(pre: pd.DataFrame, post: pd.DataFrame, bank: ItemBank) -> pd.DataFrame:
    """Per participant × Materi Pokok: pre, post (percent) and g; rows for those with both scores."""
    both = percent_by_participant(pre, bank).merge(
        percent_by_participant(post, bank), on=["peserta_id", "materi_pokok"], suffixes=("_pre", "_post"))
    both = both.rename(columns={"persen_pre": "pre", "persen_post": "post"})
    headroom = 100 - both["pre"]
    both["g"] = np.where(headroom > 0, (both["post"] - both["pre"]) / headroom.where(headroom > 0), np.nan)
    return both.sort_values(["materi_pokok", "peserta_id"]).reset_index(drop=True)


def cohort_gain(table: pd.DataFrame) -> pd.DataFrame:
    """Per Materi Pokok: n, mean pre and post, the mean of individual g, and Hake's class gain."""
    rows = []
    for mp, group in table.groupby("materi_pokok"):
        pre, post = group["pre"].mean(), group["post"].mean()
        rows.append(dict(materi_pokok=int(mp), n=len(group), pre=pre, post=post,
                         mean_g=group["g"].mean(),  # NaN g (pre = 100) left out
                         hake_g=(post - pre) / (100 - pre) if pre < 100 else np.nan))
    return pd.DataFrame(rows, columns=["materi_pokok", "n", "pre", "post", "mean_g", "hake_g"])
