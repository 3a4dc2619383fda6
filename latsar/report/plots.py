"""The report's four plots, as matplotlib Figures (Agg, no pyplot state) and PNG bytes.

(a) scores per Materi Pokok, (b) mastery per roster group, (c) the item map
(facility vs discrimination), (d) the options chosen per item.  Figures, not
files: the notebook ``reports/analisis_kohort.ipynb`` shows them inline and
:func:`latsar.report.write.write_report` saves and embeds the PNGs.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from latsar.course import MASTERY_THRESHOLD
from latsar.report.columns import LABELS
from latsar.report.indonesian import number
from latsar.report.stats import DISCRIMINATION_MIN, DISTRACTOR_MIN, FACILITY_MAX, FACILITY_MIN, KOSONG, OPTIONS
from latsar.report.tables import ReportTables

#: PNG file of each plot, by plot name.
PLOT_FILES = {
    "scores": "plot_scores.png",
    "groups": "plot_groups.png",
    "items": "plot_items.png",
    "distractors": "plot_distractors.png",
    "gain": "plot_gain.png",
}
GREEN, RED, AMBER = "C6EFCE", "FFC7CE", "FFEB9C"
KEY_COLOUR, NF_COLOUR, DISTRACTOR_COLOUR, BLANK_COLOUR = "#2e7d32", "#ef8f00", "#7f8c9a", "#c9ced6"


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


def plot_gain(gain: pd.DataFrame, cohort: pd.DataFrame) -> Figure:
    """(e) Pre-test vs evaluation per participant, one panel per Materi Pokok: a point per participant,
    the diagonal (no gain) and the cohort's mean g in the title."""
    mps = sorted(gain["materi_pokok"].unique())
    fig = Figure(figsize=(4.6 * max(len(mps), 1), 4.4), layout="constrained")
    axes = fig.subplots(1, max(len(mps), 1), squeeze=False)[0]
    mean_g = dict(zip(cohort["materi_pokok"], cohort["mean_g"]))
    for ax, mp in zip(axes, mps):
        g = gain[gain["materi_pokok"] == mp]
        ax.plot([0, 100], [0, 100], color="#7f8c9a", linestyle=":", linewidth=1.2, label="tanpa gain (pra = evaluasi)")
        ax.axhline(100 * MASTERY_THRESHOLD, color="#b00020", linestyle="--", linewidth=1.2, label="batas tuntas 80 %")
        # scores fall on a grid (tenths, fifths): one point per (pre, post), its area the number of participants
        same = g.groupby(["pre", "post"]).size().reset_index(name="k")
        ax.scatter(same["pre"], same["post"], s=18 + 22 * same["k"], color="#1f5fa8", alpha=0.7, edgecolor="white",
                   linewidth=0.5)
        shown = mean_g.get(mp, float("nan"))
        ax.set_title(f"Materi Pokok {mp} (n = {len(g)}; rata-rata g = {number(shown)})")
        ax.set_xlim(-3, 103)
        ax.set_ylim(-3, 103)
        ax.set_xlabel("Pra-tes (% benar)")
        ax.set_ylabel("Evaluasi (% benar)")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    fig.suptitle("Pra-tes dan evaluasi per peserta (titik di atas garis = bertambah; titik besar = banyak peserta)")
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
    if tables.gain is not None and len(tables.gain):
        figures["gain"] = plot_gain(tables.gain, tables.gain_cohort)
    return figures

