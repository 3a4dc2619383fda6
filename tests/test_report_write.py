"""Report files (latsar.report.write): CSV, Excel and HTML from the hand-worked cohort of test_report_stats."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from latsar.report import stats
from latsar.report.write import (
    EXCEL_NAME,
    HTML_NAME,
    ReportError,
    ReportFiles,
    read_responses,
    read_roster,
    write_report,
)

from .test_report_stats import COHORT, make_bank, make_responses

GENERATED = datetime(2024, 5, 17, 9, 30)
# p6 has responses but is not on the roster; p7 is on the roster without responses.
# p3's name needs escaping in HTML.
ROSTER_CSV = (
    "peserta_id,nama,kelas,instansi,unit\n"
    "p1,Budi Santoso,A,Dinas Kesehatan,Puskesmas 1\n"
    "p2,Ani Lestari,A,Dinas Pendidikan,SD 2\n"
    "p3,Siti <Aminah> & Co,A,Dinas Kesehatan,RSUD\n"
    "p4,Dewi Sartika,B,Dinas Pendidikan,SMP 1\n"
    "p5,Rudi Hartono,B,,SMP 2\n"
    "p7,Joko Widodo Absen,B,Dinas Kesehatan,RSUD\n"
)
CSV_COLUMNS = {
    "mastery": ["peserta_id", "nama", "kelas", "materi_pokok", "benar", "maks", "persen", "tuntas", "near_cut"],
    "remedial": ["peserta_id", "nama", "kelas", "materi_pokok", "section_id", "section", "n_wrong"],
    "items": ["item_id", "materi_pokok", "section_id", "n", "facility", "sd", "discrimination_index",
              "discriminative_efficiency", "d_upper_lower", "review", "review_reason", "note"],
    "distractors": ["item_id", "option", "count", "proportion", "is_key", "rest_correlation", "non_functioning"],
    "variants": ["item_id", "variant", "materi_pokok", "n", "facility", "facility_siblings", "discrimination_index",
                 "z", "p", "p_holm", "differs", "note"],
    "test": ["materi_pokok", "n", "k", "mean", "median", "sd", "skewness", "kurtosis", "alpha", "kr20", "sem",
             "mastery_rate", "note"],
    "groups": ["group_by", "group", "materi_pokok", "n", "mean_persen", "mastery_rate", "near_cut_count",
               "n_absent"],
}
SHEETS = ["Petunjuk", "Ketuntasan", "Bacaan ulang", "Analisis soal", "Pengecoh", "Varian soal", "Statistik tes",
          "Kelompok", "Selisih roster"]
GREEN, RED, AMBER = "C6EFCE", "FFC7CE", "FFEB9C"


@pytest.fixture
def bank():
    return make_bank()


@pytest.fixture
def responses():
    return make_responses(COHORT)


@pytest.fixture
def roster_file(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8")
    return path


@pytest.fixture
def report(responses, bank, roster_file, tmp_path) -> ReportFiles:
    return write_report(responses, bank, tmp_path / "laporan", read_roster(roster_file), generated=GENERATED)


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"peserta_id": str}, keep_default_na=False, na_values=[""])


def assert_same_table(written: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(written.columns) == list(expected.columns)
    assert len(written) == len(expected)
    for col in expected.columns:
        exp, got = expected[col], written[col]
        if pd.api.types.is_bool_dtype(exp) or not pd.api.types.is_numeric_dtype(exp):
            assert text(got) == text(exp), col
        else:
            np.testing.assert_allclose(got.to_numpy(dtype=float), exp.to_numpy(dtype=float), rtol=1e-12,
                                       equal_nan=True, err_msg=col)


def text(column: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in column]


def header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def rows_where(ws, column: str, value) -> list[int]:
    col = header(ws).index(column) + 1
    return [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == value]


def fill_of(ws, row: int) -> str:
    return ws.cell(row, 1).fill.fgColor.rgb[-6:]


# -- files and CSV -----------------------------------------------------------------------


def test_all_files_written(report, tmp_path):
    out = tmp_path / "laporan"
    expected = {f"{t}.csv" for t in CSV_COLUMNS} | {EXCEL_NAME, HTML_NAME} | {
        "plot_scores.png", "plot_groups.png", "plot_items.png", "plot_distractors.png"}
    assert {p.name for p in out.iterdir()} == expected
    assert {p.name for p in report.paths} == expected
    assert set(report.csv) == set(CSV_COLUMNS)
    assert set(report.plots) == {"scores", "groups", "items", "distractors"}
    for png in report.plots.values():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report.mismatch.not_in_roster == ["p6"] and report.mismatch.no_responses == ["p7"]


def test_csv_columns(report):
    for name, columns in CSV_COLUMNS.items():
        assert list(read_csv(report.csv[name]).columns) == columns, name


def test_items_and_test_csv_equal_the_stats(report, responses, bank):
    assert_same_table(read_csv(report.csv["items"]), stats.items(responses, bank))
    assert_same_table(read_csv(report.csv["test"]), stats.test_stats(responses, bank))
    assert_same_table(read_csv(report.csv["distractors"]), stats.distractors(responses, bank))


def test_mastery_and_remedial_carry_name_and_class(report, responses, bank):
    m = read_csv(report.csv["mastery"])
    expected = stats.mastery(responses, bank)
    assert_same_table(m.drop(columns=["nama", "kelas"]), expected)
    p1 = m[m["peserta_id"] == "p1"].iloc[0]
    assert (p1["nama"], p1["kelas"]) == ("Budi Santoso", "A")
    assert m.loc[m["peserta_id"] == "p6", "nama"].isna().all()  # not on the roster: kept, name blank
    r = read_csv(report.csv["remedial"])
    assert_same_table(r.drop(columns=["nama", "kelas"]), stats.remedial(responses, bank))
    assert set(r.loc[r["peserta_id"] == "p4", "nama"]) == {"Dewi Sartika"}


def test_groups_stacked_by_kelas_and_instansi(report, responses, bank):
    g = read_csv(report.csv["groups"])
    assert list(dict.fromkeys(g["group_by"])) == ["kelas", "instansi"]
    kelas = g[g["group_by"] == "kelas"]
    assert set(kelas["group"]) == {"A", "B", "(tidak ada di roster)"}
    a1 = kelas[(kelas["group"] == "A") & (kelas["materi_pokok"] == 1)].iloc[0]
    assert (a1["n"], a1["mean_persen"], a1["n_absent"]) == (3, 75.0, 0)
    instansi = g[g["group_by"] == "instansi"]
    assert "(tidak diisi)" in set(instansi["group"])  # p5's blank instansi is a group, not an error
    n_mastery = len(stats.mastery(responses, bank))
    assert kelas["n"].sum() == n_mastery and instansi["n"].sum() == n_mastery


# -- Excel -------------------------------------------------------------------------------


def test_workbook(report):
    wb = openpyxl.load_workbook(report.excel)
    assert wb.sheetnames == SHEETS
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
    for title in SHEETS[1:]:
        assert wb[title].auto_filter.ref, title
    guide = "\n".join(str(c.value) for row in wb["Petunjuk"].iter_rows() for c in row)
    for title in SHEETS[1:]:
        assert title in guide
    assert "80 %" in guide and "0,90" in guide and "0,30" in guide and "kunci jawaban" in guide

    ws = wb["Ketuntasan"]
    assert header(ws) == ["NIP/ID peserta", "Nama", "Kelas", "Materi Pokok", "Benar", "Maks", "Persen (%)",
                          "Tuntas", "Dekat batas 80%"]
    assert {ws.cell(r, 8).value for r in range(2, ws.max_row + 1)} == {"tuntas", "ulangi"}
    assert {ws.cell(r, 9).value for r in range(2, ws.max_row + 1)} == {"ya", "tidak"}
    assert all(fill_of(ws, r) == GREEN for r in rows_where(ws, "Tuntas", "tuntas"))
    assert all(fill_of(ws, r) == RED for r in rows_where(ws, "Tuntas", "ulangi"))
    assert rows_where(ws, "Tuntas", "tuntas") and rows_where(ws, "Tuntas", "ulangi")
    assert ws.column_dimensions["A"].width >= len("NIP/ID peserta")

    ws = wb["Analisis soal"]
    h = header(ws)
    assert {"Kode soal", "Tingkat kemudahan", "Indeks daya beda", "Efisiensi daya beda", "Perlu ditinjau",
            "Alasan ditinjau"} <= set(h)
    flagged = rows_where(ws, "Perlu ditinjau", "ya")
    assert {ws.cell(r, 1).value for r in flagged} == {"MP1-04", "MP2-01", "MP2-02", "MP2-03"}
    assert all(fill_of(ws, r) == AMBER for r in flagged)
    assert all(fill_of(ws, r) != AMBER for r in rows_where(ws, "Perlu ditinjau", "tidak"))
    assert ws.cell(flagged[0], h.index("Tingkat kemudahan") + 1).number_format == "0.00"

    ws = wb["Pengecoh"]
    assert header(ws)[:2] == ["Kode soal", "Pilihan"] and "Pengecoh tidak berfungsi" in header(ws)
    nf = rows_where(ws, "Pengecoh tidak berfungsi", "ya")
    assert nf and all(fill_of(ws, r) == AMBER for r in nf)
    assert "kosong" in {ws.cell(r, 2).value for r in range(2, ws.max_row + 1)}

    ws = wb["Statistik tes"]
    assert {"Materi Pokok", "Alfa Cronbach", "KR-20", "SEM", "Tingkat ketuntasan"} <= set(header(ws))
    assert ws.cell(2, 1).value == 1 and isinstance(ws.cell(2, 2).value, int)

    ws = wb["Selisih roster"]
    assert header(ws) == ["NIP/ID peserta", "Nama", "Kelas", "Instansi", "Keterangan"]
    found = {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 5).value) for r in range(2, ws.max_row + 1)}
    assert found == {"p6": (None, "ada jawaban, tidak ada di roster"),
                     "p7": ("Joko Widodo Absen", "ada di roster, belum ada jawaban")}
    assert header(wb["Kelompok"])[:2] == ["Dikelompokkan menurut", "Kelompok"]
    assert header(wb["Bacaan ulang"])[0] == "NIP/ID peserta"


# -- HTML --------------------------------------------------------------------------------


def test_html(report):
    page = report.html.read_text(encoding="utf-8")
    for heading in ("Laporan Kohort", "Ringkasan per Materi Pokok", "Sebaran skor", "Ketuntasan per kelompok",
                    "Ketuntasan peserta", "Bacaan ulang", "Analisis soal", "Soal yang perlu ditinjau",
                    "Analisis pengecoh", "Selisih roster"):
        assert f">{heading}" in page, heading
    assert '<html lang="id">' in page and "17 Mei 2024" in page
    assert page.count('<img src="data:image/png;base64,') == 4
    assert not re.search(r"<script|<link|src=\"http|href=\"http", page)  # self-contained
    for item_id in ("MP1-04", "MP2-01", "MP2-02", "MP2-03"):
        assert f"<td>{item_id}</td>" in page
    assert "terlalu sulit" in page and "terlalu mudah" in page and "daya beda rendah" in page
    selisih = page[page.index(">Selisih roster"):]
    assert "p6" in selisih and "Joko Widodo Absen" in selisih
    assert "Siti &lt;Aminah&gt; &amp; Co" in page and "<Aminah>" not in page
    assert "MP1.1 Bagian MP1.1" in page  # a section to re-read
    assert 'class="tuntas"' in page and 'class="ulangi"' in page


def test_without_roster(responses, bank, roster_file, tmp_path):
    out = tmp_path / "laporan"
    first = write_report(responses, bank, out, read_roster(roster_file))
    assert first.plots["groups"].exists()
    files = write_report(responses, bank, out)
    assert files.mismatch is None and "groups" not in files.csv and "groups" not in files.plots
    assert not (out / "groups.csv").exists() and not (out / "plot_groups.png").exists()  # stale files removed
    assert {p.name for p in files.removed} == {"groups.csv", "plot_groups.png"}
    assert openpyxl.load_workbook(files.excel).sheetnames == SHEETS[:7]
    page = files.html.read_text(encoding="utf-8")
    assert page.count('<img src="data:image/png;base64,') == 3
    assert ">Selisih roster" not in page
    without_roster = [c for c in CSV_COLUMNS["mastery"] if c not in ("nama", "kelas")]
    assert list(read_csv(files.csv["mastery"]).columns) == without_roster


def test_writing_twice_leaves_no_temp_files(responses, bank, roster_file, tmp_path):
    out = tmp_path / "laporan"
    for _ in range(2):
        write_report(responses, bank, out, read_roster(roster_file))
    names = [p.name for p in out.iterdir()]
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]
    assert len(names) == 13


# -- errors ------------------------------------------------------------------------------


def test_empty_responses_raise_report_error(bank, tmp_path):
    with pytest.raises(ReportError, match="^Tidak ada data respons"):
        write_report(make_responses({}), bank, tmp_path / "laporan")
    assert not (tmp_path / "laporan").exists()  # nothing written


def test_read_roster_accepts_excel_csv(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffPeserta_ID;Nama;Kelas;Instansi;Unit\n 199001012021011001 ;Ani;A;BKN;X\n\n".encode())
    roster = read_roster(path)
    assert list(roster.columns) == ["peserta_id", "nama", "kelas", "instansi", "unit"]
    assert roster.loc[0, "peserta_id"] == "199001012021011001"  # text, stripped, no float


def test_read_roster_missing_column_names_file_and_row(tmp_path):
    path = tmp_path / "kelas_a.csv"
    path.write_text("peserta_id,nama,instansi\np1,Ani,BKN\n", encoding="utf-8")
    with pytest.raises(ReportError) as info:
        read_roster(path)
    message = str(info.value)
    assert str(path) in message and "baris 1" in message and "'kelas'" in message


def test_read_roster_duplicate_and_empty_id_name_rows(tmp_path):
    path = tmp_path / "kelas_b.csv"
    path.write_text("peserta_id,nama,kelas,instansi\np1,Ani,A,BKN\np2,Budi,A,BKN\n,Cici,B,BKN\np1,Ani lagi,B,BKN\n",
                    encoding="utf-8")
    with pytest.raises(ReportError) as info:
        read_roster(path)
    message = str(info.value)
    assert str(path) in message
    assert "baris 4: peserta_id kosong" in message
    assert "baris 5: peserta_id 'p1' ganda (sudah ada di baris 2)" in message


def test_read_roster_missing_file(tmp_path):
    with pytest.raises(ReportError, match="tidak ditemukan"):
        read_roster(tmp_path / "tidak_ada.csv")


def test_roster_dataframe_with_duplicates_refused(responses, bank, tmp_path):
    roster = pd.DataFrame({"peserta_id": ["p1", "p1"], "kelas": ["A", "B"]})
    with pytest.raises(ReportError, match="ganda"):
        write_report(responses, bank, tmp_path / "laporan", roster)


def test_read_responses_errors_name_the_file(responses, tmp_path):
    """The responses loader (used by the notebook; the command line is `latsar report`, tests/test_report_cli.py)."""
    with pytest.raises(ReportError, match="^Berkas respons .*responses.parquet tidak ditemukan"):
        read_responses(tmp_path / "responses.parquet")
    (tmp_path / "responses.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ReportError, match="harus .parquet atau .csv"):
        read_responses(tmp_path / "responses.txt")
    responses.to_csv(tmp_path / "responses.csv", index=False)
    back = read_responses(tmp_path / "responses.csv")
    assert back["peserta_id"].tolist() == responses["peserta_id"].tolist()
    assert back["pilihan"].tolist() == responses["pilihan"].tolist()  # blanks stay "", not NaN
