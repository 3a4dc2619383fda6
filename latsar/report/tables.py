"""The report's tables: the stats functions on one prepared cohort, joined with the roster.

:func:`build_tables` is the only place that joins: every statistic comes
unchanged from :mod:`latsar.report.stats`; here the roster's ``nama`` and
``kelas`` are added to the person tables, the group tables are stacked (one
block per roster column ``kelas``/``instansi``: ``group_by`` names it,
``group`` holds its value) and the roster mismatch is listed.  A blank roster
cell is the group ``"(tidak diisi)"``; participants with responses who are
missing from the roster form the group ``"(tidak ada di roster)"``, so the
group counts always add up to the cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from latsar.authoring.itembank import ItemBank
from latsar.report import stats
from latsar.results.attempts import first_attempts
from latsar.report import variants as forms
from latsar.report.roster import ROSTER_COLUMNS, clean_roster
from latsar.report.stats import ReportError, RosterMismatch

#: Roster columns that give a group table (and plot), when present.
GROUP_COLUMNS = ("kelas", "instansi")
#: Roster columns carried into the mastery and remedial tables, when present.
PERSON_COLUMNS = ("nama", "kelas")
GROUP_BLANK = "(tidak diisi)"
GROUP_NOT_IN_ROSTER = "(tidak ada di roster)"
NOT_IN_ROSTER = "ada jawaban, tidak ada di roster"
NO_RESPONSES = "ada di roster, belum ada jawaban"


@dataclass(frozen=True)
class ReportTables:
    """Every table of the report, as the stats functions return them (plus roster columns)."""

    mastery: pd.DataFrame
    remedial: pd.DataFrame
    items: pd.DataFrame
    distractors: pd.DataFrame
    test: pd.DataFrame
    groups: pd.DataFrame | None  # None without a roster
    mismatch: RosterMismatch | None  # None without a roster
    mismatch_table: pd.DataFrame | None  # peserta_id, [nama, kelas, instansi,] status
    n_peserta: int  # participants with at least one response row
    n_roster: int | None
    review: pd.DataFrame | None = None  # peserta_id, assignment, alasan: graded, but worth a look
    variants: pd.DataFrame | None = None  # per variant of each slot: facility, discrimination, sibling test
    positions: pd.DataFrame | None = None  # chosen position on the screen; None without shown_position
    attempts: pd.DataFrame | None = None  # each participant's attempt history per MP; None without retakes
    method: str = "best"  # which attempt decides mastery (latsar.results.attempts.METHODS)
    gain: pd.DataFrame | None = None  # per participant × Materi Pokok: pre, post, g; None without pre-test rows
    gain_cohort: pd.DataFrame | None = None  # per Materi Pokok: n, mean pre and post, mean g, Hake's g


def _group_values(column: pd.Series) -> pd.Series:
    values = column.astype(object).where(column.notna(), "")
    values = values.map(lambda v: str(v).strip())
    return values.where(values != "", GROUP_BLANK)


def build_tables(responses: pd.DataFrame, bank: ItemBank, roster: pd.DataFrame | None = None,
                 method: str = "best") -> ReportTables:
    """All report tables: the stats functions on one prepared cohort, joined with the roster.

    Pre-test rows (``attempt`` 0) enter only the gain tables. Rows of retakes (``attempt`` ≥ 2) are
    split off: item, distractor, variant, position and test statistics use first attempts, as
    Moodle's quiz statistics do; mastery follows ``method``."""
    from latsar.results.scores import is_pretest

    pretest = is_pretest(responses)
    pre = responses[pretest]
    all_rows = responses[~pretest]
    responses = first_attempts(all_rows)  # the pre-test is already out: attempt 1 only
    cohort = stats.prepare(responses, bank)
    mastery = stats.mastery(cohort, bank)  # first attempts; with retakes replaced below (with_attempts)
    remedial = stats.remedial(cohort, bank)
    item_table = stats.items(cohort, bank)
    split = forms.by_variant(responses, bank)  # a letter names an option of the variant answered
    distractor_table = stats.distractors(cohort, bank) if split is None else stats.distractors(*split)
    test = stats.test_stats(cohort, bank)
    mastery, history = with_attempts(all_rows, bank, mastery, test, method)
    groups = mismatch = mismatch_table = n_roster = None
    if roster is not None:
        roster = clean_roster(roster)
        n_roster = len(roster)
        mismatch = stats.roster_mismatch(cohort, roster)
        person = [c for c in PERSON_COLUMNS if c in roster.columns]
        if person:
            mastery = _with_person(mastery, roster, person)
            remedial = _with_person(remedial, roster, person)
        parts = []
        for by in (c for c in GROUP_COLUMNS if c in roster.columns):
            r = roster[["peserta_id"]].assign(**{by: _group_values(roster[by])})
            g = stats.groups(cohort, bank, r, by, mastered=mastery)  # the attempts ``method`` chose
            g[by] = g[by].astype(object).where(g[by].notna(), GROUP_NOT_IN_ROSTER)
            parts.append(g.rename(columns={by: "group"}).assign(group_by=by))
        if parts:
            groups = pd.concat(parts, ignore_index=True)
            groups = groups[["group_by", "group", *[c for c in groups.columns if c not in ("group_by", "group")]]]
        mismatch_table = _mismatch_table(mismatch, roster)
    positions = forms.position_bias(responses, bank) if "shown_position" in responses.columns else None
    if history is not None and roster is not None and person:
        history = _with_person(history, roster, person)
    gain = gain_cohort = None
    if len(pre):
        gain, gain_cohort = _gain_tables(pre, responses, bank, roster)  # post: the first attempts
    return ReportTables(mastery, remedial, item_table, distractor_table, test, groups, mismatch,
                        mismatch_table, len(cohort.peserta), n_roster,
                        variants=forms.variants(responses, bank), positions=positions, attempts=history,
                        method=method, gain=gain, gain_cohort=gain_cohort)

