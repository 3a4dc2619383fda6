"""Cohort analytics for instructors and analysts: mastery, remedial reading, item and test statistics.

All tables are built from :func:`latsar.results.scores.responses` and the item bank;
see :mod:`latsar.report.stats` for every formula and its source.

The report files (``latsar report``) are written by :mod:`latsar.report.write`
from one column spec (:mod:`latsar.report.columns`) through
:mod:`~latsar.report.roster`, :mod:`~latsar.report.tables`,
:mod:`~latsar.report.plots`, :mod:`~latsar.report.excel` and
:mod:`~latsar.report.html` (Jinja templates in ``templates/``).  How to add a
column: ``docs/analytics-columns.md``.
"""

from latsar.report.stats import (
    DISCRIMINATION_MIN,
    DISTRACTOR_MIN,
    FACILITY_MAX,
    FACILITY_MIN,
    Cohort,
    ReportError,
    RosterMismatch,
    distractors,
    groups,
    items,
    mastery,
    prepare,
    remedial,
    roster_mismatch,
    test_stats,
)

__all__ = [
    "DISCRIMINATION_MIN", "DISTRACTOR_MIN", "FACILITY_MAX", "FACILITY_MIN", "Cohort", "ReportError",
    "RosterMismatch", "distractors", "groups", "items", "mastery", "prepare", "remedial",
    "roster_mismatch", "test_stats",
]
