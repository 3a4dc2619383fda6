"""Answer sheets become submissions in exactly the form a participant's clicks produce."""

import shutil

import pytest
from click.testing import CliRunner

from latsar.cli import main
from latsar.kernel.answers import AnswerStore
from latsar.grading.import_answers import AnswerSheetError, import_answers

from .conftest import click

BAB2, BAB3 = "bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"


def write(tmp_path, text, name="sheet.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_sheet_becomes_submissions(released_copy, tmp_path):
    sheet = write(tmp_path, "peserta_id,item_id,pilihan\n"
                  "199001012021011001,MP1-01, B \n"
                  "199001012021011001,MP1-02,c\n"
                  "199001012021011001,MP1-03,\n"
                  "budi.santoso,MP2-05,A\n")
    result = import_answers(sheet, released_copy)
    assert result.submissions == [("199001012021011001", BAB2), ("budi.santoso", BAB3)]
    assert (result.answered, result.blank) == (3, 1)
    nip = released_copy.submission_dir("199001012021011001", BAB2)
    assert sorted(p.name for p in nip.iterdir()) == [".jawaban.json", f"{BAB2}.ipynb", "timestamp.txt"]
    assert (nip / f"{BAB2}.ipynb").read_bytes() == released_copy.release_notebook(BAB2).read_bytes()
    # no row for an assignment → no submission for it
    assert not released_copy.submission_dir("199001012021011001", BAB3).exists()
    assert not released_copy.submission_dir("budi.santoso", BAB2).exists()


def test_imported_answers_equal_what_clicks_write(released_copy, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(released_copy.release / BAB2, home)
    for item_id, letter in (("MP1-02", "c"), ("MP1-01", "d"), ("MP1-07", "a")):
        click(item_id, home, letter)
    sheet = write(tmp_path, "peserta_id,item_id,pilihan\np1,MP1-01,d\np1,MP1-07,a\np1,MP1-02,c\np1,MP1-04,\n")
    import_answers(sheet, released_copy)
    imported = released_copy.submission_dir("p1", BAB2)
    assert (imported / ".jawaban.json").read_bytes() == (home / ".jawaban.json").read_bytes()
    assert (imported / f"{BAB2}.ipynb").read_bytes() == (home / f"{BAB2}.ipynb").read_bytes()


def test_excel_style_sheet_with_bom_and_semicolons(released_copy, tmp_path):
    sheet = write(tmp_path, "peserta_id;item_id;pilihan\r\np2;MP1-01;a\r\n", encoding="utf-8-sig")
    assert import_answers(sheet, released_copy).submissions == [("p2", BAB2)]


@pytest.mark.parametrize(
    "row, message",
    [
        ("p1,MP9-01,a", "baris 3: item_id 'MP9-01' tidak ada di bank soal"),
        ("p1,MP1-02,e", "baris 3: pilihan 'e' harus a, b, c, d atau kosong"),
        ("p1,MP1-01,b", "baris 3: peserta p1 soal MP1-01 sudah ada di baris 2"),
        ("../evil,MP1-02,b", "baris 3: peserta_id '../evil' tidak sah"),
        ("budi santoso,MP1-02,b", "baris 3: peserta_id 'budi santoso' tidak sah"),
        ("p1,MP1-02", "baris 3: harus 3 kolom, ada 2"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(released_copy, tmp_path, row, message):
    sheet = write(tmp_path, f"peserta_id,item_id,pilihan\np1,MP1-01,a\n{row}\n")
    with pytest.raises(AnswerSheetError) as err:
        import_answers(sheet, released_copy)
    assert message in str(err.value)
    assert not released_copy.submitted.exists()


def test_wrong_header_is_refused(released_copy, tmp_path):
    sheet = write(tmp_path, "nip,soal,jawaban\np1,MP1-01,a\n")
    with pytest.raises(AnswerSheetError, match="baris 1: kolom harus tepat peserta_id,item_id,pilihan"):
        import_answers(sheet, released_copy)


def test_reimport_replaces_without_doubling(released_copy, tmp_path):
    import_answers(write(tmp_path, "peserta_id,item_id,pilihan\np1,MP1-01,a\n"), released_copy)
    import_answers(write(tmp_path, "peserta_id,item_id,pilihan\np1,MP1-01,b\n", "again.csv"), released_copy)
    folder = released_copy.submission_dir("p1", BAB2)
    assert AnswerStore(folder).load() == {"MP1-01": "b"}
    assert [p.name for p in folder.parent.iterdir()] == [BAB2]


def test_cli_reports_errors_without_traceback(released_copy, tmp_path):
    sheet = write(tmp_path, "peserta_id,item_id,pilihan\np1,MP1-01,x\n")
    result = CliRunner().invoke(main, ["import-answers", str(sheet), "--course", str(released_copy.root)])
    assert result.exit_code == 1
    assert "baris 2: pilihan 'x'" in result.output and "Traceback" not in result.output
