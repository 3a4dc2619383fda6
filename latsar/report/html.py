"""The self-contained Indonesian report page ``laporan_kohort.html``, from Jinja templates.

Why templates: the page's wording lives in ``templates/report.html.j2`` (and
the live-quiz section in ``templates/_live.html.j2``, included, not spliced),
readable as HTML; this module only prepares the data.  The environment
autoescapes every value, because the page shows participant names, roster
cells and free text (reasons, notes) that must never become markup.

Each table on the page is a view of a table of :mod:`latsar.report.columns`:
the columns with a ``page`` header, in spec order, numbers written with the
digits of their Excel format (``0.00`` → ``0,12``; ``0.0%`` → ``12,5 %``).
A few cells combine columns (``Benar / Maks``, the status, the reason with
its note); :data:`CELLS` lists them.
"""

from __future__ import annotations

import base64
import math
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from markupsafe import Markup

from latsar.report import columns as spec
from latsar.report.indonesian import date, number, percent
from latsar.report.plots import PLOT_FILES
from latsar.report.stats import DISCRIMINATION_MIN, DISTRACTOR_MIN, FACILITY_MAX, FACILITY_MIN
from latsar.report.tables import GROUP_NOT_IN_ROSTER, PERSON_COLUMNS, ReportTables

TEMPLATES = Path(__file__).with_name("templates")
EXCEL_NAME = "laporan_kohort.xlsx"

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

#: Cells that combine columns or read as words: column name → record → (text, css class).
CELLS: dict[str, Callable[[dict], tuple[str, str]]] = {
    "benar": lambda r: (f"{number(r['benar'], 0)} / {number(r['maks'], 0)}", "num"),
    "maks": lambda r: (number(r["maks"], 0), "num"),
    "tuntas": lambda r: ("tuntas" if r["tuntas"] else "ulangi", "status"),
    "near_cut": lambda r: ("ya" if r["near_cut"] else "", ""),
    "group_by": lambda r: (spec.labels().get(r["group_by"], r["group_by"]), ""),
    "review_reason": lambda r: ("; ".join(x for x in (r["review_reason"], r.get("note")) if x), ""),
}


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return ""
    return str(value)


def _formatted(column: spec.Column, value) -> str:
    """A value with the digits of the column's Excel number format, the Indonesian way."""
    fmt = column.format
    if fmt is None:
        return _text(value)
    if fmt.endswith("%"):
        return percent(value, len(fmt.rstrip("%").partition(".")[2]))
    return number(value, len(fmt.partition(".")[2]))


def page_table(table: spec.Table, frame: pd.DataFrame, row_classes: list[str] | None = None,
               cells: dict[str, Callable[[dict], tuple]] | None = None) -> dict:
    """The view of ``frame`` shown on the page: the spec's columns with a ``page`` header, present in ``frame``."""
    cells = {**CELLS, **(cells or {})}
    shown = [c for c in table.on_page if c.name in frame.columns]
    rows = []
    for record in frame.to_dict("records"):
        row = []
        for column in shown:
            if column.name in cells:
                row.append(cells[column.name](record))
            else:
                row.append((_formatted(column, record[column.name]), "num" if column.right else ""))
        rows.append(row)
    return {"headers": [c.page for c in shown], "rows": rows, "row_classes": row_classes}


def _figure(name: str, data: bytes, caption: str) -> dict:
    return {"base64": base64.b64encode(data).decode("ascii"), "caption": caption, "file": PLOT_FILES[name]}


