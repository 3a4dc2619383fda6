"""The click-to-answer widget and the answer file it persists."""

import json
import os

import pytest

from latsar.kernel.answers import ANSWER_FILE, AnswerStore, NotAnswered, WrongAnswer, check, choice_widget


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A participant's assignment folder outside any course directory."""
    folder = tmp_path / "peserta" / "bab2_konsep_pelayanan_publik"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def buttons(box):
    return box.children[0]


def status(box):
    return box.children[1].value


def test_click_is_saved_at_once_and_confirmed(workdir):
    box = choice_widget("MP1-01", workdir)
    assert "Belum dijawab" in status(box)
    buttons(box).value = "c"
    saved = json.loads((workdir / ANSWER_FILE).read_text())
    assert saved["answers"] == {"MP1-01": "c"}
    assert "Jawaban <b>c</b> tersimpan" in status(box)


def test_choice_survives_a_new_kernel(workdir):
    buttons(choice_widget("MP1-01", workdir)).value = "b"
    buttons(choice_widget("MP1-02", workdir)).value = "d"
    buttons(choice_widget("MP1-01", workdir)).value = "a"  # changed mind
    # a fresh widget (kernel restart, notebook reopened) shows the saved choice
    again = choice_widget("MP1-01", workdir)
    assert buttons(again).value == "a"
    assert "tersimpan" in status(again)
    assert AnswerStore(workdir).load() == {"MP1-01": "a", "MP1-02": "d"}


def test_no_answer_file_is_written_inside_the_course(course, monkeypatch):
    folder = course.source / "bab2_konsep_pelayanan_publik"
    box = choice_widget("MP1-01", folder)
    buttons(box).value = "b"
    assert not (folder / ANSWER_FILE).exists()
    assert "pratinjau" in status(box)


def test_damaged_answer_file_reads_as_unanswered(workdir):
    (workdir / ANSWER_FILE).write_text("{not json")
    assert AnswerStore(workdir).load() == {}
    (workdir / ANSWER_FILE).write_text(json.dumps({"answers": {"MP1-01": "z", "MP1-02": "b"}}))
    assert AnswerStore(workdir).load() == {"MP1-02": "b"}


def test_check_passes_only_on_the_key_and_never_names_it(workdir):
    AnswerStore(workdir).set("MP1-01", "a")
    check_args = dict(key="a")
    check("MP1-01", **check_args)
    with pytest.raises(WrongAnswer) as wrong:
        check("MP1-01", key="d")
    assert "d" not in str(wrong.value).replace("Jawaban", "").replace("soal", "").replace("untuk", "").replace("tidak", "").replace("belum", "")
    with pytest.raises(NotAnswered):
        check("MP1-02", key="b")


def test_check_without_key_uses_the_bank_inside_the_course(course, monkeypatch):
    folder = course.source / "bab2_konsep_pelayanan_publik"
    AnswerStore(folder).set("MP1-02", course.item_bank["MP1-02"].key)
    monkeypatch.chdir(folder)
    check("MP1-02")
    os.remove(folder / ANSWER_FILE)
