"""Cohort report files: CSV tables, an Excel workbook and a self-contained HTML page.

:func:`write_report` turns the ``responses`` table (:func:`latsar.scores.responses`)
and the item bank into a report folder::

    mastery.csv        peserta_id[, nama, kelas], materi_pokok, benar, maks, persen, tuntas, near_cut
    remedial.csv       peserta_id[, nama, kelas], materi_pokok, section_id, section, n_wrong
    items.csv          item_id, materi_pokok, section_id, n, facility, sd, discrimination_index,
                       discriminative_efficiency, d_upper_lower, review, review_reason, note
    distractors.csv    item_id, option, count, proportion, is_key, rest_correlation, non_functioning
    test.csv           materi_pokok, n, k, mean, median, sd, skewness, kurtosis, alpha, kr20, sem,
                       mastery_rate, note
    groups.csv         (only with a roster that has kelas and/or instansi) group_by, group,
                       materi_pokok, n, mean_persen, mastery_rate, near_cut_count, n_absent
    laporan_kohort.xlsx   the same tables with Indonesian headers, plus "Petunjuk" and "Selisih roster"
    laporan_kohort.html   the Indonesian report, plots embedded as base64 PNG
    plot_scores.png, plot_groups.png (with a roster), plot_items.png, plot_distractors.png

Every statistic comes unchanged from :mod:`latsar.report.stats` (the cohort is
laid out once with :func:`~latsar.report.stats.prepare`); this module only
joins the roster, relabels and formats.  CSV files keep the English column
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
place (:func:`latsar.export.atomic_write`).  Bad input raises
:class:`~latsar.report.stats.ReportError` with an Indonesian message;
``python -m latsar.report.write`` prints that message without a traceback.

The workbook and the page show the key of every item (distractor analysis):
they are for instructors only.
"""

from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import math
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..export import atomic_write
from ..itembank import MASTERY_THRESHOLD, ItemBank, ItemBankError
from . import stats
from .stats import (
    DISCRIMINATION_MIN,
    DISTRACTOR_MIN,
    FACILITY_MAX,
    FACILITY_MIN,
    KOSONG,
    OPTIONS,
    UPPER_LOWER_PERCENT,
    ReportError,
    RosterMismatch,
)

EXCEL_NAME = "laporan_kohort.xlsx"
HTML_NAME = "laporan_kohort.html"
CSV_TABLES = ("mastery", "remedial", "items", "distractors", "test", "groups")
ROSTER_COLUMNS = ("peserta_id", "nama", "kelas", "instansi")
#: Roster columns that give a group table (and plot), when present.
GROUP_COLUMNS = ("kelas", "instansi")
#: Roster columns carried into the mastery and remedial tables, when present.
PERSON_COLUMNS = ("nama", "kelas")
GROUP_BLANK = "(tidak diisi)"
GROUP_NOT_IN_ROSTER = "(tidak ada di roster)"
NOT_IN_ROSTER = "ada jawaban, tidak ada di roster"
NO_RESPONSES = "ada di roster, belum ada jawaban"

#: PNG file of each plot, by plot name.
PLOT_FILES = {
    "scores": "plot_scores.png",
    "groups": "plot_groups.png",
    "items": "plot_items.png",
    "distractors": "plot_distractors.png",
}

# Indonesian headers of the workbook and the HTML tables.
LABELS = {
    "peserta_id": "NIP/ID peserta",
    "assignment": "Tugas",
    "alasan": "Alasan (perlu diperiksa)",
    "nama": "Nama",
    "kelas": "Kelas",
    "instansi": "Instansi",
    "materi_pokok": "Materi Pokok",
    "benar": "Benar",
    "maks": "Maks",
    "persen": "Persen (%)",
    "tuntas": "Tuntas",
    "near_cut": "Dekat batas 80%",
    "section_id": "Kode bagian",
    "section": "Bagian modul yang dibaca ulang",
    "n_wrong": "Soal salah/kosong",
    "item_id": "Kode soal",
    "n": "Jumlah peserta (n)",
    "k": "Jumlah soal (k)",
    "facility": "Tingkat kemudahan",
    "sd": "Simpangan baku",
    "discrimination_index": "Indeks daya beda",
    "discriminative_efficiency": "Efisiensi daya beda",
    "d_upper_lower": "Daya beda atas–bawah (D)",
    "review": "Perlu ditinjau",
    "review_reason": "Alasan ditinjau",
    "note": "Catatan",
    "option": "Pilihan",
    "count": "Jumlah pemilih",
    "proportion": "Proporsi pemilih",
    "is_key": "Kunci",
    "rest_correlation": "Korelasi dengan skor sisa",
    "non_functioning": "Pengecoh tidak berfungsi",
    "mean": "Rata-rata",
    "median": "Median",
    "skewness": "Kemencengan",
    "kurtosis": "Keruncingan",
    "alpha": "Alfa Cronbach",
    "kr20": "KR-20",
    "sem": "SEM",
    "mastery_rate": "Tingkat ketuntasan",
    "group_by": "Dikelompokkan menurut",
    "group": "Kelompok",
    "mean_persen": "Rata-rata persen (%)",
    "near_cut_count": "Dekat batas 80% (orang)",
    "n_absent": "Tidak mengumpulkan",
    "status": "Keterangan",
    # live quiz (latsar.live)
    "session_id": "Sesi",
    "title": "Judul sesi",
    "seq": "Urutan",
    "kind": "Jenis",
    "n_answered": "Menjawab",
    "n_correct": "Benar",
    "proportion_correct": "Proporsi benar",
    "median_seconds": "Median waktu menjawab (detik)",
}

