"""Score tables: nbgrader's points joined with the letters participants chose.

nbgrader's gradebook stores points per grade cell; the chosen letter of each
item lives in the answer file of each autograded submission.  This module
joins the two into tidy pandas tables:

- ``responses``: peserta_id, assignment, item_id, pilihan, benar, poin, variant,
  shown_position — one row per participant and graded item (slot); ``pilihan`` is the
  chosen option in the bank's terms (a letter of ``variant``'s options), ``variant`` the
  variant the participant was shown, ``shown_position`` the chosen option's position on
  their screen (1–4); all blank when unanswered; ``attempt`` which attempt the assignment is
  (:func:`latsar.course.assignment_attempt`: 1 for an evaluation, 2, 3, … for its retakes, 0 for
  the pre-test);
- ``mastery``: peserta_id, materi_pokok, benar, maks, persen, tuntas —
  the module's rule: ≥ 80 % of a Materi Pokok's evaluation is *tuntas*.

The gradebook is read with one SQL query (no ORM object per grade), which
keeps it fast for large cohorts.
"""

from __future__ import annotations

import pandas as pd

from latsar.course import gradebook
from latsar.kernel.answers import AnswerStore
from latsar.course import Course, assignment_attempt, mastered

_GRADES_SQL = """
SELECT sa.student_id  AS peserta_id,
       a.name         AS assignment,
       bc.name        AS grade_id,
       g.auto_score   AS auto_score,
       g.manual_score AS manual_score,
       g.extra_credit AS extra_credit,
       gc.max_score   AS max_score
FROM grade g
JOIN base_cell bc            ON g.cell_id = bc.id
JOIN grade_cells gc          ON gc.id = bc.id
JOIN submitted_notebook sn   ON g.notebook_id = sn.id
JOIN submitted_assignment sa ON sn.assignment_id = sa.id
JOIN assignment a            ON sa.assignment_id = a.id
"""


def gradebook_grades(course: Course, db_url: str | None = None) -> pd.DataFrame:
    """Every grade cell score in the gradebook (manual score wins over auto)."""
    grades = gradebook.read_sql(db_url or course.db_url, _GRADES_SQL)
    score = grades["manual_score"].where(grades["manual_score"].notna(), grades["auto_score"])
    grades["score"] = score.fillna(0.0) + grades["extra_credit"].fillna(0.0)
    return grades


def grade_cells(course: Course, db_url: str | None = None) -> dict[tuple[str, str, str], tuple]:
    """Every grade cell's (auto, manual) score by (student, assignment, cell): compares gradebooks."""
    grades = gradebook_grades(course, db_url)[["peserta_id", "assignment", "grade_id", "auto_score", "manual_score"]]
    grades = grades.astype(object).where(grades.notna(), None)
    return {(p, a, c): (auto, manual) for p, a, c, auto, manual in grades.itertuples(index=False)}


def chosen_letters(course: Course, pairs) -> pd.DataFrame:
    """Choices from each autograded submission's answer file: the canonical letter (``pilihan``),
    the variant shown and the chosen option's position as shown (1–4)."""
    rows = []
    for peserta, assignment in pairs:
        for item_id, record in AnswerStore(course.autograded_dir(peserta, assignment)).records().items():
            position = record.order.index(record.choice) + 1 if record.shown else pd.NA
            rows.append((peserta, assignment, item_id, record.choice, record.variant, position))
    return pd.DataFrame(rows, columns=["peserta_id", "assignment", "item_id", "pilihan", "variant", "shown_position"])


def responses(course: Course, db_url: str | None = None) -> pd.DataFrame:
    bank = course.item_bank
    grades = gradebook_grades(course, db_url)
    items = grades[grades["grade_id"].isin([i.id for i in bank])].rename(columns={"grade_id": "item_id"})
    # nbgrader creates a submission's grade rows empty, then executes, then stores the
    # points: a submission with an empty item grade is being graded (or its grading
    # failed), so it is left out whole rather than shown with zero points.
    ungraded = items["auto_score"].isna() & items["manual_score"].isna()
    pending = set(items.loc[ungraded, ["peserta_id", "assignment"]].itertuples(index=False, name=None))
    if pending:
        keys = pd.Series(list(zip(items["peserta_id"], items["assignment"])), index=items.index)
        items = items[~keys.isin(pending)]
    pairs = items[["peserta_id", "assignment"]].drop_duplicates().itertuples(index=False)
    letters = chosen_letters(course, pairs)
    table = items.merge(letters, on=["peserta_id", "assignment", "item_id"], how="left")
    table["pilihan"] = table["pilihan"].fillna("")
    table["variant"] = table["variant"].fillna("")
    table["shown_position"] = table["shown_position"].astype("Int64")
    table["poin"] = table["score"].astype(float)
    table["benar"] = table["poin"] >= table["max_score"]
    order = {item.id: n for n, item in enumerate(bank)}
    table = table.assign(_order=table["item_id"].map(order)).sort_values(["peserta_id", "_order"])
    table["attempt"] = table["assignment"].map(lambda a: assignment_attempt(a)[1]).astype("Int64")
    return table[["peserta_id", "assignment", "item_id", "pilihan", "benar", "poin", "variant",
                  "shown_position", "attempt"]].reset_index(drop=True)


