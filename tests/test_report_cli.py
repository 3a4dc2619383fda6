"""`latsar report` on a graded course: files, roster mismatch, and clear errors."""

from click.testing import CliRunner

from latsar.cli import main


def test_report_lists_roster_mismatch(graded, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("peserta_id,nama,kelas,instansi\n"
                      "kunci,Ayu Lestari,Angkatan I,Dinas Pendidikan\n"
                      "semua-a,Budi Santoso,Angkatan II,Dinas Kesehatan\n"
                      "tamu,Citra Dewi,Angkatan I,Kantor Kecamatan\n")
    out = tmp_path / "laporan"
    result = CliRunner().invoke(main, ["report", "--course", str(graded.root), "--out", str(out),
                                       "--roster", str(roster)], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in ("mastery.csv", "remedial.csv", "items.csv", "distractors.csv", "test.csv", "groups.csv",
                 "laporan_kohort.xlsx", "laporan_kohort.html"):
        assert (out / name).exists(), name
    assert "tidak ada di roster" in result.output and "semua-b" in result.output
    assert "tanpa jawaban" in result.output and "tamu" in result.output


def test_report_on_an_empty_cohort_is_a_clear_message(released_copy, tmp_path):
    result = CliRunner().invoke(main, ["report", "--course", str(released_copy.root), "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "Tidak ada data respons" in result.output and "Traceback" not in result.output
