"""What click itself prints around latsar's commands is Indonesian too (usage, sections, its errors)."""

from click.testing import CliRunner

from latsar.cli import main
from latsar.locale import MO, compiled


def test_help_and_click_s_own_errors_speak_indonesian(tmp_path):
    help_text = CliRunner().invoke(main, ["--help"], prog_name="latsar").output
    assert "Penggunaan: latsar" in help_text and "Opsi:" in help_text and "Perintah:" in help_text
    assert "Tampilkan bantuan ini lalu keluar." in help_text
    assert not {"Usage:", "Options:", "Commands:", "Show this message"} & {w for w in help_text.splitlines()
                                                                              for w in [w.strip()]}
    wrong = CliRunner().invoke(main, ["import-answers", str(tmp_path / "tidak-ada.csv")], prog_name="latsar")
    assert wrong.exit_code == 2
    assert "Galat: Nilai tidak sah untuk 'LEMBAR'" in wrong.output and "tidak-ada.csv' tidak ada." in wrong.output
    assert "File" not in wrong.output
    assert "Coba 'latsar import-answers --help' untuk bantuan." in wrong.output
    typo = CliRunner().invoke(main, ["simulate", "--jumlah", "3"], prog_name="latsar")
    assert "Tidak ada opsi '--jumlah'" in typo.output and "Error" not in typo.output


def test_the_committed_catalogue_is_compiled_from_the_po():
    assert MO.read_bytes() == compiled(), "jalankan `python -m latsar.locale` lalu commit latsar.mo"


ENGLISH_PLACEHOLDERS = {"[OPTIONS]", "COMMAND", "[ARGS]...", "DIRECTORY", "FILE", "PATH", "TEXT", "INTEGER",
                        "FLOAT", "RANGE", "[ASSIGNMENTS]...", "SHEET"}


def test_no_command_shows_english_placeholders():
    """Click names placeholders after a type's English name or the Python parameter's; an
    instructor reads ``--course FOLDER`` and ``[TUGAS]...``."""
    for name in [None, *main.commands]:
        text = CliRunner().invoke(main, [name, "--help"] if name else ["--help"], prog_name="latsar").output
        words = set(text.replace(",", " ").split())
        assert not ENGLISH_PLACEHOLDERS & words, (name, ENGLISH_PLACEHOLDERS & words)
        assert "[OPSI]" in text, name
    autograde = CliRunner().invoke(main, ["autograde", "--help"], prog_name="latsar").output
    assert "Penggunaan: latsar autograde [OPSI] [TUGAS]..." in autograde and "--course FOLDER" in autograde
