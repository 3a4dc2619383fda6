"""Cohort analytics: mastery, remedial sections, item and distractor analysis, test reliability.

Every table is computed from the ``responses`` table of :mod:`latsar.results.scores`
(peserta_id, assignment, item_id, pilihan, benar, poin) and the item bank.  The
responses are first laid out once as dense participant × item arrays
(:func:`prepare`), so every statistic is a numpy reduction over a column; the
only Python loops run over the 20 items or the Materi Pokok, never over
participants.  Pass the :class:`Cohort` from :func:`prepare` instead of the
DataFrame to skip that layout step when building several tables.

Conventions
-----------
- The *test* of an item is the evaluation of its own Materi Pokok (MP1 or MP2):
  each MP is a separate assignment with its own 80 % rule.
- A participant belongs to an MP's tables only if they have at least one row
  for that MP (they submitted it).  A missing row for one item of a submitted
  MP scores 0 in the MP total (as :func:`latsar.results.scores.mastery` does) but does
  not count in that item's own statistics (``n``).
- Unanswered (``pilihan`` blank) scores 0 and is wrong, whatever ``poin`` and
  ``benar`` say; in distractor tables it is the option ``"kosong"``.
- x_ij is the score of participant j on item i, X_j their MP total, and
  X_ij = X_j − x_ij the *rest* score (total without the item).

Formulas
--------
Sources: Moodle developer docs, "Quiz statistics calculations"
(https://docs.moodle.org/dev/Quiz_statistics_calculations) and Moodle's
``question/classes/statistics/questions/calculator.php``; classical test theory
(Lord & Novick 1968; Crocker & Algina 1986, *Introduction to Classical and
Modern Test Theory*; Kelley 1939 for the 27 % groups).

Item statistics (:func:`items`), over the n participants with a row for item i:

- facility F_i = x̄_i / x_i(max)  (Moodle "facility index", 0–1 here).
- sd = sqrt(Σ_j (x_ij − x̄_i)² / (n − 1)) / x_i(max): the *sample* SD (ddof = 1),
  as Moodle computes it, on the facility scale (= SD of the score for 1-point items).
- discrimination_index = 100 · r(x_i, X_i)
  = 100 · Σ(x_ij − x̄_i)(X_ij − X̄_i) / sqrt(Σ(x_ij − x̄_i)² · Σ(X_ij − X̄_i)²)
  (Moodle: correlation with the rest of the test).  NaN when n < 2 or either
  x_i or X_i is constant (Moodle shows nothing then).
- discriminative_efficiency = 100 · C(x_i, X_i) / C_max(x_i, X_i), where
  C_max = Σ_j (x_i(j) − x̄_i)(X_i(j) − X̄_i) with x_i(j) and X_i(j) each sorted
  ascending *independently* (Moodle's ``covariancemaxsum`` of the sorted
  ``markarray`` and ``othermarksarray``), i.e. the largest covariance the two
  marginal distributions allow.  NaN when undefined (as the index).
- d_upper_lower = p_upper − p_lower: proportion correct (``benar``) in the upper
  and lower groups of g = ceil(0.27 · n) participants ranked by the MP total X_j
  (the item included, as in Kelley's method); ties broken by sorting on
  (X_j, peserta_id) ascending: the lower group is the first g, the upper group
  the last g.  g is computed in integers, (27n + 99) // 100, so n = 900 gives 243
  and not 244 (0.27 · 900 is 243.00000000000003 in floats).  With n < 4 the groups may overlap.

Distractors (:func:`distractors`), per item and option o ∈ {a, b, c, d, kosong}:

- proportion = count_o / n.
- rest_correlation = Pearson r between the indicator I_j = [participant j chose o]
  and X_ij: Σ I_j (X_ij − X̄_i) / sqrt(count_o (n − count_o)/n · Σ(X_ij − X̄_i)²)
  (the option point-biserial of classical item analysis, against the rest score
  so the key is not correlated with itself).  NaN when nobody or everybody
  chose o, or X_i is constant.
- non_functioning: a distractor (neither key nor kosong) chosen by fewer than
  DISTRACTOR_MIN (5 %) of the cohort (Haladyna & Downing 1993), or whose
  rest_correlation is positive (> 1e-12, to ignore rounding): stronger
  participants are drawn to it.

Test statistics (:func:`test_stats`), per MP over its N participants, scores in
points (= items correct, every item is worth 1 point in this course):

- mean, median; sd = sample SD (ddof = 1) of X.
- skewness, kurtosis: pandas ``Series.skew`` / ``Series.kurt``, the
  bias-corrected sample estimators G1 = sqrt(N(N−1))/(N−2) · m3/m2^(3/2) and
  excess G2 = (N−1)/((N−2)(N−3)) · ((N+1) m4/m2² − 3(N−1)) (Joanes & Gill 1998).
  Moodle's report uses the same kind of bias-corrected sample moments.  NaN
  when X is constant (pandas would say 0).
- alpha (Cronbach 1951; Moodle's "coefficient of internal consistency" / 100)
  = k/(k−1) · (1 − Σ_i s²(x_i) / s²(X)), sample variances (ddof = 1) in both
  numerator and denominator, so the ratio equals the population one.  k is the
  number of the MP's items that anybody answered.
- kr20 (Kuder & Richardson 1937) = k/(k−1) · (1 − Σ_i p_i q_i / σ²(X)), on the
  0/1 ``benar`` matrix, p_i the proportion correct, q_i = 1 − p_i and σ²(X)
  the *population* variance (ddof = 0) of the number correct, because p_i q_i is
  the population variance of a 0/1 item.  For 0/1 items kr20 == alpha.
- sem = sd · sqrt(1 − alpha) (standard error of measurement, CTT).
- mastery_rate = proportion of the MP's participants who are *tuntas*.
- alpha, kr20 and sem are NaN (with a ``note``) when k < 2, N < 2 or X constant.

Mastery (:func:`mastery`): benar = Σ poin, maks = Σ points of the MP's bank
items, persen = round(100 · benar / maks, 1), tuntas = benar / maks ≥ 0.80
(the module's rule, :func:`latsar.course.mastered`), near_cut =
|benar − 0.80 · maks| ≤ sem of the MP (the unrounded benar, which is what
persen/100 · maks stands for); False when the sem is undefined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from latsar.authoring.itembank import LETTERS, ItemBank
from latsar.course import MASTERY_THRESHOLD, LatsarError, mastered

#: Items easier than this (facility, 0–1) are flagged "terlalu mudah".
FACILITY_MAX = 0.90
#: Items harder than this (facility, 0–1) are flagged "terlalu sulit".
FACILITY_MIN = 0.30
#: Discrimination index (Moodle's 0–100 scale) below which an item discriminates poorly.
DISCRIMINATION_MIN = 20.0
#: A distractor chosen by fewer than this share of the cohort does not function.
DISTRACTOR_MIN = 0.05
#: Size of the upper and lower groups for d_upper_lower, in percent (Kelley 1939).
UPPER_LOWER_PERCENT = 27

KOSONG = "kosong"
OPTIONS = (*LETTERS, KOSONG)
REQUIRED_COLUMNS = ("peserta_id", "item_id", "pilihan", "benar", "poin")

NOTE_CONSTANT = "tidak terdefinisi (skor konstan)"
NOTE_NO_RESPONSES = "tidak ada respons untuk soal ini"
NOTE_ONE_RESPONSE = "tidak terdefinisi (kurang dari 2 peserta)"
_EPS = 1e-12
EMPTY_MESSAGE = (
    "Tidak ada data respons: tabel responses kosong (belum ada kiriman yang dinilai). "
    "Jalankan `latsar autograde` lalu `latsar scores` dahulu."
)


class ReportError(LatsarError, ValueError):
    """Input the report cannot be built from; the message (Indonesian) says what to fix."""


# -- layout ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Cohort:
    """The responses as dense participant × item arrays (rows: sorted peserta_id, columns: bank order)."""

    bank: ItemBank
    peserta: pd.Index  # sorted unique peserta_id
    present: np.ndarray  # bool (P, I): the participant has a row for the item
    score: np.ndarray  # float (P, I): poin, 0 when blank or missing
    correct: np.ndarray  # bool (P, I): benar and not blank
    choice: np.ndarray  # int8 (P, I): index into OPTIONS, -1 when missing

    @cached_property
    def item_ids(self) -> list[str]:
        return [i.id for i in self.bank]

    @cached_property
    def item_mp(self) -> np.ndarray:
        return np.array([i.materi_pokok for i in self.bank])

    @cached_property
    def points(self) -> np.ndarray:
        return np.array([i.points for i in self.bank], dtype=float)

    def columns(self, mp: int) -> np.ndarray:
        return np.flatnonzero(self.item_mp == mp)

    def members(self, mp: int) -> np.ndarray:
        """Participants who submitted the MP (any row for one of its items)."""
        return self.present[:, self.columns(mp)].any(axis=1)

    def totals(self, mp: int) -> np.ndarray:
        return self.score[:, self.columns(mp)].sum(axis=1)


def prepare(responses: pd.DataFrame, bank: ItemBank) -> Cohort:
    """Validate ``responses`` and lay it out as a :class:`Cohort` (one pass, no per-row Python)."""
    if not isinstance(responses, pd.DataFrame):
        raise ReportError(f"Tidak ada data respons: diharapkan DataFrame, diterima {type(responses).__name__}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in responses.columns]
    if missing:
        raise ReportError(f"Tabel respons tidak lengkap: kolom {missing} tidak ada.")
    if responses.empty:
        raise ReportError(EMPTY_MESSAGE)

    p_code, peserta = pd.factorize(responses["peserta_id"], sort=True)
    if (p_code < 0).any():
        rows = np.flatnonzero(p_code < 0)[:10].tolist()
        raise ReportError(f"peserta_id kosong pada baris {rows}.")
    peserta = pd.Index(peserta.astype(str), name="peserta_id")

    item_index = {item_id: n for n, item_id in enumerate(i.id for i in bank)}
    i_code, i_uniques = pd.factorize(responses["item_id"])
    i_map = np.array([item_index.get(u, -1) if isinstance(u, str) else -1 for u in i_uniques] + [-1])
    i_code = i_map[i_code]  # code -1 (missing) picks the trailing -1
    if (i_code < 0).any():
        unknown = sorted({str(v) for v in responses["item_id"].to_numpy()[i_code < 0]})
        raise ReportError(f"Soal tidak ada di bank soal: {unknown[:10]}.")

    c_code, c_uniques = pd.factorize(responses["pilihan"])
    normal = [str(u).strip().lower() for u in c_uniques]
    bad = sorted({u for u, n in zip(c_uniques, normal) if n and n not in LETTERS})
    if bad:
        raise ReportError(f"Pilihan jawaban tidak dikenal: {bad[:10]} (harus a–d atau kosong).")
    kosong = OPTIONS.index(KOSONG)
    c_map = np.array([OPTIONS.index(n) if n else kosong for n in normal] + [kosong], dtype=np.int8)
    choice_flat = c_map[c_code]
    blank = choice_flat == kosong

    try:
        poin = pd.to_numeric(responses["poin"]).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ReportError(f"Kolom 'poin' harus berisi angka ({exc}).") from None
    poin = np.where(blank | np.isnan(poin), 0.0, poin)
    benar = responses["benar"].to_numpy(dtype=bool, na_value=False) & ~blank

    n_p, n_i = len(peserta), len(bank)
    flat = p_code.astype(np.int64) * n_i + i_code
    counts = np.bincount(flat, minlength=n_p * n_i)
    if counts.max() > 1:
        dup = np.flatnonzero(counts > 1)[:10]
        pairs = [(peserta[d // n_i], list(item_index)[d % n_i]) for d in dup]
        raise ReportError(f"Baris ganda (peserta, soal): {pairs}.")
    present = (counts == 1).reshape(n_p, n_i)
    score = np.zeros(n_p * n_i)
    score[flat] = poin
    correct = np.zeros(n_p * n_i, dtype=bool)
    correct[flat] = benar
    choice = np.full(n_p * n_i, -1, dtype=np.int8)
    choice[flat] = choice_flat
    return Cohort(
        bank, peserta, present,
        score.reshape(n_p, n_i), correct.reshape(n_p, n_i), choice.reshape(n_p, n_i),
    )


def _cohort(responses: pd.DataFrame | Cohort, bank: ItemBank) -> Cohort:
    if isinstance(responses, Cohort):
        if responses.bank is not bank:
            raise ReportError("Cohort ini disiapkan dengan bank soal lain.")
        return responses
    return prepare(responses, bank)


def _corr_parts(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Σ dx·dy, Σ dx², Σ dy² (deviations from the means)."""
    dx, dy = x - x.mean(), y - y.mean()
    return float(dx @ dy), float(dx @ dx), float(dy @ dy)


