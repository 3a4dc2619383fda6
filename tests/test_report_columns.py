"""The column spec (latsar.report.columns) drives every output: CSV, workbook, guide sheet and HTML page."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import openpyxl
import pandas as pd

from latsar.report import columns as spec
from latsar.report import stats
from latsar.report.write import read_roster, write_report

from .test_report_stats import COHORT, make_bank, make_responses
from .test_report_write import ROSTER_CSV

GENERATED = datetime(2024, 5, 17, 9, 30)
REVIEW = pd.DataFrame([("p2", "bab2", "sel jawaban diubah")], columns=["peserta_id", "assignment", "alasan"])
LIVE = pd.DataFrame({"session_id": ["s1"] * 3, "seq": [1, 1, 2], "item_id": ["LAT1-02", "LAT1-02", "POLL-1"],
                     "kind": ["item", "item", "poll"], "participant_id": ["a", "b", "a"],
                     "correct": [True, False, None], "seconds_to_answer": [2.0, 4.0, 1.0]})


def write(tmp_path, review=REVIEW, live=LIVE, roster_csv=ROSTER_CSV):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(roster_csv, encoding="utf-8")
    responses = make_responses(COHORT)
    # the position shown on screen (here the letters' own order), so that every table of the spec is written
    position = responses["pilihan"].map({"a": 1, "b": 2, "c": 3, "d": 4})
    responses = responses.assign(shown_position=position, attempt=1)
    # one retake (p2's second attempt at MP1, as first), so the attempt history is written too,
    # and a pre-test (attempt 0), so that the gain tables are written too
    retake = responses[(responses["peserta_id"] == "p2") & (responses["assignment"] == "bab2")]
    pre = responses.assign(assignment="bab1_pendahuluan", attempt=0, poin=0.0, benar=False)
    responses = pd.concat([responses, retake.assign(assignment="bab2_ulang1", attempt=2), pre], ignore_index=True)
    return write_report(responses, make_bank(), tmp_path / "laporan",
                        read_roster(roster_file), generated=GENERATED, review=review, live=live)


def sheet_rows(path, title) -> list[list]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path)[title].iter_rows()]


def test_a_column_added_to_the_spec_appears_in_csv_workbook_guide_and_page(tmp_path, monkeypatch):
    # the computation: a new statistic of the test table (score range per Materi Pokok), and one of the items
    real_test, real_items = stats.test_stats, stats.items
    monkeypatch.setattr(stats, "test_stats", lambda cohort, bank: real_test(cohort, bank).assign(rentang=[4.25, 3.5]))
    monkeypatch.setattr(stats, "items", lambda cohort, bank: real_items(cohort, bank).assign(jumlah_kata=7))
    # the one edit in the spec, each: on the page (test) and off the page (items)
    test, items = spec.TABLES["test"], spec.TABLES["items"]
    rentang = spec.Column("rentang", "Rentang skor", "0.00", "Skor tertinggi dikurangi skor terendah.", page="Rentang")
    at = test.names.index("sem") + 1
    monkeypatch.setitem(spec.TABLES, "test", dataclasses.replace(
        test, columns=(*test.columns[:at], rentang, *test.columns[at:])))
    kata = spec.Column("jumlah_kata", "Jumlah kata pokok soal", description="Panjang pokok soal.", number=True)
    monkeypatch.setitem(spec.TABLES, "items", dataclasses.replace(items, columns=(*items.columns, kata)))

    files = write(tmp_path)

    header = list(pd.read_csv(files.csv["test"]).columns)
    assert header[header.index("sem") + 1] == "rentang"  # in spec order, not at the end
    assert list(pd.read_csv(files.csv["items"]).columns)[-1] == "jumlah_kata"
    ws = openpyxl.load_workbook(files.excel)["Statistik tes"]
    labels = [c.value for c in ws[1]]
    n = labels.index("Rentang skor") + 1
    assert labels[n - 2] == "SEM"
    assert ws.cell(2, n).value == 4.25 and ws.cell(2, n).number_format == "0.00"
    assert sheet_rows(files.excel, "Analisis soal")[0][-1] == "Jumlah kata pokok soal"
    guide = {row[0]: row[1] for row in sheet_rows(files.excel, "Petunjuk")}
    assert guide["Statistik tes: Rentang skor"] == "Skor tertinggi dikurangi skor terendah."
    assert guide["Analisis soal: Jumlah kata pokok soal"] == "Panjang pokok soal."
    page = files.html.read_text(encoding="utf-8")
    summary = page[page.index(">Ringkasan per Materi Pokok"):page.index(">Sebaran skor")]
    assert "<th>SEM</th><th>Rentang</th>" in summary
    assert '<td class="num">4,25</td>' in summary and '<td class="num">3,50</td>' in summary
    assert "Jumlah kata pokok soal" not in page  # no page header given: CSV, sheet and guide only


def test_every_written_column_is_in_the_spec(tmp_path):
    """A column computed but forgotten in columns.py is written under its raw name: this test catches it."""
    files = write(tmp_path)
    for name, path in files.csv.items():
        if name == "live":  # the raw live-quiz answers, as latsar.live saved them
            continue
        unknown = [c for c in pd.read_csv(path, nrows=0).columns if c not in spec.TABLES[name].names]
        assert not unknown, f"{name}.csv: add {unknown} to latsar/report/columns.py"
    wb = openpyxl.load_workbook(files.excel)
    by_sheet = {t.sheet: t for t in spec.TABLES.values()}
    assert set(wb.sheetnames) == {"Petunjuk", *by_sheet}  # every table of the spec has a sheet here
    guide = {row[0] for row in sheet_rows(files.excel, "Petunjuk")}
    for title in wb.sheetnames[1:]:
        table = by_sheet[title]
        labels = {c.label for c in table.columns}
        header = [c.value for c in wb[title][1]]
        assert set(header) <= labels, title
        assert {f"{title}: {h}" for h in header} <= guide, title  # every column explained


def test_spec_is_complete():
    for table in spec.TABLES.values():
        assert len(set(table.names)) == len(table.names), table.name
        for column in table.columns:
            assert column.label and column.description, f"{table.name}.{column.name}"
    # one name, one label and one format, whichever table it is in
    seen = {}
    for table in spec.TABLES.values():
        for c in table.columns:
            assert seen.setdefault(c.name, (c.label, c.format)) == (c.label, c.format), c.name


def test_page_escapes_names_and_free_text(tmp_path):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    roster = ROSTER_CSV.replace("Budi Santoso", attack)
    page = write(tmp_path, review=REVIEW.assign(alasan=attack), roster_csv=roster).html.read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    people = page[page.index(">Ketuntasan peserta"):page.index(">Bacaan ulang")]
    assert escaped in people  # the name
    assert escaped in page[page.index(">Perlu diperiksa"):]  # the reason
