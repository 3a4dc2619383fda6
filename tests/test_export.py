"""`latsar export`: responses, mastery and reflections as CSV and Parquet, atomically."""

import json

import pandas as pd
from click.testing import CliRunner

from latsar.cli import main
from latsar.course import REFLECTION_FILE
from latsar.results.export import export

from .conftest import clone


def test_export_tables_match_the_clicks(graded, tmp_path):
    out = tmp_path / "ekspor"
    tables = export(graded, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "mastery.csv", "mastery.parquet", "reflections.csv", "reflections.parquet", "responses.csv",
        "responses.parquet"]
    responses = pd.read_csv(out / "responses.csv", dtype={"peserta_id": str}, keep_default_na=False)
    assert list(responses.columns) == ["peserta_id", "assignment", "item_id", "pilihan", "benar", "poin", "variant",
                                       "shown_position", "attempt"]
    assert (responses["attempt"] == 1).all()  # the two evaluations, first attempts
    assert len(responses) == 6 * 20  # six participants × 20 items
    bank = graded.item_bank
    for row in responses.itertuples():
        if row.peserta_id.startswith("semua-"):
            assert row.pilihan == row.peserta_id[-1]
        if row.peserta_id == "kosong":
            assert row.pilihan == ""
        assert row.benar == (row.pilihan == bank[row.item_id].key)
        assert row.poin == float(row.benar)
        # imported from a sheet naming module items: the module item, in the module's order
        assert (row.variant, str(row.shown_position)) == \
            ((row.item_id, str("abcd".index(row.pilihan) + 1)) if row.pilihan else ("", ""))
    parquet = pd.read_parquet(out / "responses.parquet")
    assert parquet.equals(tables["responses"])
    mastery = pd.read_csv(out / "mastery.csv", dtype={"peserta_id": str})
    assert list(mastery.columns) == ["peserta_id", "materi_pokok", "benar", "maks", "persen", "tuntas",
                                     "attempts", "attempt_used", "method"]
    kunci = mastery[mastery["peserta_id"] == "kunci"]
    assert kunci["persen"].tolist() == [100.0, 100.0] and kunci["tuntas"].all()
    # one attempt each (no retake was submitted), decided by the configured method (best by default)
    assert (mastery["attempts"] == 1).all() and (mastery["attempt_used"] == 1).all()
    assert (mastery["method"] == "best").all()


def test_export_leaves_no_partial_files_and_overwrites_cleanly(graded, tmp_path):
    out = tmp_path / "ekspor"
    export(graded, out)
    first = (out / "responses.csv").read_bytes()
    export(graded, out)
    assert (out / "responses.csv").read_bytes() == first
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


def test_cli_export(graded, tmp_path):
    result = CliRunner().invoke(main, ["export", "--course", str(graded.root), "--out", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert "responses: 120 baris" in result.output


BAB2 = "bab2_konsep_pelayanan_publik"


def write_reflection(course, student: str, texts) -> None:
    folder = course.autograded_dir(student, BAB2)
    (folder / REFLECTION_FILE).write_text(json.dumps({"format": "latsar-refleksi/1", "texts": texts}),
                                          encoding="utf-8")


def test_reflections_are_gathered_as_data_and_a_formula_stays_text_in_the_csv(graded, tmp_path):
    course = clone(graded, tmp_path / "kursus")
    students = sorted(p.name for p in course.autograded.iterdir())
    first, second, third, fourth = students[:4]
    write_reflection(course, first, {"bab2-renungkan-tuan": "Warga desa\x1b[31m dan pasien.",
                                     "tidak-dikenal": "  ", "bukan-teks": 5})
    write_reflection(course, second, {"bab2-renungkan-tuan": '=HYPERLINK("http://x.invalid","klik")'})
    secret = tmp_path / "rahasia.txt"
    secret.write_text(json.dumps({"texts": {"bab2-renungkan-tuan": "isi berkas lain"}}), encoding="utf-8")
    (course.autograded_dir(third, BAB2) / REFLECTION_FILE).symlink_to(secret)  # not a file of the submission
    big = course.autograded_dir(fourth, BAB2) / REFLECTION_FILE
    big.write_text(json.dumps({"texts": {"bab2-renungkan-tuan": "x" * 2_000_000}}), encoding="utf-8")
    out = tmp_path / "ekspor"
    tables = export(course, out)
    table = tables["reflections"]
    assert list(table.columns) == ["peserta_id", "assignment", "prompt_id", "prompt", "text"]
    assert table[["peserta_id", "prompt_id", "text"]].values.tolist() == [
        [first, "bab2-renungkan-tuan", "Warga desa[31m dan pasien."],
        [second, "bab2-renungkan-tuan", '=HYPERLINK("http://x.invalid","klik")']]
    assert (table["assignment"] == BAB2).all() and table["prompt"].str.len().gt(0).all()
    csv = pd.read_csv(out / "reflections.csv", dtype=str, keep_default_na=False)
    assert csv["text"].tolist() == ["Warga desa[31m dan pasien.", '\'=HYPERLINK("http://x.invalid","klik")']
    assert pd.read_parquet(out / "reflections.parquet").equals(table)  # as written, for pandas
