"""Several attempts at one Materi Pokok: which one decides mastery, and each participant's history.

The module's rule is "≥ 80 % lanjut, < 80 % ulangi": a participant below the cut takes a
retake.  Which attempt then counts follows a *grading method*, as Moodle's quiz setting of
that name (https://docs.moodle.org/en/Quiz_settings#Grade):

- ``best`` (default; Moodle "highest grade"): the attempt with the highest percentage, the
  earliest of equal ones;
- ``first`` (Moodle "first attempt");
- ``last`` (Moodle "last attempt").

Item statistics use first attempts by default, as Moodle's quiz statistics report does
("attempts to analyse: first attempt"): a retake repeats the same slots after feedback, so
later attempts are neither independent of the first nor comparable with it.

Input: per participant, Materi Pokok and attempt (1, 2, …) the points ``benar`` out of ``maks``.
"""

from __future__ import annotations

import pandas as pd

from latsar.course import LatsarError, mastered

METHODS = ("best", "first", "last")
DEFAULT_METHOD = "best"
REQUIRED = ("peserta_id", "materi_pokok", "attempt", "benar", "maks")


class AttemptsError(LatsarError, ValueError):
    """The attempts table cannot be read; the message (Indonesian) says what to fix."""


def _checked(attempts: pd.DataFrame, method: str) -> pd.DataFrame:
    if method not in METHODS:
        raise AttemptsError(f"Metode penilaian {method!r} tidak dikenal: pilih salah satu dari {', '.join(METHODS)}.")
    missing = [c for c in REQUIRED if c not in attempts.columns]
    if missing:
        raise AttemptsError(f"Tabel percobaan tidak lengkap: kolom {missing} tidak ada.")
    bad = attempts.index[~pd.to_numeric(attempts["attempt"], errors="coerce").ge(1)].tolist()
    if bad:
        raise AttemptsError(f"Kolom 'attempt' harus bilangan 1, 2, …; periksa baris {bad[:10]}.")
    dup = attempts.duplicated(["peserta_id", "materi_pokok", "attempt"], keep=False)
    if dup.any():
        raise AttemptsError(f"Percobaan ganda (peserta, Materi Pokok, percobaan) pada baris {attempts.index[dup][:10].tolist()}.")
    table = attempts.assign(attempt=attempts["attempt"].astype(int), maks=attempts["maks"].astype(float),
                            benar=attempts["benar"].astype(float))
    table["persen"] = (100 * table["benar"] / table["maks"]).where(table["maks"] > 0, 0.0)
    return table


def verdict(attempts: pd.DataFrame, method: str = DEFAULT_METHOD) -> pd.DataFrame:
    """Per participant × Materi Pokok: how many attempts, the one that counts, its score and *tuntas*."""
    table = _checked(attempts, method)
    if method == "best":
        ranked = table.sort_values(["persen", "attempt"], ascending=[False, True])
    else:
        ranked = table.sort_values("attempt", ascending=method == "first")
    chosen = ranked.drop_duplicates(["peserta_id", "materi_pokok"], keep="first")
    counts = table.groupby(["peserta_id", "materi_pokok"]).size().rename("attempts")
    out = chosen.join(counts, on=["peserta_id", "materi_pokok"]).rename(columns={"attempt": "attempt_used"})
    out["persen"] = out["persen"].round(1)
    out["tuntas"] = mastered(out["benar"], out["maks"])
    out["method"] = method
    columns = ["peserta_id", "materi_pokok", "attempts", "attempt_used", "benar", "maks", "persen", "tuntas", "method"]
    return out[columns].sort_values(["peserta_id", "materi_pokok"]).reset_index(drop=True)


def history(attempts: pd.DataFrame) -> pd.DataFrame:
    """One row per participant × Materi Pokok, the percentage of each attempt in a column
    ``percobaan_1``, ``percobaan_2``, … (blank where there was none)."""
    table = _checked(attempts, DEFAULT_METHOD)
    wide = table.pivot(index=["peserta_id", "materi_pokok"], columns="attempt", values="persen").round(1)
    wide.columns = [f"percobaan_{n}" for n in wide.columns]
    return wide.reset_index()


def first_attempts(responses: pd.DataFrame) -> pd.DataFrame:
    """The rows of each participant's first attempt (responses without an ``attempt`` column are all first)."""
    if "attempt" not in responses.columns:
        return responses
    later = pd.to_numeric(responses["attempt"], errors="coerce").fillna(1) != 1
    return responses[~later] if later.any() else responses