def render_html(tables: ReportTables, pngs: dict[str, bytes], generated: datetime,
                live: pd.DataFrame | None = None) -> str:
    """The self-contained Indonesian report page (every value escaped by the template).

    ``live`` (:func:`latsar.report.tables.live_summary`) adds the section "Kuis langsung".
    """
    t, T = tables, spec.TABLES
    stray = set(t.mismatch.not_in_roster) if t.mismatch is not None else set()

    def who(record):  # the name of someone missing from the roster says so
        if record["peserta_id"] in stray:
            return Markup("<em>{}</em>").format(GROUP_NOT_IN_ROSTER), ""
        return _text(record["nama"]), ""

    summary = t.test.merge(t.mastery.groupby("materi_pokok", sort=False)["maks"].first().reset_index(),
                           on="materi_pokok", how="left") if "maks" not in t.test.columns else t.test
    mastery = []
    for mp, m in t.mastery.groupby("materi_pokok", sort=True):
        n_ok = int(m["tuntas"].sum())
        mastery.append({"materi_pokok": mp, "n_tuntas": n_ok, "n_ulangi": len(m) - n_ok,
                        "table": page_table(T["mastery"], m, ["tuntas" if x else "ulangi" for x in m["tuntas"]],
                                            {"nama": who})})

    remedial = None
    if not t.remedial.empty:
        person = [c for c in PERSON_COLUMNS if c in t.remedial.columns]
        keys = ["peserta_id", *person, "materi_pokok"]
        label = t.remedial["section"].astype(str) + " (" + t.remedial["n_wrong"].astype(str) + ")"
        grouped = (t.remedial.assign(section=label).groupby(keys, sort=False, dropna=False)["section"]
                   .agg("; ".join).reset_index())
        remedial = page_table(T["remedial"], grouped, cells={"nama": who})

    from latsar.report.excel import attempts_note

    attempts = None
    if t.attempts is not None:
        attempts = page_table(T["attempts"], t.attempts, ["tuntas" if x else "ulangi" for x in t.attempts["tuntas"]],
                              {"nama": who})
    review_items = t.items[t.items["review"]]
    nf = t.distractors[t.distractors["non_functioning"]]
    # parallel forms: only variants someone answered are worth a line; the unequal ones are listed
    variants = None
    if t.variants is not None and (t.variants["item_id"] != t.variants["variant"]).any():
        answered = t.variants[t.variants["n"] > 0]
        unequal = answered[answered["differs"]]
        variants = {"n": len(answered), "table": None if unequal.empty else page_table(T["variants"], unequal)}
    positions = page_table(T["positions"], t.positions) if t.positions is not None else None
    roster = None
    if t.mismatch is not None:
        roster = {"n_not_in_roster": len(t.mismatch.not_in_roster), "n_no_responses": len(t.mismatch.no_responses),
                  "table": None if t.mismatch_table.empty else page_table(T["mismatch"], t.mismatch_table)}
    review = None
    if t.review is not None:
        review = {"n": len(t.review), "table": None if t.review.empty else page_table(T["perlu_diperiksa"], t.review),
                  # how the kernels were isolated (latsar.results.scores.sandbox_modes); "none" is asked for by name
                  "sandbox": sorted((t.review.attrs.get("sandbox") or {}).items())}

    figures = {
        "scores": _figure("scores", pngs["scores"], "Sebaran jumlah soal benar per Materi Pokok; garis putus-putus = "
                                                    "batas tuntas 80 %"),
        "groups": _figure("groups", pngs["groups"], "Persentase peserta tuntas per kelompok dan Materi Pokok")
        if "groups" in pngs else None,
        "items": _figure("items", pngs["items"], "Tingkat kemudahan vs indeks daya beda; area kuning = di luar "
                                                 "ambang, soal yang perlu ditinjau diberi label"),
        "distractors": _figure("distractors", pngs["distractors"], "Proporsi pemilih setiap pilihan per soal; "
                                                                   "hijau = kunci, oranye = pengecoh tidak berfungsi"),
    }
    gain = None
    if t.gain is not None and "gain" in pngs:
        gain = {"figure": _figure("gain", pngs["gain"], "Pra-tes dan evaluasi per peserta; titik di atas garis "
                                                        "titik-titik = skor bertambah"),
                "cohort": page_table(T["gain_cohort"], t.gain_cohort),
                "table": page_table(T["gain"], t.gain, cells={"nama": who} if "nama" in t.gain.columns else None)}
    return environment().get_template("report.html.j2").render(
        gain=gain,
        css=CSS, generated=date(generated), n_peserta=t.n_peserta, n_roster=t.n_roster,
        summary=page_table(T["test"], summary), figures=figures, mastery=mastery, remedial=remedial,
        review_items=None if review_items.empty else page_table(T["items"], review_items),
        non_functioning=None if nf.empty else page_table(T["distractors"], nf),
        variants=variants, positions=positions, attempts=attempts,
        attempts_note=attempts_note(t.method, t.attempts is not None),
        facility_max=number(FACILITY_MAX), facility_min=number(FACILITY_MIN),
        discrimination_min=f"{DISCRIMINATION_MIN:g}", distractor_min=f"{DISTRACTOR_MIN:.0%}",
        roster=roster, groups=page_table(T["groups"], t.groups) if t.groups is not None else None,
        review=review, excel_name=EXCEL_NAME,
        live=page_table(T["live_summary"], live) if live is not None else None,
    )