# Excel number formats (the value stays a number; NaN becomes an empty cell).
NUMBER_FORMATS = {
    "persen": "0.0", "mean_persen": "0.0",
    "facility": "0.00", "sd": "0.00", "d_upper_lower": "0.00", "rest_correlation": "0.00",
    "discrimination_index": "0.0", "discriminative_efficiency": "0.0",
    "mean": "0.00", "median": "0.0", "skewness": "0.00", "kurtosis": "0.00",
    "alpha": "0.00", "kr20": "0.00", "sem": "0.00",
    "proportion": "0.0%", "mastery_rate": "0.0%", "proportion_correct": "0.0%", "median_seconds": "0.0",
}

GREEN, RED, AMBER, HEADER = "C6EFCE", "FFC7CE", "FFEB9C", "D9E1F2"
KEY_COLOUR, NF_COLOUR, DISTRACTOR_COLOUR, BLANK_COLOUR = "#2e7d32", "#ef8f00", "#7f8c9a", "#c9ced6"
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")


# -- results ------------------------------------------------------------------------------


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


# -- roster ------------------------------------------------------------------------------


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read a roster CSV ``peserta_id,nama,kelas,instansi`` (extra columns kept, all as text).

    Accepts a UTF-8 BOM and ``;`` as separator (Excel in the Indonesian locale).
    Cells are stripped; blank cells are "".  Raises :class:`ReportError` naming
    the file and every bad row: a missing column, an empty or a duplicate peserta_id.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReportError(f"Berkas roster {path} tidak ditemukan.") from None
    except OSError as exc:
        raise ReportError(f"Berkas roster {path} tidak dapat dibaca: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"Berkas roster {path}: bukan UTF-8 (byte ke-{exc.start}); simpan ulang sebagai CSV UTF-8."
        ) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or all(not h.strip() for h in header):
        raise ReportError(
            f"Berkas roster {path} baris 1: judul kolom tidak ada; harus {','.join(ROSTER_COLUMNS)}."
        )
    header = [h.strip().lower() for h in header]
    problems = []
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        problems.append(f"baris 1: kolom {', '.join(repr(c) for c in missing)} tidak ada "
                        f"(judul kolom harus memuat {','.join(ROSTER_COLUMNS)}; ada {','.join(header)})")
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        problems.append(f"baris 1: kolom {', '.join(repr(c) for c in doubled)} muncul lebih dari sekali")
    if problems:
        raise ReportError(_problems(path, problems))

    rows, lines, seen = [], [], {}
    id_col = header.index("peserta_id")
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(f"baris {line}: harus {len(header)} kolom, ada {len(row)}")
            continue
        row = [c.strip() for c in row]
        peserta = row[id_col]
        if not peserta:
            problems.append(f"baris {line}: peserta_id kosong")
        elif peserta in seen:
            problems.append(f"baris {line}: peserta_id {peserta!r} ganda (sudah ada di baris {seen[peserta]})")
        else:
            seen[peserta] = line
        rows.append(row)
        lines.append(line)
    if problems:
        raise ReportError(_problems(path, problems))
    table = pd.DataFrame(rows, columns=header, dtype=object)
    ordered = [*ROSTER_COLUMNS, *(c for c in header if c not in ROSTER_COLUMNS)]
    return table[ordered].astype(str).reset_index(drop=True)


def _problems(path: Path, problems: list[str]) -> str:
    shown = "\n".join(f"  - {p}" for p in problems[:50])
    more = f"\n  … dan {len(problems) - 50} masalah lain" if len(problems) > 50 else ""
    return f"Berkas roster {path}: {len(problems)} masalah. Perbaiki lalu jalankan lagi:\n{shown}{more}"


def _clean_roster(roster: pd.DataFrame) -> pd.DataFrame:
    """peserta_id as stripped text, none blank, none duplicate (a DataFrame given directly)."""
    if not isinstance(roster, pd.DataFrame) or "peserta_id" not in roster.columns:
        raise ReportError("Daftar peserta (roster) harus tabel dengan kolom 'peserta_id'.")
    ids = roster["peserta_id"]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        rows = (np.flatnonzero(blank) + 1)[:10].tolist()
        raise ReportError(f"peserta_id kosong di daftar peserta (baris data ke-{rows}).")
    out = roster.assign(peserta_id=ids.astype(str).str.strip())
    dup = out["peserta_id"].duplicated(keep=False)
    if dup.any():
        raise ReportError(f"peserta_id ganda di daftar peserta: {sorted(out.loc[dup, 'peserta_id'].unique())[:10]}.")
    return out.reset_index(drop=True)


def _group_values(column: pd.Series) -> pd.Series:
    values = column.astype(object).where(column.notna(), "")
    values = values.map(lambda v: str(v).strip())
    return values.where(values != "", GROUP_BLANK)


# -- tables ------------------------------------------------------------------------------


def build_tables(responses: pd.DataFrame, bank: ItemBank, roster: pd.DataFrame | None = None) -> ReportTables:
    """All report tables: the stats functions on one prepared cohort, joined with the roster."""
    cohort = stats.prepare(responses, bank)
    mastery = stats.mastery(cohort, bank)
    remedial = stats.remedial(cohort, bank)
    item_table = stats.items(cohort, bank)
    distractor_table = stats.distractors(cohort, bank)
    test = stats.test_stats(cohort, bank)
    groups = mismatch = mismatch_table = n_roster = None
    if roster is not None:
        roster = _clean_roster(roster)
        n_roster = len(roster)
        mismatch = stats.roster_mismatch(cohort, roster)
        person = [c for c in PERSON_COLUMNS if c in roster.columns]
        if person:
            mastery = _with_person(mastery, roster, person)
            remedial = _with_person(remedial, roster, person)
        parts = []
        for by in (c for c in GROUP_COLUMNS if c in roster.columns):
            r = roster[["peserta_id"]].assign(**{by: _group_values(roster[by])})
            g = stats.groups(cohort, bank, r, by)
            g[by] = g[by].astype(object).where(g[by].notna(), GROUP_NOT_IN_ROSTER)
            parts.append(g.rename(columns={by: "group"}).assign(group_by=by))
        if parts:
            groups = pd.concat(parts, ignore_index=True)
            groups = groups[["group_by", "group", *[c for c in groups.columns if c not in ("group_by", "group")]]]
        mismatch_table = _mismatch_table(mismatch, roster)
    return ReportTables(mastery, remedial, item_table, distractor_table, test, groups, mismatch,
                        mismatch_table, len(cohort.peserta), n_roster)


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