def _constant(a: np.ndarray) -> bool:
    return a.size == 0 or a.min() == a.max()


# -- test statistics ---------------------------------------------------------------------


def test_stats(responses: pd.DataFrame | Cohort, bank: ItemBank) -> pd.DataFrame:
    """Per Materi Pokok: distribution of the total, reliability (α, KR-20), SEM, mastery rate."""
    c = _cohort(responses, bank)
    rows = []
    for mp in bank.materi_pokok:
        cols = c.columns(mp)
        members = c.members(mp)
        total = c.totals(mp)[members]
        n = int(members.sum())
        maks = float(c.points[cols].sum())
        answered = c.present[members][:, cols].any(axis=0)
        k = int(answered.sum())
        row = dict(materi_pokok=mp, n=n, k=k, mean=np.nan, median=np.nan, sd=np.nan, skewness=np.nan,
                   kurtosis=np.nan, alpha=np.nan, kr20=np.nan, sem=np.nan, mastery_rate=np.nan)
        notes = []
        if n == 0:
            notes.append("tidak ada peserta yang mengumpulkan")
        else:
            s = pd.Series(total)
            row.update(mean=float(total.mean()), median=float(np.median(total)),
                       mastery_rate=float(mastered(total, maks).mean()))
            if n >= 2:
                row["sd"] = float(total.std(ddof=1))
            if n < 2:
                notes.append("kurang dari 2 peserta: sd, alpha, KR-20, SEM tidak terdefinisi")
            elif _constant(total):
                notes.append("skor total konstan: skewness, kurtosis, alpha, KR-20, SEM tidak terdefinisi")
            else:
                row.update(skewness=float(s.skew()), kurtosis=float(s.kurt()))
                if k < 2:
                    notes.append("kurang dari 2 soal terjawab: alpha dan KR-20 tidak terdefinisi")
                else:
                    x = c.score[members][:, cols[answered]]
                    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total.var(ddof=1))
                    right = c.correct[members][:, cols[answered]]
                    p = right.mean(axis=0)
                    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / right.sum(axis=1).var(ddof=0))
                    row.update(alpha=float(alpha), kr20=float(kr20),
                               sem=float(row["sd"] * math.sqrt(max(1 - alpha, 0.0))))
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


