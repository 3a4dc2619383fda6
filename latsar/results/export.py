"""``latsar export``: the cohort's score tables as CSV and Parquet, written atomically.

- ``responses`` — peserta_id, assignment, item_id, pilihan, benar, poin, variant,
  shown_position, attempt: one row per participant and graded item (item_id is the slot; pilihan
  the canonical letter of the variant shown, shown_position its place on screen, both blank when
  unanswered; attempt 1 for an evaluation, 2, 3, … for its retakes, 0 for the pre-test);
- ``mastery`` — peserta_id, materi_pokok, benar, maks, persen, tuntas;
- ``reflections`` — peserta_id, assignment, prompt_id, prompt, text: what each participant wrote
  for the lessons' reflection prompts (:mod:`latsar.results.reflections`).  Participants wrote
  it: in the CSV a text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``
  first) starts with ``'``; the Parquet file keeps it as written.

The gradebook is read with one SQL query and the chosen letters from the
answer files, so a cohort of thousands of notebooks exports in seconds (nbgrader's
own ``export`` walks the ORM object by object, see nbgrader #799).  Each file is
written beside its target and renamed into place: a reader never sees half a file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from latsar.course import Course
from latsar.course.files import atomic_write, remove_stale_tmp
from latsar.results import scores

TABLES = ("responses", "mastery", "reflections")
#: What a spreadsheet reads as a formula when a cell starts with it (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``table`` with each text in ``columns`` that a spreadsheet would run prefixed by ``'``."""
    out = table.copy()
    for column in columns:
        out[column] = out[column].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def export(course: Course, out: str | Path, db_url: str | None = None) -> dict[str, pd.DataFrame]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(out)
    responses = scores.responses(course, db_url)
    from latsar.results.reflections import reflections

    tables = {"responses": responses, "mastery": scores.mastery(course, responses),
              "reflections": reflections(course)}
    for name, table in tables.items():
        sheet = spreadsheet_safe(table, ["prompt", "text"]) if name == "reflections" else table
        atomic_write(out / f"{name}.csv", lambda p, t=sheet: t.to_csv(p, index=False), failpoint="export-tmp-written")
        atomic_write(out / f"{name}.parquet", lambda p, t=table: t.to_parquet(p, index=False),
                     failpoint="export-tmp-written")
    return tables
