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


# -- forms: a sheet names the variants answered, for one attempt --------------------------------

def test_a_sheet_naming_variants_records_that_form(released_copy, tmp_path):
    from latsar.grading.forms import assigned_form

    sheet = write(tmp_path, "peserta_id,item_id,pilihan\np1,MP1-01-v2,b\np1,MP1-02,c\np1,MP1-03-v3,\n")
    result = import_answers(sheet, released_copy)
    assert result.submissions == [("p1", BAB2)] and (result.answered, result.blank) == (2, 1)
    records = AnswerStore(released_copy.submission_dir("p1", BAB2)).records()
    assert {s: tuple(r) for s, r in records.items()} == {"MP1-01": ("MP1-01-v2", "abcd", "b"),
                                                         "MP1-02": ("MP1-02", "abcd", "c")}
    form = assigned_form(released_copy.root, released_copy.item_bank, "p1", BAB2)
    # the sheet's form for the slots it names (in the bank's order, as printed); the rest as derived
    assert form["MP1-01"] == ("MP1-01-v2", "abcd") and form["MP1-03"] == ("MP1-03-v3", "abcd")
    assert form["MP1-02"] == ("MP1-02", "abcd")


def test_every_bad_line_is_listed_and_nothing_is_written(released_copy, tmp_path):
    sheet = write(tmp_path, "peserta_id,item_id,pilihan\n"
                  "p1,MP1-01-v2,b\n"
                  "p1,MP1-01-v3,a\n"  # a second variant of the same slot
                  "p1,MP1-02-v9,a\n"  # no such variant
                  "p2,MP2-01-v2,e\n"  # no such letter
                  "p2,MP2-02,a\n")
    with pytest.raises(AnswerSheetError) as err:
        import_answers(sheet, released_copy)
    text = str(err.value)
    assert "baris 3: peserta p1 menjawab MP1-01-v3, padahal baris 2 memberinya MP1-01-v2" in text
    assert "baris 4: item_id 'MP1-02-v9' tidak ada di bank soal" in text
    assert "baris 5: pilihan 'e'" in text
    assert "baris 2:" not in text and "baris 6" not in text
    assert not released_copy.submitted.exists()
    assert not (released_copy.root / "formulir").exists()


def test_a_pre_test_sheet_is_attempt_0_and_holds_pre_test_slots_only(released_copy, tmp_path):
    from latsar.course import PRETEST_ASSIGNMENT
    from latsar.grading.forms import recorded_form

    sheet = write(tmp_path, "peserta_id,item_id,pilihan\np1,MP1-01-v3,a\np1,MP2-05,d\n")
    result = import_answers(sheet, released_copy, attempt=0)
    assert result.submissions == [("p1", PRETEST_ASSIGNMENT)]
    assert recorded_form(released_copy.root, "p1", PRETEST_ASSIGNMENT) == {"MP1-01": ("MP1-01-v3", "abcd"),
                                                                           "MP2-05": ("MP2-05", "abcd")}
    late = write(tmp_path, "peserta_id,item_id,pilihan\np2,MP1-06-v2,a\n", "late.csv")
    with pytest.raises(AnswerSheetError, match="baris 2: soal MP1-06-v2 tidak ada di pra-tes"):
        import_answers(late, released_copy, attempt=0)


def test_a_retake_sheet_goes_to_the_retake_assignment(released_copy, tmp_path):
    from latsar.course import retake_assignment

    sheet = write(tmp_path, "peserta_id,item_id,pilihan\np1,MP2-03-v2,c\n")
    result = CliRunner().invoke(main, ["import-answers", str(sheet), "--percobaan", "2",
                                       "--course", str(released_copy.root)])
    assert result.exit_code == 0, result.output
    folder = released_copy.submission_dir("p1", retake_assignment(2, 2))
    assert AnswerStore(folder).records()["MP2-03"].variant == "MP2-03-v2"
    third = CliRunner().invoke(main, ["import-answers", str(sheet), "--percobaan", "3",
                                      "--course", str(released_copy.root)])
    assert third.exit_code == 1 and "rilis bab3_berorientasi_pelayanan_ulang2 belum dibuat" in third.output