test_stats.__test__ = False  # the name starts with "test": keep pytest from collecting it when imported


# -- mastery and remedial ----------------------------------------------------------------


def mastery(responses: pd.DataFrame | Cohort, bank: ItemBank) -> pd.DataFrame:
    """Per participant × MP: points, percentage, *tuntas* and whether the score is within one SEM of the cut."""
    c = _cohort(responses, bank)
    sem = test_stats(c, bank).set_index("materi_pokok")["sem"]
    parts = []
    for mp in bank.materi_pokok:
        members = np.flatnonzero(c.members(mp))
        benar = c.totals(mp)[members]
        maks = float(c.points[c.columns(mp)].sum())
        cut = MASTERY_THRESHOLD * maks
        mp_sem = sem.get(mp, np.nan)
        parts.append(pd.DataFrame({
            "_code": members,
            "materi_pokok": mp,
            "benar": benar,
            "maks": maks,
            "persen": np.round(100 * benar / maks, 1),
            "tuntas": mastered(benar, maks),
            "near_cut": np.abs(benar - cut) <= mp_sem if not np.isnan(mp_sem) else False,
        }))
    out = pd.concat(parts, ignore_index=True).sort_values(["_code", "materi_pokok"], kind="stable")
    out.insert(0, "peserta_id", c.peserta.take(out["_code"].to_numpy()))
    out["near_cut"] = out["near_cut"].astype(bool)
    return out.drop(columns="_code").reset_index(drop=True)[
        ["peserta_id", "materi_pokok", "benar", "maks", "persen", "tuntas", "near_cut"]
    ]


