"""The click-to-answer widget and the answer file it persists."""

import json
import os

import pytest

import ipywidgets as widgets

from latsar.kernel.answers import ANSWER_FILE, AnswerStore, NotAnswered, WrongAnswer, check, choice_widget, choose

from .conftest import click, option_buttons


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A participant's assignment folder outside any course directory."""
    folder = tmp_path / "peserta" / "bab2_konsep_pelayanan_publik"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


OPTIONS = [
    "Undang-Undang Nomor 4 Tahun 2014",
    "Undang-Undang Nomor 5 Tahun 2014",
    "Undang-Undang Nomor 4 Tahun 2015",
    # long enough to wrap on a laptop screen
    "semua pihak, baik warga negara maupun penduduk, dalam wujud orang-perseorangan, kelompok, "
    "maupun badan hukum yang berstatus penerima manfaat pelayanan publik",
]


def status(box):
    return box.children[1].value


def test_options_are_the_buttons_one_per_row_full_width(workdir):
    box = choice_widget("MP1-01", workdir, OPTIONS)
    buttons = option_buttons(box)
    # real <button>s (Tab, Enter and Space work); the text is the accessible name: letter and option
    assert all(type(b) is widgets.Button for b in buttons.values())
    assert [b.description for b in buttons.values()] == [f"{k}. {t}" for k, t in zip("abcd", OPTIONS)]
    assert isinstance(box.children[0], widgets.VBox)  # one per row
    assert all(b.layout.width == "100%" and b.layout.height == "auto" for b in buttons.values())
    assert all("latsar-opsi" in b._dom_classes for b in buttons.values())
    assert "white-space: normal" in status(box)  # long options wrap instead of being cut off
    assert "Belum dijawab" in status(box)
    assert not any("dipilih" in b.description or b.button_style for b in buttons.values())


def test_click_is_saved_at_once_and_marked_in_words(workdir):
    box = choice_widget("MP1-01", workdir, OPTIONS)
    option_buttons(box)["c"].click()
    saved = json.loads((workdir / ANSWER_FILE).read_text())
    assert saved == {"format": "latsar-jawaban/2",
                     "answers": {"MP1-01": {"variant": "MP1-01", "order": "abcd", "choice": "c"}}}
    assert "Jawaban <b>c</b> tersimpan" in status(box)
    marked = {k: b for k, b in option_buttons(box).items() if "✔ dipilih" in b.description}
    assert list(marked) == ["c"] and marked["c"].description.startswith(f"c. {OPTIONS[2]}")
    assert marked["c"].button_style == "success" and marked["c"].tooltip == "Jawaban c dipilih"
    option_buttons(box)["a"].click()  # changed mind: the mark moves
    assert [k for k, b in option_buttons(box).items() if b.button_style] == ["a"]
    assert "dipilih" not in option_buttons(box)["c"].description
    assert AnswerStore(workdir).load() == {"MP1-01": "a"}


def test_choice_survives_a_new_kernel(workdir):
    click("MP1-01", workdir, "b", OPTIONS)
    click("MP1-02", workdir, "d", OPTIONS)
    click("MP1-01", workdir, "a", OPTIONS)  # changed mind
    # a fresh widget (kernel restart, notebook reopened) shows the saved choice
    again = choice_widget("MP1-01", workdir, OPTIONS)
    assert "✔ dipilih" in option_buttons(again)["a"].description
    assert "tersimpan" in status(again)
    assert AnswerStore(workdir).load() == {"MP1-01": "a", "MP1-02": "d"}


def test_without_options_the_buttons_are_the_bare_letters(workdir):
    """choose("MP1-01") of notebooks released before the options travelled in the call."""
    box = click("MP1-01", workdir, "d")
    assert [b.description for b in option_buttons(box).values()] == ["a", "b", "c", "d  ✔ dipilih"]
    assert AnswerStore(workdir).load() == {"MP1-01": "d"}


def test_a_failed_save_keeps_the_mark_on_the_saved_choice(workdir, monkeypatch):
    box = click("MP1-01", workdir, "b", OPTIONS)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(AnswerStore, "set", full)
    option_buttons(box)["d"].click()
    assert "Jawaban belum tersimpan" in status(box)
    assert [k for k, b in option_buttons(box).items() if b.button_style] == ["b"]