def with_attempts(responses: pd.DataFrame, bank: ItemBank, mastery: pd.DataFrame, test: pd.DataFrame,
                  method: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """With retakes: the mastery table on the attempt ``method`` chooses (:func:`latsar.results.attempts.verdict`;
    'dekat batas' with the SEM of first attempts) and the attempt history; else ``mastery`` as it is, no history."""
    from latsar.course import MASTERY_THRESHOLD
    from latsar.results.attempts import history, verdict
    from latsar.results.scores import attempt_scores

    if "attempt" not in responses.columns or len(responses) == len(first_attempts(responses)):
        return mastery, None
    scores = attempt_scores(bank, responses)
    chosen = verdict(scores, method)
    keys = ["peserta_id", "materi_pokok"]
    sem = chosen["materi_pokok"].map(test.set_index("materi_pokok")["sem"])
    out = chosen[[*keys, "benar", "maks", "persen", "tuntas", "attempts", "attempt_used"]].copy()
    out["near_cut"] = ((out["benar"] - MASTERY_THRESHOLD * out["maks"]).abs() <= sem).fillna(False).astype(bool)
    person = [c for c in mastery.columns if c in PERSON_COLUMNS]
    if person:
        out = out.merge(mastery[["peserta_id", *person]].drop_duplicates("peserta_id"), on="peserta_id", how="left")
    past = history(scores).merge(chosen[[*keys, "attempt_used", "tuntas"]], on=keys, how="left")
    return out.reset_index(drop=True), past


def _gain_tables(pre: pd.DataFrame, post: pd.DataFrame, bank: ItemBank,
                 roster: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pre and post (the evaluations' first attempts: a retake is not the post-test) and g per
    participant × Materi Pokok, and per cohort."""
    from latsar.report.gain import cohort_gain, gains

    table = gains(pre, post, bank)
    # mean_pre/mean_post: not the per-participant pre and post (one column name, one meaning)
    cohort = cohort_gain(table).rename(columns={"pre": "mean_pre", "post": "mean_post"})
    person = [c for c in PERSON_COLUMNS if roster is not None and c in roster.columns]
    if person:
        table = _with_person(table, roster, person)
    return table, cohort


def _with_person(table: pd.DataFrame, roster: pd.DataFrame, person: list[str]) -> pd.DataFrame:
    out = table.merge(roster[["peserta_id", *person]], on="peserta_id", how="left", validate="many_to_one")
    return out[["peserta_id", *person, *[c for c in table.columns if c != "peserta_id"]]]


def _mismatch_table(mismatch: RosterMismatch, roster: pd.DataFrame) -> pd.DataFrame:
    extra = [c for c in ROSTER_COLUMNS[1:] if c in roster.columns]
    stray = pd.DataFrame({"peserta_id": mismatch.not_in_roster, "status": NOT_IN_ROSTER})
    absent = roster.loc[roster["peserta_id"].isin(mismatch.no_responses), ["peserta_id", *extra]]
    absent = absent.sort_values("peserta_id").assign(status=NO_RESPONSES)
    out = pd.concat([stray, absent], ignore_index=True)
    return out[["peserta_id", *extra, "status"]]


def live_summary(live: pd.DataFrame) -> pd.DataFrame:
    """One row per item opened in a live session: how many answered, how many right, how fast.

    Live answers are practice: they are reported here and never enter the scores above.
    """
    correct = live["correct"].astype("boolean")
    keyed = live.assign(_correct=correct.fillna(False).astype(int), _keyed=correct.notna())
    summary = keyed.groupby(["session_id", "seq", "item_id", "kind"], sort=True).agg(
        n_answered=("participant_id", "nunique"), n_correct=("_correct", "sum"), _keyed=("_keyed", "any"),
        median_seconds=("seconds_to_answer", "median")).reset_index()
    summary["proportion_correct"] = (summary["n_correct"] / summary["n_answered"]).where(summary["_keyed"])
    summary["n_correct"] = summary["n_correct"].astype("Int64").where(summary["_keyed"])
    return summary[["session_id", "seq", "item_id", "kind", "n_answered", "n_correct", "proportion_correct",
                    "median_seconds"]]


def read_responses(path: str | Path) -> pd.DataFrame:
    """``responses.parquet`` or ``responses.csv`` as written by ``latsar export``."""
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"Berkas respons {path} tidak ditemukan. Jalankan `latsar export` dahulu.")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype={"peserta_id": str, "item_id": str, "pilihan": str, "assignment": str},
                               keep_default_na=False, na_values={"poin": [""]})
    except (OSError, ValueError) as exc:
        raise ReportError(f"Berkas respons {path} tidak dapat dibaca: {exc}") from None
    raise ReportError(f"Berkas respons {path}: harus .parquet atau .csv.")