def remedial(responses: pd.DataFrame | Cohort, bank: ItemBank) -> pd.DataFrame:
    """Per participant, the module sections to re-read (items wrong or blank), in module order."""
    c = _cohort(responses, bank)
    sections = list(bank.sections.values())
    s_index = {s.id: n for n, s in enumerate(sections)}
    onehot = np.zeros((len(bank), len(sections)), dtype=np.float32)
    onehot[np.arange(len(bank)), [s_index[i.section.id] for i in bank]] = 1
    wrong = (c.present & ~c.correct).astype(np.float32)
    n_wrong = (wrong @ onehot).astype(np.int64)  # (P, S); exact for < 2**24 items
    p, s = np.nonzero(n_wrong)  # row-major: participant, then module order
    return pd.DataFrame({
        "peserta_id": c.peserta.take(p),
        "materi_pokok": np.array([x.materi_pokok for x in sections], dtype=np.int64)[s],
        "section_id": np.array([x.id for x in sections], dtype=object)[s],
        "section": np.array([x.label for x in sections], dtype=object)[s],
        "n_wrong": n_wrong[p, s],
    })


# -- item and distractor analysis ------------------------------------------------------


def _review(facility: float, di: float) -> list[str]:
    reasons = []
    if facility > FACILITY_MAX:
        reasons.append(f"terlalu mudah (facility > {FACILITY_MAX:.2f})")
    if facility < FACILITY_MIN:
        reasons.append(f"terlalu sulit (facility < {FACILITY_MIN:.2f})")
    if di < 0:
        reasons.append("daya beda negatif")
    elif di < DISCRIMINATION_MIN:
        reasons.append(f"daya beda rendah (< {DISCRIMINATION_MIN:g})")
    return reasons  # NaN compares False: undefined values raise no flag