def test_no_answer_file_is_written_inside_the_course(course, monkeypatch):
    folder = course.source / "bab2_konsep_pelayanan_publik"
    box = click("MP1-01", folder, "b", OPTIONS)
    assert not (folder / ANSWER_FILE).exists()
    assert "pratinjau" in status(box)


def test_choose_shows_the_widget_and_prints_under_autograde(workdir, monkeypatch, capsys):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    choose("MP1-01", OPTIONS)
    assert len(shown) == 1 and option_buttons(shown[0])["a"].description == f"a. {OPTIONS[0]}"
    # under nbgrader autograde: no widget, the saved choice among the options as text
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    AnswerStore(workdir).set("MP1-01", "b")
    choose("MP1-01", OPTIONS)
    choose("MP1-02", OPTIONS)
    choose("MP1-01")
    assert len(shown) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[:5] == ["Jawaban tersimpan: b", f"  a. {OPTIONS[0]}", f"✔ b. {OPTIONS[1]}   ← jawaban tersimpan",
                           f"  c. {OPTIONS[2]}", f"  d. {OPTIONS[3]}"]
    assert printed[5:7] == ["Belum dijawab.", f"  a. {OPTIONS[0]}"] and "✔" not in "".join(printed[6:10])
    assert printed[10:] == ["Jawaban tersimpan: b"]


def test_choose_refuses_a_wrong_number_of_options(workdir):
    with pytest.raises(ValueError, match="4 teks pilihan"):
        choice_widget("MP1-01", workdir, OPTIONS[:3])


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
    assert str(wrong.value) == "Jawaban a untuk soal ini belum tepat."  # neither the key nor the id
    with pytest.raises(NotAnswered) as unanswered:
        check("MP1-02", key="b")
    assert str(unanswered.value) == "Soal ini belum dijawab."


def test_check_without_key_uses_the_bank_inside_the_course(course, monkeypatch):
    folder = course.source / "bab2_konsep_pelayanan_publik"
    AnswerStore(folder).set("MP1-02", course.item_bank["MP1-02"].key)
    monkeypatch.chdir(folder)
    check("MP1-02")
    os.remove(folder / ANSWER_FILE)


def test_a_v2_file_records_variant_order_and_the_canonical_choice(workdir):
    store = AnswerStore(workdir)
    store.set("MP1-01", "b", variant="MP1-01-v3", order="cadb")
    store.set("MP1-02", "a")  # no form given: the module item in the module's order
    saved = json.loads((workdir / ANSWER_FILE).read_text())
    assert saved == {"format": "latsar-jawaban/2", "answers": {
        "MP1-01": {"variant": "MP1-01-v3", "order": "cadb", "choice": "b"},
        "MP1-02": {"variant": "MP1-02", "order": "abcd", "choice": "a"}}}
    assert oct((workdir / ANSWER_FILE).stat().st_mode & 0o777) == "0o600"
    assert store.load() == {"MP1-01": "b", "MP1-02": "a"}
    record = store.record("MP1-01")
    assert (record.variant, record.order, record.choice, record.shown) == ("MP1-01-v3", "cadb", "b", "d")
    with pytest.raises(ValueError):
        store.set("MP1-01", "b", variant="MP1-01-v3", order="aabc")


def test_a_v1_file_still_reads_as_the_module_item_in_the_module_order(workdir):
    (workdir / ANSWER_FILE).write_text(json.dumps({"format": "latsar-jawaban/1",
                                                   "answers": {"MP1-01": "c", "MP1-02": "z"}}))
    store = AnswerStore(workdir)
    assert store.load() == {"MP1-01": "c"}
    assert store.records() == {"MP1-01": ("MP1-01", "abcd", "c")}
    store.set("MP1-02", "d", variant="MP1-02-v2", order="dcba")  # the next click writes v2, keeping the rest
    saved = json.loads((workdir / ANSWER_FILE).read_text())
    assert saved["format"] == "latsar-jawaban/2"
    assert saved["answers"]["MP1-01"] == {"variant": "MP1-01", "order": "abcd", "choice": "c"}


def test_damaged_v2_entries_read_as_unanswered(workdir):
    (workdir / ANSWER_FILE).write_text(json.dumps({"format": "latsar-jawaban/2", "answers": {
        "MP1-01": {"variant": "MP1-01-v2", "order": "abcd", "choice": "e"},
        "MP1-02": {"variant": 3, "order": "abcd", "choice": "a"},
        "MP1-03": {"variant": "MP1-03", "choice": "a"},
        "MP1-04": {"variant": "x" * 500, "order": "abcd", "choice": "a"},
        "MP1-05": ["MP1-05", "abcd", "a"],
        "MP1-06": {"variant": "MP1-06-v2", "order": "badc", "choice": "a"}}}))
    assert AnswerStore(workdir).load() == {"MP1-06": "a"}


