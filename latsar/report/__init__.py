"""Cohort analytics for instructors and analysts: mastery, remedial reading, item and test statistics.

All tables are built from :func:`latsar.scores.responses` and the item bank;
see :mod:`latsar.report.stats` for every formula and its source.
"""

from .stats import (
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