def items(responses: pd.DataFrame | Cohort, bank: ItemBank) -> pd.DataFrame:
    """Per item (bank order): Moodle facility, SD, discrimination index and efficiency, upper–lower D, review flags."""
    c = _cohort(responses, bank)
    rows = []
    for mp in bank.materi_pokok:
        total = c.totals(mp)
        # (X_j, peserta_id) ascending; peserta codes are already in peserta_id order
        order = np.lexsort((np.arange(len(total)), total))
        for i in c.columns(mp):
            item = c.bank[c.item_ids[i]]
            has = c.present[:, i]
            x = c.score[has, i]
            rest = total[has] - x
            n = len(x)
            row = dict(item_id=item.id, materi_pokok=mp, section_id=item.section.id, n=n,
                       facility=np.nan, sd=np.nan, discrimination_index=np.nan,
                       discriminative_efficiency=np.nan, d_upper_lower=np.nan)
            note = ""
            if n == 0:
                note = NOTE_NO_RESPONSES
            else:
                row["facility"] = float(x.mean() / item.points)
                ranked = order[has[order]]
                g = (UPPER_LOWER_PERCENT * n + 99) // 100
                right = c.correct[:, i]
                row["d_upper_lower"] = float(right[ranked[-g:]].mean() - right[ranked[:g]].mean())
                if n < 2:
                    note = NOTE_ONE_RESPONSE
                else:
                    row["sd"] = float(x.std(ddof=1) / item.points)
                    if _constant(x) or _constant(rest):
                        note = NOTE_CONSTANT
                    else:
                        cov, vx, vr = _corr_parts(x, rest)
                        cov_max = float((np.sort(x) - x.mean()) @ (np.sort(rest) - rest.mean()))
                        row["discrimination_index"] = 100 * cov / math.sqrt(vx * vr)
                        row["discriminative_efficiency"] = 100 * cov / cov_max if cov_max > 0 else np.nan
            reasons = _review(row["facility"], row["discrimination_index"])
            row.update(review=bool(reasons), review_reason="; ".join(reasons), note=note)
            rows.append(row)
    order_in_bank = {item_id: n for n, item_id in enumerate(c.item_ids)}
    out = pd.DataFrame(rows)
    return out.sort_values("item_id", key=lambda s: s.map(order_in_bank)).reset_index(drop=True)


def distractors(responses: pd.DataFrame | Cohort, bank: ItemBank) -> pd.DataFrame:
    """Per item × option (a–d, kosong): how often chosen, by whom (rest correlation), and whether it works."""
    c = _cohort(responses, bank)
    n_opt = len(OPTIONS)
    parts = []
    totals = {mp: c.totals(mp) for mp in bank.materi_pokok}
    for i, item in enumerate(bank):
        has = c.present[:, i]
        choice = c.choice[has, i].astype(np.intp)
        rest = totals[item.materi_pokok][has] - c.score[has, i]
        n = len(choice)
        count = np.bincount(choice, minlength=n_opt)
        with np.errstate(invalid="ignore", divide="ignore"):
            proportion = count / n if n else np.full(n_opt, np.nan)
            r = np.full(n_opt, np.nan)
            if n >= 2 and not _constant(rest):
                dr = rest - rest.mean()
                cov = np.bincount(choice, weights=dr, minlength=n_opt)  # Σ I_j (X_ij − X̄_i)
                var_i = count * (n - count) / n  # Σ (I_j − Ī)²
                ok = var_i > 0
                r[ok] = cov[ok] / np.sqrt(var_i[ok] * float(dr @ dr))
        is_key = np.array([o == item.key for o in OPTIONS])
        distractor = ~is_key & (np.array(OPTIONS) != KOSONG)
        non_functioning = distractor & ((proportion < DISTRACTOR_MIN) | (r > _EPS))
        parts.append(pd.DataFrame({
            "item_id": item.id, "option": OPTIONS, "count": count, "proportion": proportion,
            "is_key": is_key, "rest_correlation": r, "non_functioning": non_functioning,
        }))
    return pd.concat(parts, ignore_index=True)