def is_pretest(table: pd.DataFrame) -> pd.Series:
    """Which rows of ``responses`` are the pre-test's (``attempt`` 0): never part of a mastery verdict
    or of the evaluations' statistics, only of the learning gain (:mod:`latsar.report.gain`)."""
    if "attempt" not in table.columns:
        return pd.Series(False, index=table.index)
    return (pd.to_numeric(table["attempt"], errors="coerce") == 0).fillna(False).astype(bool)


def attempt_scores(bank, table: pd.DataFrame) -> pd.DataFrame:
    """Points per participant × Materi Pokok × attempt (1, 2, …; pre-test rows left out)."""
    mp = {i.id: i.materi_pokok for i in bank}
    maks = pd.Series({m: sum(i.points for i in bank.for_materi_pokok(m)) for m in bank.materi_pokok})
    attempt = table["attempt"].fillna(1).astype(int) if "attempt" in table.columns else 1
    scored = table.assign(materi_pokok=table["item_id"].map(mp), attempt=attempt)
    out = scored[scored["attempt"] >= 1].groupby(["peserta_id", "materi_pokok", "attempt"], as_index=False)["poin"].sum()
    out = out.rename(columns={"poin": "benar"})
    out["maks"] = out["materi_pokok"].map(maks).astype(float)
    return out


def mastery(course: Course, table: pd.DataFrame | None = None, method: str | None = None) -> pd.DataFrame:
    """Per participant × Materi Pokok, the attempt that counts under ``method`` (best, first, last;
    default ``c.Mastery.method`` of nbgrader_config.py): its points and *tuntas*, how many attempts."""
    from latsar.results.attempts import verdict
    from latsar.results.method import configured_method

    bank = course.item_bank
    table = responses(course) if table is None else table
    root = getattr(course, "root", None)
    out = verdict(attempt_scores(bank, table), method or (configured_method(root) if root else "best"))
    return out[["peserta_id", "materi_pokok", "benar", "maks", "persen", "tuntas", "attempts", "attempt_used",
                "method"]]


def review(course: Course) -> pd.DataFrame:
    """Submissions graded but flagged *perlu diperiksa* by ``latsar autograde``, with the reason.

    Read from the record each graded submission keeps beside its autograded copy."""
    import json

    rows = []
    if course.autograded.is_dir():
        for folder in sorted(p for p in course.autograded.glob("*/*") if p.is_dir()):
            # .latsar-periksa.json: written by every grading path (latsar.grading.sanitize.ReconcileClicks);
            # .latsar-dinilai.json: latsar autograde's own record, for folders graded before it existed
            for name in (".latsar-periksa.json", ".latsar-dinilai.json"):
                try:
                    data = json.loads((folder / name).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if data.get("status") == "flagged":
                    rows.append((folder.parent.name, folder.name, data.get("reason", "")))
                break
    table = pd.DataFrame(rows, columns=["peserta_id", "assignment", "alasan"])
    table.attrs["sandbox"] = sandbox_modes(course)
    return table


def sandbox_modes(course: Course) -> dict[str, int]:
    """How many graded submissions ran in each sandbox mode (from the review records)."""
    import json

    counts: dict[str, int] = {}
    for record in sorted(course.autograded.glob("*/*/.latsar-periksa.json")) if course.autograded.is_dir() else []:
        try:
            mode = json.loads(record.read_text(encoding="utf-8")).get("sandbox", "?")
        except (OSError, ValueError):
            continue
        counts[mode] = counts.get(mode, 0) + 1
    return counts