# -- plots -------------------------------------------------------------------------------


def plot_scores(mastery: pd.DataFrame) -> Figure:
    """(a) Histogram of items correct per Materi Pokok, with the 80 % cut as a vertical line."""
    mps = sorted(mastery["materi_pokok"].unique())
    fig = Figure(figsize=(5.2 * max(len(mps), 1), 3.8), layout="constrained")
    axes = fig.subplots(1, max(len(mps), 1), squeeze=False)[0]
    for ax, mp in zip(axes, mps):
        m = mastery[mastery["materi_pokok"] == mp]
        maks = float(m["maks"].iloc[0])
        cut = MASTERY_THRESHOLD * maks
        edges = np.arange(0, math.ceil(maks) + 2) - 0.5
        counts, _ = np.histogram(m["benar"].to_numpy(dtype=float), bins=edges)
        centres = edges[:-1] + 0.5
        colours = np.where(centres >= cut - 1e-9, f"#{GREEN}", f"#{RED}")
        ax.bar(centres, counts, width=0.9, color=colours, edgecolor="#555555", linewidth=0.6)
        ax.axvline(cut, color="#b00020", linestyle="--", linewidth=1.6, label=f"batas tuntas 80 % ({cut:g} soal)")
        ax.set_title(f"Materi Pokok {mp} (n = {len(m)})")
        ax.set_xlabel("Jumlah soal benar")
        ax.set_ylabel("Jumlah peserta")
        ax.set_xticks(centres[:: max(1, len(centres) // 12)])
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.suptitle("Sebaran skor per Materi Pokok (hijau = tuntas, merah = ulangi)")
    return fig


def plot_groups(groups: pd.DataFrame) -> Figure:
    """(b) Mastery rate per roster group and Materi Pokok (one panel per grouping column)."""
    blocks = [(by, g[g["n"] > 0]) for by, g in groups.groupby("group_by", sort=False)]
    heights = [max(2.0, 0.45 * g["group"].nunique() * max(g["materi_pokok"].nunique(), 1) / 1.6 + 1.2)
               for _, g in blocks]
    fig = Figure(figsize=(8, sum(heights) + 0.6), layout="constrained")
    axes = fig.subplots(len(blocks), 1, squeeze=False, height_ratios=heights)[:, 0]
    colours = ["#3b6ea8", "#e08a2c", "#5a9e5a", "#9b59b6"]
    for ax, (by, g) in zip(axes, blocks):
        names = list(dict.fromkeys(g["group"].astype(str)))
        mps = sorted(g["materi_pokok"].unique())
        y = np.arange(len(names))
        h = 0.8 / max(len(mps), 1)
        for n, mp in enumerate(mps):
            part = g[g["materi_pokok"] == mp]
            part = part.set_index(part["group"].astype(str))
            rate = part["mastery_rate"].reindex(names).to_numpy(dtype=float) * 100
            counts = part["n"].reindex(names).fillna(0).astype(int).to_numpy()
            pos = y - 0.4 + h * (n + 0.5)
            ax.barh(pos, np.nan_to_num(rate), height=h * 0.95, color=colours[n % len(colours)],
                    label=f"Materi Pokok {mp}")
            for p, r, c in zip(pos, rate, counts):
                if not np.isnan(r):
                    ax.text(min(r, 100) + 1, p, f"{r:.0f} % (n={c})", va="center", fontsize=7)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, 118)
        ax.axvline(80, color="#999999", linestyle=":", linewidth=1)
        ax.set_xlabel("Peserta tuntas (%)")
        ax.set_title(f"Tingkat ketuntasan per {LABELS.get(by, by).lower()}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(len(labels), 1), fontsize=8, frameon=False)
    return fig


def plot_items(item_table: pd.DataFrame) -> Figure:
    """(c) Facility vs discrimination index, with the review thresholds; flagged items labelled."""
    fig = Figure(figsize=(8, 5.6), layout="constrained")
    ax = fig.subplots()
    ax.axvspan(0, FACILITY_MIN, color=f"#{AMBER}", alpha=0.45, lw=0)
    ax.axvspan(FACILITY_MAX, 1.0, color=f"#{AMBER}", alpha=0.45, lw=0)
    ax.axhspan(-100, DISCRIMINATION_MIN, color=f"#{AMBER}", alpha=0.45, lw=0)
    ax.axvline(FACILITY_MIN, color="#b26b00", linestyle="--", linewidth=1)
    ax.axvline(FACILITY_MAX, color="#b26b00", linestyle="--", linewidth=1)
    ax.axhline(DISCRIMINATION_MIN, color="#b26b00", linestyle="--", linewidth=1)
    ax.axhline(0, color="#555555", linewidth=0.8)
    t = item_table[item_table["facility"].notna() & item_table["discrimination_index"].notna()]
    undefined = item_table[item_table["facility"].notna() & item_table["discrimination_index"].isna()]
    low = min(-10.0, float(t["discrimination_index"].min()) - 10) if len(t) else -10.0
    low = max(low, -100.0)
    ok, flagged = t[~t["review"]], t[t["review"]]
    ax.scatter(ok["facility"], ok["discrimination_index"], s=36, color="#3b6ea8", label="baik", zorder=3)
    ax.scatter(flagged["facility"], flagged["discrimination_index"], s=46, color="#c0392b", marker="D",
               label="perlu ditinjau", zorder=3)
    def label(name, x, y):
        right = x > 0.85  # near the right edge: label on the left of the point
        ax.annotate(str(name), (x, y), xytext=(-5 if right else 5, 4), textcoords="offset points",
                    ha="right" if right else "left", fontsize=8, color="#7b1f16")

    # items on the same spot share one label ("MP2-02, MP2-03")
    spots = flagged.groupby([flagged["facility"].round(6), flagged["discrimination_index"].round(6)], sort=False)
    for (x, y), same in spots:
        label(", ".join(same["item_id"].astype(str)), x, y)
    if len(undefined):  # e.g. everybody right: no discrimination index; drawn on the bottom edge
        y = np.full(len(undefined), low + 3)
        colours = np.where(undefined["review"], "#c0392b", "#3b6ea8")
        ax.scatter(undefined["facility"], y, s=46, marker="v", facecolors="none", edgecolors=colours,
                   label="daya beda tidak terdefinisi", zorder=3)
        marked = undefined[undefined["review"]]
        for x, same in marked.groupby(marked["facility"].round(6), sort=False):
            label(", ".join(same["item_id"].astype(str)), x, low + 3)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(low, 100)
    ax.set_xlabel(f"Tingkat kemudahan (proporsi benar); ambang {FACILITY_MIN:.2f} dan {FACILITY_MAX:.2f}")
    ax.set_ylabel(f"Indeks daya beda (0–100); ambang {DISCRIMINATION_MIN:g}")
    ax.set_title("Peta soal: tingkat kemudahan vs indeks daya beda (area kuning = di luar ambang)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def plot_distractors(distractor_table: pd.DataFrame, columns: int = 5) -> Figure:
    """(d) Share of each option per item (small multiples): key green, non-functioning distractors orange."""
    item_ids = list(dict.fromkeys(distractor_table["item_id"]))
    cols = max(1, min(columns, len(item_ids)))
    rows = max(1, math.ceil(len(item_ids) / cols))
    fig = Figure(figsize=(2.3 * cols, 1.9 * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for ax in axes.flat[len(item_ids):]:
        ax.set_visible(False)
    for ax, (item_id, d) in zip(axes.flat, distractor_table.groupby("item_id", sort=False)):
        d = d.set_index("option").reindex(list(OPTIONS))
        colours = [KEY_COLOUR if bool(d.at[o, "is_key"]) else BLANK_COLOUR if o == KOSONG
                   else NF_COLOUR if bool(d.at[o, "non_functioning"]) else DISTRACTOR_COLOUR for o in OPTIONS]
        share = d["proportion"].to_numpy(dtype=float) * 100
        ax.bar(range(len(OPTIONS)), np.nan_to_num(share), color=colours)
        unused = [n for n, o in enumerate(OPTIONS) if bool(d.at[o, "non_functioning"]) and not share[n] > 0]
        ax.scatter(unused, [3] * len(unused), marker="x", color=NF_COLOUR, s=18, zorder=3)  # nobody chose it
        ax.set_xticks(range(len(OPTIONS)), [*OPTIONS[:-1], KOSONG], fontsize=7)
        ax.set_ylim(0, 100)
        ax.axhline(DISTRACTOR_MIN * 100, color="#999999", linestyle=":", linewidth=0.8)
        ax.set_title(str(item_id), fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("% peserta", fontsize=8)
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color=KEY_COLOUR, label="kunci"), Patch(color=DISTRACTOR_COLOUR, label="pengecoh"),
                        Patch(color=NF_COLOUR, label="pengecoh tidak berfungsi"),
                        Patch(color=BLANK_COLOUR, label="kosong (tidak dijawab)")],
               loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle(f"Pilihan jawaban per soal (garis titik = {DISTRACTOR_MIN:.0%} peserta; "
                 "× = pengecoh yang tidak dipilih siapa pun)")
    return fig


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (Agg; no pyplot state involved)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def report_figures(tables: ReportTables) -> dict[str, Figure]:
    """The report's plots by name (``groups`` only with a roster that has kelas/instansi)."""
    figures = {"scores": plot_scores(tables.mastery)}
    if tables.groups is not None and (tables.groups["n"] > 0).any():
        figures["groups"] = plot_groups(tables.groups)
    figures["items"] = plot_items(tables.items)
    figures["distractors"] = plot_distractors(tables.distractors)
    return figures


# -- writing -----------------------------------------------------------------------------


def write_report(responses: pd.DataFrame, bank: ItemBank, out: str | Path, roster: pd.DataFrame | None = None,
                 *, generated: datetime | None = None, review: pd.DataFrame | None = None,
                 live: pd.DataFrame | None = None) -> ReportFiles:
    """Write the CSV tables, ``laporan_kohort.xlsx``, ``laporan_kohort.html`` and ``plot_*.png`` into ``out``.

    ``review`` (peserta_id, assignment, alasan; :func:`latsar.scores.review`)
    adds ``perlu_diperiksa.csv``, a sheet and a section "Perlu diperiksa".
    ``live`` (the saved live-quiz session tables, :func:`latsar.live.store.read_tables`) adds
    ``live.csv``, ``live_summary.csv``, the sheet "Kuis langsung" and a section of the page.

    Raises :class:`ReportError` (Indonesian message) for input the report cannot
    be built from, before anything is written.
    """
    import dataclasses

    tables = dataclasses.replace(build_tables(responses, bank, roster), review=review)
    generated = generated or datetime.now()
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"Folder laporan {out} tidak dapat dibuat: {exc.strerror or exc}.") from None

    csv_files = {}
    named = {"mastery": tables.mastery, "remedial": tables.remedial, "items": tables.items,
             "distractors": tables.distractors, "test": tables.test, "groups": tables.groups,
             "perlu_diperiksa": tables.review}
    for name, table in named.items():
        if table is not None:
            csv_files[name] = atomic_write(out / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))

    pngs = {name: figure_png(fig) for name, fig in report_figures(tables).items()}
    plots = {name: atomic_write(out / PLOT_FILES[name], lambda p, b=data: Path(p).write_bytes(b))
             for name, data in pngs.items()}

    removed = []
    if tables.groups is None:
        for stale in (out / "groups.csv", out / PLOT_FILES["groups"]):
            if stale.exists():
                stale.unlink()
                removed.append(stale)

    summary = live_summary(live) if live is not None and len(live) else None
    if summary is not None:
        csv_files["live"] = atomic_write(out / "live.csv", lambda p: live.to_csv(p, index=False))
        csv_files["live_summary"] = atomic_write(out / "live_summary.csv", lambda p: summary.to_csv(p, index=False))

    def workbook():
        wb = build_workbook(tables, generated)
        if summary is not None:
            _add_sheet(wb, "Kuis langsung", summary)
        return wb

    excel = atomic_write(out / EXCEL_NAME, lambda p: workbook().save(p))
    page = render_html(tables, pngs, generated)
    if summary is not None:
        page = page.replace("</body></html>", _live_html(summary) + "</body></html>")
    html_path = atomic_write(out / HTML_NAME, lambda p: Path(p).write_text(page, encoding="utf-8"))
    return ReportFiles(out, csv_files, excel, html_path, plots, tables.mismatch, removed)


# -- live quiz ---------------------------------------------------------------------------


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


def _live_html(summary: pd.DataFrame) -> str:
    rows = ([(_esc(r.session_id), ""), (_esc(r.seq), "num"), (_esc(r.item_id), ""), (_esc(r.n_answered), "num"),
             (_esc(r.n_correct), "num"), (_pct(r.proportion_correct), "num"), (_num(r.median_seconds, 1), "num")]
            for r in summary.itertuples(index=False))
    return ("<h2>Kuis langsung</h2><p>Soal yang dibuka pengampu dalam sesi kelas. Jawaban kuis langsung hanya "
            "latihan dan tidak ikut dinilai. Tabel lengkap per peserta: live.csv.</p>"
            + _table(["Sesi", "Urutan", "Kode soal", "Menjawab", "Benar", "Proporsi benar",
                      "Median waktu menjawab (detik)"], rows) + "\n")


# -- Excel -------------------------------------------------------------------------------


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ya/tidak (tuntas as tuntas/ulangi), grouping names in Indonesian."""
    out = table.copy()
    for col in out.columns:
        if col == "tuntas":
            out[col] = np.where(out[col].astype(bool), "tuntas", "ulangi")
        elif col == "group_by":
            out[col] = out[col].map(lambda v: LABELS.get(v, v))
        elif col == "option":
            out[col] = out[col].astype(object)
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = np.where(out[col], "ya", "tidak")
    return out


def _cell(value):
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return "ya" if value else "tidak"
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _add_sheet(wb, title: str, table: pd.DataFrame, fill: Callable[[pd.DataFrame], Iterable] | None = None,
               bold: str | None = None) -> None:
    """A sheet with Indonesian headers, frozen header row, autofilter, widths, formats and row fills."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    shown = _display(table)
    columns = list(table.columns)
    ws.append([LABELS.get(c, c) for c in columns])
    header_fill = PatternFill("solid", fgColor=HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fills = list(fill(table)) if fill is not None else [None] * len(table)
    cache = {}
    bold_col = columns.index(bold) + 1 if bold in columns else None
    emphasis = table[bold].to_numpy(dtype=bool) if bold_col else np.zeros(len(table), dtype=bool)
    bold_font = Font(bold=True)
    for r, (values, colour, strong) in enumerate(zip(shown.itertuples(index=False), fills, emphasis), start=2):
        ws.append([_cell(v) for v in values])  # ws.max_row would scan every cell: track r instead
        if isinstance(colour, str) and colour:
            pf = cache.setdefault(colour, PatternFill("solid", fgColor=colour))
            for c in range(1, len(columns) + 1):
                ws.cell(r, c).fill = pf
        if strong:
            ws.cell(r, bold_col).font = bold_font
    for n, col in enumerate(columns, start=1):
        letter = get_column_letter(n)
        fmt = NUMBER_FORMATS.get(col)
        if fmt and len(table):
            for (cell,) in ws.iter_rows(min_row=2, min_col=n, max_col=n):
                cell.number_format = fmt
        if pd.api.types.is_numeric_dtype(shown[col]):
            longest = 9  # shown with the number format, not the full repr
        else:
            values = shown[col].dropna().astype(str)
            longest = int(values.str.len().max()) if len(values) else 0
        header = len(LABELS.get(col, col))
        ws.column_dimensions[letter].width = max(8, min(60, max(longest, min(header, 22)) + 2))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table) + 1}"


def _guide(tables: ReportTables, generated: datetime) -> pd.DataFrame:
    rows = [
        ("Petunjuk", "Lembar ini: isi setiap lembar, ambang yang dipakai, dan keterangan laporan."),
        ("Ketuntasan", "Skor setiap peserta per Materi Pokok (MP). Tuntas bila benar ≥ 80 % soal MP itu, "
                       "selain itu ulangi (baris hijau = tuntas, merah = ulangi). 'Dekat batas 80%' = ya bila "
                       "skor berjarak paling jauh 1 SEM dari batas 80 %: keputusan tuntas/ulangi untuk peserta "
                       "ini kurang pasti, pertimbangkan tindak lanjut."),
        ("Bacaan ulang", "Bagian modul yang perlu dibaca ulang oleh setiap peserta: bagian yang memuat soal "
                         "yang dijawab salah atau dikosongkan, urut sesuai modul; 'Soal salah/kosong' = "
                         "banyaknya soal itu."),
        ("Analisis soal", "Statistik setiap soal (analisis butir ala Moodle). Baris kuning = perlu ditinjau; "
                          "kolom 'Alasan ditinjau' menyebut sebabnya. Tingkat kemudahan = proporsi peserta yang "
                          "menjawab benar (0–1). Indeks daya beda = korelasi skor soal dengan skor sisa tes "
                          "× 100. Daya beda atas–bawah (D) = proporsi benar kelompok atas dikurangi kelompok "
                          f"bawah ({UPPER_LOWER_PERCENT} % peserta skor tertinggi dan terendah)."),
        ("Pengecoh", "Berapa peserta memilih setiap pilihan (a–d, kosong) per soal. Baris kuning = pengecoh "
                     "tidak berfungsi: dipilih kurang dari 5 % peserta, atau korelasinya dengan skor sisa "
                     "positif (peserta yang kuat justru tertarik). Kolom 'Kunci' menunjukkan kunci jawaban."),
        ("Statistik tes", "Per Materi Pokok: jumlah peserta, rata-rata, median, simpangan baku, kemencengan, "
                          "keruncingan, reliabilitas (Alfa Cronbach, KR-20), SEM (galat baku pengukuran = "
                          "simpangan baku × √(1 − alfa)) dan tingkat ketuntasan."),
    ]
    if tables.groups is not None:
        rows.append(("Kelompok", "Ketuntasan per kelas dan per instansi dari roster. 'Tidak mengumpulkan' = "
                                 f"peserta roster yang belum mengirim MP itu; '{GROUP_NOT_IN_ROSTER}' = peserta yang "
                                 f"ada jawabannya tetapi tidak ada di roster; '{GROUP_BLANK}' = sel roster kosong."))
    if tables.mismatch is not None:
        rows.append(("Selisih roster", "Peserta yang hanya ada di salah satu sisi: ada jawaban tetapi tidak ada di "
                                       "roster, atau ada di roster tetapi belum ada jawaban. Lembar kosong berarti "
                                       "roster dan jawaban cocok."))
    rows += [
        ("Ambang: ketuntasan", "Tuntas bila benar ≥ 80 % soal Materi Pokok (aturan modul)."),
        ("Ambang: tingkat kemudahan", f"Terlalu mudah bila > {_num(FACILITY_MAX, 2)}; terlalu sulit bila "
                                      f"< {_num(FACILITY_MIN, 2)}."),
        ("Ambang: daya beda", f"Daya beda rendah bila indeks < {DISCRIMINATION_MIN:g}; negatif berarti peserta yang "
                              "lemah lebih sering benar daripada yang kuat (periksa kunci dan kalimat soal)."),
        ("Ambang: pengecoh", f"Tidak berfungsi bila dipilih < {DISTRACTOR_MIN:.0%} peserta atau korelasi skor sisa "
                             "positif."),
        ("Dibuat", _tanggal(generated)),
        ("Jumlah peserta", f"{tables.n_peserta} peserta dengan jawaban"
                           + (f"; {tables.n_roster} peserta di roster" if tables.n_roster is not None else "")),
        ("Kerahasiaan", "Berkas ini memuat kunci jawaban. Hanya untuk pengampu; jangan dibagikan kepada peserta."),
    ]
    return pd.DataFrame(rows, columns=["Lembar", "Isi"])


def build_workbook(tables: ReportTables, generated: datetime):
    """The openpyxl workbook of the report (sheet "Petunjuk" first)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    guide = _guide(tables, generated)
    ws = wb.create_sheet("Petunjuk")
    ws.append(list(guide.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in guide.itertuples(index=False):
        ws.append(list(row))
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 110
    ws.freeze_panes = "A2"

    _add_sheet(wb, "Ketuntasan", tables.mastery,
               fill=lambda t: [GREEN if x else RED for x in t["tuntas"]], bold="near_cut")
    _add_sheet(wb, "Bacaan ulang", tables.remedial)
    _add_sheet(wb, "Analisis soal", tables.items,
               fill=lambda t: [AMBER if x else None for x in t["review"]])
    _add_sheet(wb, "Pengecoh", tables.distractors,
               fill=lambda t: [AMBER if x else None for x in t["non_functioning"]], bold="is_key")
    _add_sheet(wb, "Statistik tes", tables.test)
    if tables.groups is not None:
        _add_sheet(wb, "Kelompok", tables.groups)
    if tables.mismatch_table is not None:
        _add_sheet(wb, "Selisih roster", tables.mismatch_table)
    if tables.review is not None:
        _add_sheet(wb, "Perlu diperiksa", tables.review, fill=lambda t: [AMBER] * len(t))
    return wb


# -- HTML --------------------------------------------------------------------------------

CSS = """
body{font-family:"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:2em auto;max-width:1100px;
     padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #d9e1f2;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.9em}
th,td{border:1px solid #ccd3de;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#d9e1f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.tuntas td.status{background:#c6efce}tr.ulangi td.status{background:#ffc7ce}
.amber{background:#ffeb9c}.meta{color:#555}.warn{background:#fff4d6;border-left:4px solid #e0a800;padding:.5em 1em}
img{max-width:100%;height:auto;border:1px solid #e3e3e3}figure{margin:1em 0}figcaption{color:#555;font-size:.9em}
"""


def _num(value, digits: int = 2) -> str:
    """A number the Indonesian way (decimal comma); '–' when undefined."""
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "–"
    value = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0,00"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _pct(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "–"
    return f"{_num(100 * value, digits)} %"


def _tanggal(when: datetime) -> str:
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}, pukul {when:%H.%M}"


def _esc(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def _table(header: Iterable[str], rows: Iterable[Iterable[tuple[str, str]]],
           row_class: Iterable[str] | None = None) -> str:
    """rows: cells as (already-escaped html, css class)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    classes = row_class if row_class is not None else iter(lambda: "", None)
    body = []
    for cells, cls in zip(rows, classes):
        tds = "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for v, c in cells)
        body.append(f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(name: str, data: bytes, caption: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)} (juga disimpan sebagai {html.escape(PLOT_FILES[name])})"
            "</figcaption></figure>")


def render_html(tables: ReportTables, pngs: dict[str, bytes], generated: datetime) -> str:
    """The self-contained Indonesian report page (every text escaped)."""
    t = tables
    person = [c for c in PERSON_COLUMNS if c in t.mastery.columns]
    stray = set(t.mismatch.not_in_roster) if t.mismatch is not None else set()
    parts = [
        "<!DOCTYPE html>", '<html lang="id"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Laporan Kohort — Berorientasi Pelayanan</title>", f"<style>{CSS}</style></head><body>",
        "<h1>Laporan Kohort — Berorientasi Pelayanan</h1>",
        f'<p class="meta">Dibuat {html.escape(_tanggal(generated))}. Jumlah peserta dengan jawaban: '
        f"<strong>{t.n_peserta}</strong>"
        + (f"; peserta di roster: <strong>{t.n_roster}</strong>" if t.n_roster is not None else "")
        + ".</p>",
        '<p class="warn">Laporan ini memuat kunci jawaban (analisis pengecoh). Hanya untuk pengampu; '
        "jangan dibagikan kepada peserta.</p>",
    ]

    # summary per Materi Pokok
    parts.append("<h2>Ringkasan per Materi Pokok</h2>")
    parts.append(_table(
        ["Materi Pokok", "Jumlah peserta (n)", "Rata-rata skor", "Maks", "Alfa Cronbach", "SEM",
         "Tingkat ketuntasan", "Catatan"],
        ([(_esc(r.materi_pokok), ""), (_esc(r.n), "num"), (_num(r.mean), "num"),
          (_num(_maks(t.mastery, r.materi_pokok), 0), "num"), (_num(r.alpha), "num"), (_num(r.sem), "num"),
          (_pct(r.mastery_rate), "num"), (_esc(r.note), "")] for r in t.test.itertuples(index=False)),
    ))
    parts.append("<p>Tuntas bila benar ≥ 80 % soal Materi Pokok. Alfa Cronbach (sama dengan KR-20 untuk soal "
                 "benar/salah) mengukur konsistensi internal; SEM adalah galat baku pengukuran dalam satuan soal.</p>")
    parts.append("<h2>Sebaran skor</h2>")
    parts.append(_figure("scores", pngs["scores"], "Sebaran jumlah soal benar per Materi Pokok; garis putus-putus = "
                                                   "batas tuntas 80 %"))
    if "groups" in pngs:
        parts.append("<h2>Ketuntasan per kelompok</h2>")
        parts.append(_figure("groups", pngs["groups"], "Persentase peserta tuntas per kelompok dan Materi Pokok"))

    # who is tuntas / ulangi
    parts.append("<h2>Ketuntasan peserta</h2>")
    parts.append("<p>‘Dekat batas’ = skor berjarak paling jauh 1 SEM dari batas 80 %: keputusan kurang pasti.</p>")
    for mp, m in t.mastery.groupby("materi_pokok", sort=True):
        n_ok = int(m["tuntas"].sum())
        parts.append(f"<h3>Materi Pokok {_esc(mp)}: {n_ok} tuntas, {len(m) - n_ok} ulangi</h3>")
        parts.append(_table(
            [LABELS["peserta_id"], *(LABELS[c] for c in person), "Benar / Maks", LABELS["persen"], "Status",
             "Dekat batas 80%"],
            ([(_esc(r["peserta_id"]), ""), *((_who(r, c, stray), "") for c in person),
              (f"{_num(r['benar'], 0)} / {_num(r['maks'], 0)}", "num"), (_num(r["persen"], 1), "num"),
              ("tuntas" if r["tuntas"] else "ulangi", "status"), ("ya" if r["near_cut"] else "", "")]
             for r in m.to_dict("records")),
            ("tuntas" if x else "ulangi" for x in m["tuntas"]),
        ))

    # remedial
    parts.append("<h2>Bacaan ulang</h2>")
    if t.remedial.empty:
        parts.append("<p>Tidak ada: semua peserta menjawab benar semua soal.</p>")
    else:
        parts.append("<p>Bagian modul yang memuat soal yang dijawab salah atau dikosongkan, urut sesuai modul "
                     "(angka dalam kurung = banyaknya soal).</p>")
        label = t.remedial["section"].astype(str) + " (" + t.remedial["n_wrong"].astype(str) + ")"
        rem = t.remedial.assign(_label=label)
        keys = ["peserta_id", *person, "materi_pokok"]
        grouped = rem.groupby(keys, sort=False, dropna=False)["_label"].agg("; ".join).reset_index()
        parts.append(_table(
            [LABELS["peserta_id"], *(LABELS[c] for c in person), "Materi Pokok", "Bagian yang dibaca ulang"],
            ([(_who(r, k, stray), "") for k in keys] + [(_esc(r["_label"]), "")] for r in grouped.to_dict("records")),
        ))

    # items
    parts.append("<h2>Analisis soal</h2>")
    parts.append(_figure("items", pngs["items"], "Tingkat kemudahan vs indeks daya beda; area kuning = di luar "
                                                 "ambang, soal yang perlu ditinjau diberi label"))
    parts.append(f"<p>Soal ditinjau bila tingkat kemudahan &gt; {_num(FACILITY_MAX)} (terlalu mudah) atau "
                 f"&lt; {_num(FACILITY_MIN)} (terlalu sulit), atau indeks daya beda &lt; {DISCRIMINATION_MIN:g} "
                 "(negatif: peserta lemah lebih sering benar — periksa kunci dan kalimat soal).</p>")
    review = t.items[t.items["review"]]
    if review.empty:
        parts.append("<p>Tidak ada soal yang perlu ditinjau.</p>")
    else:
        parts.append("<h3>Soal yang perlu ditinjau</h3>")
        parts.append(_table(
            ["Kode soal", "Materi Pokok", "n", "Tingkat kemudahan", "Indeks daya beda", "D atas–bawah", "Alasan"],
            ([(_esc(r.item_id), ""), (_esc(r.materi_pokok), ""), (_esc(r.n), "num"), (_num(r.facility), "num"),
              (_num(r.discrimination_index, 1), "num"), (_num(r.d_upper_lower), "num"),
              (_esc("; ".join(x for x in (r.review_reason, r.note) if x)), "")]
             for r in review.itertuples(index=False)),
        ))

    # distractors
    parts.append("<h2>Analisis pengecoh</h2>")
    parts.append(_figure("distractors", pngs["distractors"], "Proporsi pemilih setiap pilihan per soal; hijau = "
                                                             "kunci, oranye = pengecoh tidak berfungsi"))
    nf = t.distractors[t.distractors["non_functioning"]]
    if nf.empty:
        parts.append("<p>Semua pengecoh berfungsi.</p>")
    else:
        parts.append(f"<p>Pengecoh tidak berfungsi: dipilih &lt; {DISTRACTOR_MIN:.0%} peserta atau korelasinya "
                     "dengan skor sisa positif.</p>")
        parts.append(_table(
            ["Kode soal", "Pilihan", "Jumlah pemilih", "Proporsi", "Korelasi dengan skor sisa"],
            ([(_esc(r.item_id), ""), (_esc(r.option), ""), (_esc(r.count), "num"), (_pct(r.proportion), "num"),
              (_num(r.rest_correlation), "num")] for r in nf.itertuples(index=False)),
        ))

    # roster
    if t.mismatch is not None:
        parts.append("<h2>Selisih roster</h2>")
        if t.mismatch_table.empty:
            parts.append("<p>Tidak ada selisih: setiap peserta di roster punya jawaban dan sebaliknya.</p>")
        else:
            cols = [c for c in t.mismatch_table.columns]
            parts.append(f"<p>{len(t.mismatch.not_in_roster)} peserta ada jawabannya tetapi tidak ada di roster; "
                         f"{len(t.mismatch.no_responses)} peserta di roster belum ada jawabannya.</p>")
            parts.append(_table(
                [LABELS.get(c, c) for c in cols],
                ([(_esc(v), "") for v in r] for r in t.mismatch_table.itertuples(index=False)),
            ))
        if t.groups is not None:
            parts.append("<h2>Tabel kelompok</h2>")
            parts.append(_table(
                ["Dikelompokkan menurut", "Kelompok", "Materi Pokok", "n", "Rata-rata persen", "Tingkat ketuntasan",
                 "Dekat batas 80%", "Tidak mengumpulkan"],
                ([(_esc(LABELS.get(r.group_by, r.group_by)), ""), (_esc(r.group), ""), (_esc(r.materi_pokok), ""),
                  (_esc(r.n), "num"), (_num(r.mean_persen, 1), "num"), (_pct(r.mastery_rate), "num"),
                  (_esc(r.near_cut_count), "num"), (_esc(r.n_absent), "num")]
                 for r in t.groups.itertuples(index=False)),
            ))

    if t.review is not None:
        parts.append("<h2>Perlu diperiksa</h2>")
        modes = t.review.attrs.get("sandbox") or {}
        if modes:  # how the kernels were isolated (latsar.scores.sandbox_modes); "none" asked for by name
            parts.append("<p>Mode sandbox penilaian: " + ", ".join(
                f"<b>{_esc(mode)}</b>{' (TANPA isolasi, diminta)' if mode in ('none', 'rlimits') else ''}: "
                f"{n} kiriman" for mode, n in sorted(modes.items())) + ".</p>")
        if t.review.empty:
            parts.append("<p>Tidak ada kiriman yang perlu diperiksa.</p>")
        else:
            parts.append(f"<p>{len(t.review)} kiriman sudah dinilai menurut klik peserta, tetapi diubah atau "
                         "berisi kode/berkas tambahan. Periksa alasannya.</p>")
            parts.append(_table(["Peserta", "Tugas", "Alasan"],
                                ([(_esc(r.peserta_id), ""), (_esc(r.assignment), ""), (_esc(r.alasan), "")]
                                 for r in t.review.itertuples(index=False))))

    parts.append('<p class="meta">Rumus dan sumber: modul <code>latsar.report.stats</code>. Tabel lengkap: '
                 f"{html.escape(EXCEL_NAME)} dan berkas CSV di folder yang sama.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _who(record: dict, column: str, stray: set[str]) -> str:
    """A cell of a person's row; the name of someone missing from the roster says so."""
    if column == "nama" and record["peserta_id"] in stray:
        return f"<em>{html.escape(GROUP_NOT_IN_ROSTER)}</em>"
    return _esc(record[column])


def _maks(mastery: pd.DataFrame, mp) -> float:
    m = mastery.loc[mastery["materi_pokok"] == mp, "maks"]
    return float(m.iloc[0]) if len(m) else float("nan")


# -- command line ------------------------------------------------------------------------


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


def main(argv: list[str] | None = None) -> int:
    """``python -m latsar.report.write RESPONSES --out DIR [--roster FILE] [--course DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m latsar.report.write",
                                     description="Tulis laporan kohort (CSV, Excel, HTML).")
    parser.add_argument("responses", help="responses.parquet atau responses.csv (dari `latsar export`)")
    parser.add_argument("--out", required=True, help="folder laporan")
    parser.add_argument("--roster", help="CSV peserta_id,nama,kelas,instansi")
    parser.add_argument("--course", default=".", help="folder kursus (untuk bank soal)")
    args = parser.parse_args(argv)
    from ..course import Course, CourseError

    try:
        bank = Course.at(args.course).item_bank
        roster = read_roster(args.roster) if args.roster else None
        files = write_report(read_responses(args.responses), bank, Path(args.out), roster)
    except (ReportError, CourseError, ItemBankError) as exc:
        print(f"Galat: {exc}", file=sys.stderr)
        return 2
    print(f"Laporan ditulis ke {files.out}: {files.html.name}, {files.excel.name}, "
          f"{len(files.csv)} CSV, {len(files.plots)} gambar.")
    if files.mismatch is not None and (files.mismatch.not_in_roster or files.mismatch.no_responses):
        print(f"Selisih roster: {len(files.mismatch.not_in_roster)} tidak ada di roster, "
              f"{len(files.mismatch.no_responses)} belum ada jawaban (lihat lembar 'Selisih roster').")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
