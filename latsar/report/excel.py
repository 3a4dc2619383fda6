"""The workbook ``laporan_kohort.xlsx``: one sheet per table of the column spec, plus the guide "Petunjuk".

Headers, number formats and the guide's column list come from
:mod:`latsar.report.columns`; this module only adds what is about people
reading it in Excel: frozen header, autofilter, widths, row colours
(green tuntas, red ulangi, amber to review) and ya/tidak for booleans.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from latsar.report import columns as spec
from latsar.report.indonesian import date, number
from latsar.report.stats import DISCRIMINATION_MIN, DISTRACTOR_MIN, FACILITY_MAX, FACILITY_MIN, UPPER_LOWER_PERCENT
from latsar.report.tables import GROUP_BLANK, GROUP_NOT_IN_ROSTER, ReportTables

GREEN, RED, AMBER, HEADER = "C6EFCE", "FFC7CE", "FFEB9C", "D9E1F2"


def _label(table: spec.Table, name: str) -> str:
    column = table.column(name)
    return column.label if column is not None else spec.labels().get(name, name)


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ya/tidak (tuntas as tuntas/ulangi), grouping names in Indonesian."""
    out = table.copy()
    for col in out.columns:
        if col == "tuntas":
            out[col] = np.where(out[col].astype(bool), "tuntas", "ulangi")
        elif col == "group_by":
            out[col] = out[col].map(lambda v: spec.labels().get(v, v))
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


def add_sheet(wb, table: spec.Table, frame: pd.DataFrame, fill: Callable[[pd.DataFrame], Iterable] | None = None,
              bold: str | None = None) -> None:
    """A sheet with Indonesian headers, frozen header row, autofilter, widths, formats and row fills."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    frame = spec.ordered(frame, table)
    ws = wb.create_sheet(table.sheet)
    shown = _display(frame)
    columns = list(frame.columns)
    ws.append([_label(table, c) for c in columns])
    header_fill = PatternFill("solid", fgColor=HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fills = list(fill(frame)) if fill is not None else [None] * len(frame)
    cache = {}
    bold_col = columns.index(bold) + 1 if bold in columns else None
    emphasis = frame[bold].to_numpy(dtype=bool) if bold_col else np.zeros(len(frame), dtype=bool)
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
        fmt = column.format if (column := table.column(col)) is not None else None
        if fmt and len(frame):
            for (cell,) in ws.iter_rows(min_row=2, min_col=n, max_col=n):
                cell.number_format = fmt
        if pd.api.types.is_numeric_dtype(shown[col]):
            longest = 9  # shown with the number format, not the full repr
        else:
            values = shown[col].dropna().astype(str)
            longest = int(values.str.len().max()) if len(values) else 0
        header = len(_label(table, col))
        ws.column_dimensions[letter].width = max(8, min(60, max(longest, min(header, 22)) + 2))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"


def _guide(tables: ReportTables, generated: datetime, sheets: list[tuple]) -> pd.DataFrame:
    """The rows of "Petunjuk": what each sheet holds, the thresholds, and then every column's meaning."""
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
    rows.append(("Metode penilaian", attempts_note(tables.method, tables.attempts is not None)))
    if tables.attempts is not None:
        rows.append(("Riwayat percobaan", "Persen benar setiap percobaan per peserta dan Materi Pokok (1 = evaluasi, "
                                          "2 dan seterusnya = evaluasi ulang) dan percobaan yang dipakai."))
    if tables.groups is not None:
        rows.append(("Kelompok", "Ketuntasan per kelas dan per instansi dari roster. 'Tidak mengumpulkan' = "
                                 f"peserta roster yang belum mengirim MP itu; '{GROUP_NOT_IN_ROSTER}' = peserta yang "
                                 f"ada jawabannya tetapi tidak ada di roster; '{GROUP_BLANK}' = sel roster kosong."))
    if tables.gain is not None:
        rows.append(("Gain kohort", "Per Materi Pokok: rata-rata pra-tes dan evaluasi (%) peserta yang mengerjakan "
                                    "keduanya, rata-rata gain ternormalisasi g setiap peserta, dan g kelas (Hake)."))
        rows.append(("Pra-tes dan gain", "Per peserta dan Materi Pokok: persen benar di pra-tes (bab1_pendahuluan, "
                                         "tidak ikut ketuntasan), di evaluasi (percobaan pertama) dan g = (evaluasi "
                                         "− pra-tes) ÷ (100 − pra-tes)."))
    if tables.mismatch is not None:
        rows.append(("Selisih roster", "Peserta yang hanya ada di salah satu sisi: ada jawaban tetapi tidak ada di "
                                       "roster, atau ada di roster tetapi belum ada jawaban. Lembar kosong berarti "
                                       "roster dan jawaban cocok."))
    rows += [
        ("Ambang: ketuntasan", "Tuntas bila benar ≥ 80 % soal Materi Pokok (aturan modul)."),
        ("Ambang: tingkat kemudahan", f"Terlalu mudah bila > {number(FACILITY_MAX, 2)}; terlalu sulit bila "
                                      f"< {number(FACILITY_MIN, 2)}."),
        ("Ambang: daya beda", f"Daya beda rendah bila indeks < {DISCRIMINATION_MIN:g}; negatif berarti peserta yang "
                              "lemah lebih sering benar daripada yang kuat (periksa kunci dan kalimat soal)."),
        ("Ambang: pengecoh", f"Tidak berfungsi bila dipilih < {DISTRACTOR_MIN:.0%} peserta atau korelasi skor sisa "
                             "positif."),
        ("Dibuat", date(generated)),
        ("Jumlah peserta", f"{tables.n_peserta} peserta dengan jawaban"
                           + (f"; {tables.n_roster} peserta di roster" if tables.n_roster is not None else "")),
        ("Kerahasiaan", "Berkas ini memuat kunci jawaban. Hanya untuk pengampu; jangan dibagikan kepada peserta."),
    ]
    # the column list, from the column spec: a column added there is explained here too
    for table, frame, *_ in sheets:
        for name in spec.ordered(frame, table).columns:
            column = table.column(name)
            if column is not None and column.description:
                rows.append((f"{table.sheet}: {column.label}", column.description))
    return pd.DataFrame(rows, columns=["Lembar", "Isi"])


