"""Cohort report files: CSV tables, an Excel workbook and a self-contained HTML page.

:func:`write_report` turns the ``responses`` table (:func:`latsar.results.scores.responses`)
and the item bank into a report folder::

    mastery.csv, remedial.csv, items.csv, distractors.csv, test.csv
    groups.csv            only with a roster that has kelas and/or instansi
    perlu_diperiksa.csv   only with ``review``; live.csv, live_summary.csv only with ``live``
    laporan_kohort.xlsx   the same tables with Indonesian headers, plus "Petunjuk" (sheets, thresholds and the
                          meaning of every column) and "Selisih roster"
    laporan_kohort.html   the Indonesian report, plots embedded as base64 PNG
    plot_scores.png, plot_groups.png (with a roster), plot_items.png, plot_distractors.png
    gain.csv, gain_cohort.csv, plot_gain.png   only with pre-test rows (attempt 0)

The columns of each table, their order, Indonesian labels, number formats and
meanings are in :mod:`latsar.report.columns` (and nowhere else).

Every statistic comes unchanged from :mod:`latsar.report.stats` (the cohort is
laid out once with :func:`~latsar.report.stats.prepare`); the other modules
only join the roster, relabel and format.  CSV files keep the English column
names and raw values (booleans True/False, proportions 0–1) for analysts; the
workbook and the HTML page are for people and are entirely in Indonesian.

``groups.csv`` stacks one block per roster column found among ``kelas`` and
``instansi``: ``group_by`` names the column, ``group`` holds its value.  A blank
roster cell is the group ``"(tidak diisi)"``; participants with responses who
are missing from the roster form the group ``"(tidak ada di roster)"``, so the
group counts always add up to the cohort.

The roster (:func:`read_roster`) is a CSV ``peserta_id,nama,kelas,instansi``
(extra columns kept).  Participants found on one side only are listed in the
HTML page, the sheet "Selisih roster" and :attr:`ReportFiles.mismatch`; none is
dropped.  Without a roster, ``groups.csv`` and ``plot_groups.png`` left over from
an earlier run in the same folder are removed, so the folder never mixes runs.

Each file is written to a temporary file in the output folder and renamed into
place (:func:`latsar.course.files.atomic_write`).  Bad input raises
:class:`~latsar.report.stats.ReportError` with an Indonesian message;
``latsar report`` prints that message without a traceback.

The workbook and the page show the key of every item (distractor analysis):

The column names, Indonesian labels, number formats and column meanings of
every table are specified once, in :mod:`latsar.report.columns`; the work is
split by output: :mod:`~latsar.report.roster` (reading the roster),
:mod:`~latsar.report.tables` (joins), :mod:`~latsar.report.plots`,
:mod:`~latsar.report.excel` and :mod:`~latsar.report.html` (Jinja templates
in ``latsar/report/templates/``).  This module writes the folder, and keeps
the names other code imports from ``latsar.report.write``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from latsar.course.files import atomic_write
from latsar.authoring.itembank import ItemBank
from latsar.report import columns as spec
from latsar.report.columns import LABELS, NUMBER_FORMATS
from latsar.report.excel import build_workbook
from latsar.report.html import EXCEL_NAME, render_html
from latsar.report.plots import (
    PLOT_FILES,
    figure_png,
    plot_distractors,
    plot_groups,
    plot_items,
    plot_scores,
    report_figures,
)
from latsar.report.roster import ROSTER_COLUMNS, read_roster
from latsar.report.stats import ReportError, RosterMismatch
from latsar.report.tables import (
    GROUP_BLANK,
    GROUP_COLUMNS,
    GROUP_NOT_IN_ROSTER,
    NO_RESPONSES,
    NOT_IN_ROSTER,
    PERSON_COLUMNS,
    ReportTables,
    build_tables,
    live_summary,
    read_responses,
)

__all__ = [
    "CSV_TABLES", "EXCEL_NAME", "GROUP_BLANK", "GROUP_COLUMNS", "GROUP_NOT_IN_ROSTER", "HTML_NAME", "LABELS",
    "NOT_IN_ROSTER", "NO_RESPONSES", "NUMBER_FORMATS", "PERSON_COLUMNS", "PLOT_FILES", "ROSTER_COLUMNS",
    "ReportError", "ReportFiles", "ReportTables", "build_tables", "build_workbook", "figure_png", "live_summary",
    "plot_distractors", "plot_groups", "plot_items", "plot_scores", "read_responses", "read_roster",
    "render_html", "report_figures", "write_report",
]

HTML_NAME = "laporan_kohort.html"
CSV_TABLES = ("mastery", "remedial", "items", "distractors", "test", "groups")


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote, and who is on only one side of the roster."""

    out: Path
    csv: dict[str, Path]  # table name (mastery, remedial, items, distractors, test[, groups]) → file
    excel: Path
    html: Path
    plots: dict[str, Path]  # plot name (scores[, groups], items, distractors) → PNG file
    mismatch: RosterMismatch | None = None  # None when no roster was given
    removed: list[Path] = field(default_factory=list)  # stale files of an earlier run, deleted

    @property
    def paths(self) -> list[Path]:
        return [*self.csv.values(), self.excel, self.html, *self.plots.values()]