# -- groups and roster -----------------------------------------------------------------


class RosterMismatch(NamedTuple):
    """Participants found on only one side of the responses/roster join (sorted)."""

    not_in_roster: list[str]  # have responses, missing from the roster
    no_responses: list[str]  # on the roster, no response row at all


def _roster(roster: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    if not isinstance(roster, pd.DataFrame) or "peserta_id" not in roster.columns:
        raise ReportError("Daftar peserta (roster) harus DataFrame dengan kolom 'peserta_id'.")
    if by in ("peserta_id", "materi_pokok"):
        raise ReportError(f"Tidak dapat mengelompokkan menurut {by!r}; pilih kolom lain (mis. 'kelas').")
    if by is not None and by not in roster.columns:
        raise ReportError(f"Kolom pengelompokan {by!r} tidak ada di daftar peserta.")
    out = roster.assign(peserta_id=roster["peserta_id"].astype(str))
    dup = out["peserta_id"][out["peserta_id"].duplicated()].unique().tolist()
    if dup:
        raise ReportError(f"peserta_id ganda di daftar peserta: {sorted(dup)[:10]}.")
    if by is not None and out[by].isna().any():
        blank = sorted(out.loc[out[by].isna(), "peserta_id"].tolist())
        raise ReportError(f"Kolom {by!r} kosong di daftar peserta untuk: {blank[:10]}.")
    return out


def roster_mismatch(responses: pd.DataFrame | Cohort, roster: pd.DataFrame) -> RosterMismatch:
    """Who is in the responses but not the roster, and who is on the roster with no responses."""
    if isinstance(responses, Cohort):
        seen = responses.peserta
    elif isinstance(responses, pd.DataFrame) and "peserta_id" in responses.columns:
        if responses.empty:
            raise ReportError(EMPTY_MESSAGE)
        seen = pd.Index(responses["peserta_id"].dropna().astype(str).unique())
    else:
        raise ReportError("Tidak ada data respons: diharapkan DataFrame dengan kolom 'peserta_id'.")
    listed = pd.Index(_roster(roster)["peserta_id"])
    return RosterMismatch(
        sorted(seen.difference(listed).tolist()), sorted(listed.difference(seen).tolist()),
    )


def groups(responses: pd.DataFrame | Cohort, bank: ItemBank, roster: pd.DataFrame, by: str,
           mastered: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mastery per roster group (e.g. kelas) and MP.

    ``mastered`` is the mastery table the report shows (with retakes: the attempt its method
    chose), so that a group's rate counts the same people as tuntas; by default :func:`mastery`
    of ``responses``.  Participants with responses but missing from the roster are kept, as the
    group NaN (listed by :func:`roster_mismatch`).  Roster members without rows for an MP are
    not in ``n`` but are counted in ``n_absent``.
    """
    c = _cohort(responses, bank)
    r = _roster(roster, by)[["peserta_id", by]]
    m = mastery(c, bank) if mastered is None else mastered[["peserta_id", "materi_pokok", "benar", "maks",
                                                             "tuntas", "near_cut"]]
    m = m.merge(r, on="peserta_id", how="left")
    m["_persen"] = 100 * m["benar"] / m["maks"]
    agg = m.groupby([by, "materi_pokok"], dropna=False, sort=False).agg(
        n=("peserta_id", "size"), mean_persen=("_persen", "mean"),
        mastery_rate=("tuntas", "mean"), near_cut_count=("near_cut", "sum"),
    )
    size = r.groupby(by).size()
    keys = list(size.index)
    if m[by].isna().any():
        keys.append(np.nan)
    full = pd.MultiIndex.from_product([keys, bank.materi_pokok], names=[by, "materi_pokok"])
    out = agg.reindex(full).reset_index()
    out["n"] = out["n"].fillna(0).astype(np.int64)
    out["near_cut_count"] = out["near_cut_count"].fillna(0).astype(np.int64)
    out["mean_persen"] = out["mean_persen"].round(1)
    out["n_absent"] = (out[by].map(size).fillna(out["n"]) - out["n"]).astype(np.int64)
    return out[[by, "materi_pokok", "n", "mean_persen", "mastery_rate", "near_cut_count", "n_absent"]]
