"""latsar.course.files and the course rules every stage shares: one write, one CSV reader, one mastery rule."""

import os
import stat

import pandas as pd
import pytest

from latsar.course import mastered
from latsar.course.files import CsvError, atomic_write, read_csv, remove_stale_tmp, swap_in


def test_atomic_write_replaces_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("lama")
    atomic_write(target, "baru")
    assert target.read_text() == "baru"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_failed_writer_keeps_the_old_file(tmp_path):
    target = tmp_path / "tabel.csv"
    target.write_text("lama")

    def broken(path):
        path.write_text("setengah")
        raise RuntimeError("disk penuh")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "lama"
    assert [p.name for p in tmp_path.iterdir()] == ["tabel.csv"]


def test_mode_is_exact_and_a_planted_link_is_replaced_not_followed(tmp_path):
    secret = tmp_path / "rahasia.txt"
    secret.write_text("jangan ditimpa")
    link = tmp_path / "token.csv"
    link.symlink_to(secret)
    atomic_write(link, "token,user,role\n", mode=0o600)
    assert not link.is_symlink() and link.read_text() == "token,user,role\n"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    assert secret.read_text() == "jangan ditimpa"


def test_without_mode_the_umask_decides(tmp_path):
    old = os.umask(0o027)
    try:
        path = atomic_write(tmp_path / "laporan.html", b"<p>ok</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_stale_temporary_files_of_dead_writers_are_removed(tmp_path):
    dead = tmp_path / ".mastery.csv.999999999.ab12.tmp"
    alive = tmp_path / f".mastery.csv.{os.getpid()}.cd34.tmp"
    dead.write_text("x")
    alive.write_text("x")
    remove_stale_tmp(tmp_path)
    assert not dead.exists() and alive.exists()


def test_swap_in_replaces_a_folder_whole(tmp_path):
    target = tmp_path / "bab2"
    target.mkdir()
    (target / "lama.txt").write_text("lama")
    build = tmp_path / ".bab2.build"
    build.mkdir()
    (build / "baru.txt").write_text("baru")
    swap_in(build, target)
    assert [p.name for p in target.iterdir()] == ["baru.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["bab2"]


def test_read_csv_takes_excel_in_the_indonesian_locale(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffPeserta_ID ; Nama\np1;Ani\n\n p2 ; Budi \np3\n".encode("utf-8"))
    table = read_csv(path)
    assert table.header == ["peserta_id", "nama"]
    assert table.rows == [(2, ["p1", "Ani"]), (4, ["p2", "Budi"])]
    assert table.problems == ["baris 5: harus 2 kolom, ada 1"]


def test_read_csv_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "lembar.csv"
    path.write_bytes(b"peserta_id,item_id\n\xff\xfe,a\n")
    with pytest.raises(CsvError) as info:
        read_csv(path)
    assert str(path) in str(info.value) and "UTF-8" in str(info.value)
    with pytest.raises(CsvError, match="tidak ditemukan"):
        read_csv(tmp_path / "tidak-ada.csv")


def test_mastered_is_the_module_rule_on_numbers_and_series():
    assert mastered(8, 10) and not mastered(7, 10) and not mastered(0, 0)
    assert mastered(16, 20) and not mastered(15.9, 20)
    right = pd.Series([8, 7, 0, 10])
    total = pd.Series([10, 10, 0, 10])
    assert mastered(right, total).tolist() == [True, False, False, True]