def write_report(responses: pd.DataFrame, bank: ItemBank, out: str | Path, roster: pd.DataFrame | None = None,
                 *, generated: datetime | None = None, review: pd.DataFrame | None = None,
                 live: pd.DataFrame | None = None, method: str = "best") -> ReportFiles:
    """Write the CSV tables, ``laporan_kohort.xlsx``, ``laporan_kohort.html`` and ``plot_*.png`` into ``out``.

    ``review`` (peserta_id, assignment, alasan; :func:`latsar.results.scores.review`)
    adds ``perlu_diperiksa.csv``, a sheet and a section "Perlu diperiksa".
    ``live`` (the saved live-quiz session tables, :func:`latsar.live.store.read_tables`) adds
    ``live.csv``, ``live_summary.csv``, the sheet "Kuis langsung" and a section of the page.

    Raises :class:`ReportError` (Indonesian message) for input the report cannot
    be built from, before anything is written.
    """
    tables = dataclasses.replace(build_tables(responses, bank, roster, method), review=review)
    generated = generated or datetime.now()
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"Folder laporan {out} tidak dapat dibuat: {exc.strerror or exc}.") from None

    csv_files = {}
    named = {"mastery": tables.mastery, "remedial": tables.remedial, "items": tables.items,
             "distractors": tables.distractors, "test": tables.test, "groups": tables.groups,
             "perlu_diperiksa": tables.review, "variants": tables.variants, "positions": tables.positions,
             "attempts": tables.attempts, "gain": tables.gain, "gain_cohort": tables.gain_cohort}
    for name, table in named.items():
        if table is not None:
            csv_files[name] = _write_csv(out, name, table)

    pngs = {name: figure_png(fig) for name, fig in report_figures(tables).items()}
    plots = {name: atomic_write(out / PLOT_FILES[name], lambda p, b=data: Path(p).write_bytes(b))
             for name, data in pngs.items()}

    removed = []
    if tables.groups is None or tables.positions is None or tables.attempts is None:
        stale_files = [out / "groups.csv", out / PLOT_FILES["groups"]] if tables.groups is None else []
        stale_files += [out / "positions.csv"] if tables.positions is None else []
        stale_files += [out / "attempts.csv"] if tables.attempts is None else []
        for stale in stale_files:
            if stale.exists():
                stale.unlink()
                removed.append(stale)
    if tables.gain is None:  # no pre-test rows: no gain files left from an earlier run
        for stale in (out / "gain.csv", out / "gain_cohort.csv", out / PLOT_FILES["gain"]):
            if stale.exists():
                stale.unlink()
                removed.append(stale)

    summary = live_summary(live) if live is not None and len(live) else None
    if summary is not None:
        csv_files["live"] = atomic_write(out / "live.csv", lambda p: live.to_csv(p, index=False))
        csv_files["live_summary"] = _write_csv(out, "live_summary", summary)

    excel = atomic_write(out / EXCEL_NAME, lambda p: build_workbook(tables, generated, summary).save(p))
    page = render_html(tables, pngs, generated, summary)
    html_path = atomic_write(out / HTML_NAME, lambda p: Path(p).write_text(page, encoding="utf-8"))
    return ReportFiles(out, csv_files, excel, html_path, plots, tables.mismatch, removed)


def _write_csv(out: Path, name: str, table: pd.DataFrame) -> Path:
    """``name``.csv with the English column names, in the order of the column spec."""
    frame = spec.ordered(table, spec.TABLES[name])
    return atomic_write(out / f"{name}.csv", lambda p: frame.to_csv(p, index=False))