FORMS = {
    "MP1-01": ("Stem modul **bukan**?", ["A0", "B0", "C0", "D0"]),
    "MP1-01-v2": ("Stem varian dua?", ["A2", "B2", "C2", "D2"]),
    "MP1-01-v3": ("Stem varian tiga?", ["A3", "B3", "C3", "D3"]),
}


def test_choose_shows_the_participant_s_own_variant_in_their_order(workdir, monkeypatch, capsys):
    from IPython.display import Markdown

    from latsar.kernel.forms import option_order, variant_for

    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    seen = {}
    for user in ("peserta001", "peserta002", "peserta003", "peserta004"):
        monkeypatch.setenv("JUPYTERHUB_USER", user)
        shown.clear()
        choose("MP1-01", assignment="bab2", attempt=1, forms=FORMS)
        variant = variant_for(user, "MP1-01", list(FORMS), 1)
        order = option_order(user, "bab2", "MP1-01", 1)
        stem, box = shown
        assert isinstance(stem, Markdown) and stem.data == FORMS[variant][0]
        texts = FORMS[variant][1]
        assert [b.description for b in option_buttons(box).values()] == \
            [f"{s}. {texts['abcd'.index(c)]}" for s, c in zip("abcd", order)]
        seen[user] = (variant, order)
    assert len(set(seen.values())) == 4  # neighbours see other forms
    # a click records the variant, the order and the canonical choice; messages name the shown letter
    user = "peserta002"
    monkeypatch.setenv("JUPYTERHUB_USER", user)
    variant, order = seen[user]
    shown.clear()
    choose("MP1-01", assignment="bab2", forms=FORMS)
    box = shown[1]
    option_buttons(box)["b"].click()
    record = AnswerStore(workdir).record("MP1-01")
    assert record == (variant, order, order[1]) and record.shown == "b"
    assert "Jawaban <b>b</b> tersimpan" in status(box)
    shown.clear()
    choose("MP1-01", assignment="bab2", forms=FORMS)  # reopened: the mark on the shown letter
    assert "✔ dipilih" in option_buttons(shown[1])["b"].description
    # under autograde: the stem and the options in the participant's order, the shown letter saved
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.delenv("JUPYTERHUB_USER")
    choose("MP1-01", assignment="bab2", forms=FORMS, form=(variant, order))
    printed = capsys.readouterr().out.splitlines()
    texts = FORMS[variant][1]
    assert printed[0] == FORMS[variant][0].replace("*", "")
    assert printed[2] == "Jawaban tersimpan: b"
    assert printed[4] == f"✔ b. {texts['abcd'.index(order[1])]}   ← jawaban tersimpan"
    # a record for another variant than the one assigned reads as no answer for it
    other = next(v for v in FORMS if v != variant)
    choose("MP1-01", assignment="bab2", forms=FORMS, form=(other, "abcd"))
    assert capsys.readouterr().out.splitlines()[2] == "Belum dijawab."


def test_check_scores_the_assigned_form(workdir):
    keys = {"MP1-01": "a", "MP1-01-v2": "c", "MP1-01-v3": "d"}
    AnswerStore(workdir).set("MP1-01", "c", variant="MP1-01-v2", order="dbca")
    check("MP1-01", keys=keys, variant="MP1-01-v2", order="dbca")
    check("MP1-01", keys=keys, variant="MP1-01-v2", order="abcd")  # another order: the canonical choice counts
    with pytest.raises(WrongAnswer) as other:
        check("MP1-01", keys=keys, variant="MP1-01-v3", order="dbca")  # not the question they were given
    assert "c" not in str(other.value).split() and "d" not in str(other.value).split()
    AnswerStore(workdir).set("MP1-01", "a", variant="MP1-01-v2", order="dbca")
    with pytest.raises(WrongAnswer) as wrong:
        check("MP1-01", keys=keys, variant="MP1-01-v2", order="dbca")
    assert str(wrong.value) == "Jawaban d untuk soal ini belum tepat."  # the letter shown, never the key