def build_workbook(tables: ReportTables, generated: datetime, live: pd.DataFrame | None = None):
    """The openpyxl workbook of the report (sheet "Petunjuk" first; "Kuis langsung" with a live summary)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    t = spec.TABLES
    sheets = [
        (t["mastery"], tables.mastery, lambda f: [GREEN if x else RED for x in f["tuntas"]], "near_cut"),
        (t["attempts"], tables.attempts, lambda f: [GREEN if x else RED for x in f["tuntas"]], None),
        (t["remedial"], tables.remedial, None, None),
        (t["items"], tables.items, lambda f: [AMBER if x else None for x in f["review"]], None),
        (t["distractors"], tables.distractors, lambda f: [AMBER if x else None for x in f["non_functioning"]],
         "is_key"),
        (t["variants"], tables.variants, lambda f: [AMBER if x else None for x in f["differs"]], None),
        (t["positions"], tables.positions, lambda f: [AMBER if x else None for x in f["biased"]], None),
        (t["test"], tables.test, None, None),
        (t["groups"], tables.groups, None, None),
        (t["mismatch"], tables.mismatch_table, None, None),
        (t["perlu_diperiksa"], tables.review, lambda f: [AMBER] * len(f), None),
        (t["live_summary"], live, None, None),
        (t["gain_cohort"], tables.gain_cohort, None, None),
        (t["gain"], tables.gain, None, None),
    ]
    sheets = [s for s in sheets if s[1] is not None]

    wb = Workbook()
    wb.remove(wb.active)
    guide = _guide(tables, generated, sheets)
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
    for table, frame, fill, bold in sheets:
        add_sheet(wb, table, frame, fill=fill, bold=bold)
    return wb


def attempts_note(method: str, retakes: bool) -> str:
    """Which attempt decides mastery, and which the item statistics use (page and workbook)."""
    from latsar.results.method import METHOD_LABELS

    text = (f"Ketuntasan memakai {METHOD_LABELS.get(method, method)} tiap Materi Pokok (metode penilaian "
            f"'{method}', seperti Moodle; atur c.Mastery.method di nbgrader_config.py atau latsar report "
            "--percobaan). Statistik soal memakai percobaan pertama, seperti Moodle.")
    return text if retakes else text + " Belum ada evaluasi ulang: setiap peserta satu percobaan."
