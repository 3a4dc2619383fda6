"""The key never reaches a participant: not in the release, not in feedback."""

import html
import json
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from latsar.authoring import release
from latsar.course import RETAKES, Course
from latsar.authoring.itembank import LETTERS
from latsar.course.nbgrader_api import api, check
from latsar.authoring.release import ReleaseLeak, scan_release

from latsar.grading.import_answers import write_submission

from .conftest import copy_course, grade, participant_form

GRADED = ("bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan")


def set_keys(course: Course, keys: dict[str, str]) -> Course:
    """Rewrite the bank of ``course`` with other keys; return a fresh Course object."""
    raw = yaml.safe_load(course.item_bank_path.read_text(encoding="utf-8"))
    for item in [*raw["items"], *raw.get("variants", [])]:  # every variant of every slot
        item["key"] = keys[item["id"]]
    course.item_bank_path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Course.at(course.root)


def rotated(course: Course, shift: int) -> dict[str, str]:
    return {i.id: LETTERS[(LETTERS.index(i.key) + shift) % 4] for i in course.item_bank.all_items()}


def release_bytes(course: Course) -> dict[str, bytes]:
    return {str(p.relative_to(course.release)): p.read_bytes()
            for p in sorted(course.release.rglob("*")) if p.is_file()}


def test_release_is_byte_identical_whatever_the_keys(released, tmp_path):
    reference = release_bytes(released)
    assert len([p for p in reference if p.endswith(".ipynb")]) == 6  # the four lessons and the two retakes
    assert {f"{a}/{a}.ipynb" for a in RETAKES} <= set(reference)
    for shift in (1, 2, 3):  # every item, every variant, takes each of the other three letters once
        course = copy_course(tmp_path / f"shift{shift}")
        course = set_keys(course, rotated(course, shift))
        assert all(course.item_bank.variant(i).key != released.item_bank.variant(i).key
                   for i in ("MP1-01-v2", "MP2-10-v3"))
        release.generate(course)
        assert release_bytes(course) == reference, f"release changed when keys shifted by {shift}"


def test_release_holds_no_answer_file_no_widget_state_no_hidden_test(released):
    for path in released.release.rglob("*"):
        assert path.name != ".jawaban.json"
        if path.suffix == ".ipynb":
            text = path.read_text(encoding="utf-8")
            assert "HIDDEN TESTS" not in text and "key=" not in text and "keys=" not in text and "check(" not in text
            assert "widgets" not in json.loads(text)["metadata"]


def test_gradebook_alone_holds_the_pinned_key(released):
    import sqlite3

    db = sqlite3.connect(released.root / "gradebook.db")
    source = dict(db.execute("SELECT name, source FROM source_cell WHERE name LIKE 'MP%' AND name NOT LIKE '%soal'"))
    keys = ", ".join(f'"{v.id}": "{v.key}"' for v in released.item_bank.slots["MP1-01"])
    assert source["MP1-01"].count(f"keys={{{keys}}}") == 1  # every variant's key, in the gradebook only
    committed = (Path(__file__).parents[1] / "source").rglob("*.ipynb")
    assert not any("key=" in p.read_text(encoding="utf-8") or "keys=" in p.read_text(encoding="utf-8") for p in committed)


def test_saved_widget_state_in_source_never_reaches_release(course):
    path = course.source_notebook(GRADED[0])
    nb = nbformat.read(path, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"x": {"value": "b"}}}}
    nbformat.write(nb, path)
    (path.parent / ".jawaban.json").write_text('{"answers": {"MP1-01": "b"}}')  # an instructor's try-out
    with pytest.raises(ReleaseLeak, match="berkas jawaban"):
        release.generate(course, [GRADED[0]])
    (path.parent / ".jawaban.json").unlink()
    shutil.rmtree(course.release / GRADED[0])
    release.generate(course, [GRADED[0]])
    assert "widgets" not in json.loads(course.release_notebook(GRADED[0]).read_text())["metadata"]
    scan_release(course)


def wrong_letters(course: Course) -> dict[str, str]:
    """A participant who answers every item with a letter that no variant below uses as key."""
    return {i.id: LETTERS[(LETTERS.index(i.key) + 3) % 4] for i in course.item_bank}


def wrong_on_form(course: Course, student: str, assignment: str) -> dict:
    """Answer records of ``student`` on their own form, every choice one no key below is."""
    from latsar.kernel.answers import Answer

    out = {}
    for slot, (variant, order) in participant_form(course, student, assignment).items():
        key = course.item_bank.variant(variant).key
        out[slot] = Answer(variant, order, LETTERS[(LETTERS.index(key) + 3) % 4])
    return out


def feedback_pages(course: Course, peserta: str) -> dict[str, str]:
    return {a: (course.feedback / peserta / a / f"{a}.html").read_text(encoding="utf-8") for a in GRADED}


@pytest.fixture(scope="module")
def feedback_variants(tmp_path_factory):
    """The same wrong answers, graded and fed back under the three other keys of each item."""
    pages = {}
    for shift in (0, 1, 2):
        root = tmp_path_factory.mktemp(f"feedback{shift}")
        course = copy_course(root / "course")
        answers = wrong_letters(course)
        on_form = {a: wrong_on_form(course, "acak", a) for a in GRADED}
        course = set_keys(course, rotated(course, shift))
        assert all(answers[i.id] != i.key for i in course.item_bank)
        release.generate(course)
        grade(course, {"peserta": answers}, root)
        nbapi = api(course)
        for assignment in GRADED:  # a participant on their own form: other variants, other orders
            write_submission(course, "acak", assignment, on_form[assignment], "2026-01-05 10:00:00.000000 UTC")
            check(nbapi.autograde(assignment, "acak", force=True, create=True), "autograde acak")
        for assignment in GRADED:
            for peserta in ("peserta", "acak"):
                check(nbapi.generate_feedback(assignment, peserta), "generate_feedback")
        pages[shift] = (course, {**feedback_pages(course, "peserta"),
                                 **{f"acak/{a}": p for a, p in feedback_pages(course, "acak").items()}})
    return pages


def test_feedback_for_a_wrong_answer_is_identical_whatever_the_key(feedback_variants):
    (_, first), *others = feedback_variants.values()
    for _, pages in others:
        assert pages == first


def test_feedback_on_a_participant_s_own_form_speaks_in_the_letters_they_saw(feedback_variants):
    course, pages = feedback_variants[0]
    for assignment in GRADED:
        page = pages[f"acak/{assignment}"]
        assert page.count("Belum tepat") == 10
        for slot, (variant, order) in participant_form(course, "acak", assignment).items():
            item = course.item_bank.variant(variant)
            chosen = wrong_on_form(course, "acak", assignment)[slot].choice  # under the original keys
            shown = LETTERS[order.index(chosen)]
            assert f"Jawaban Anda: <b>{shown}</b>" in page
            assert html.escape(f"{shown}. {item.options[chosen]}") in page
            assert f"💡 {html.escape(item.explanation)}" in page
            start = page.index(f'id="cell-id={slot.lower()}-jawaban"')
            cell = page[start:page.index("</div>", start + 200)]
            rows = [html.escape(f"{LETTERS[n]}. {item.options[c]}") for n, c in enumerate(order)]
            assert [cell.index(r) for r in rows] == sorted(cell.index(r) for r in rows)  # in their order
            assert f"Jawaban Anda: <b>{shown}</b>" in cell and html.escape(item.stem.replace("*", "")[:30]) in cell
        for leak in ("key=", "keys=", "HIDDEN TESTS", "WrongAnswer", "Jawaban yang benar", "check("):
            assert leak not in page
    assert sum(v != s for a in GRADED for s, (v, _) in participant_form(course, "acak", a).items()) >= 8


def test_feedback_is_indonesian_and_points_to_the_section(feedback_variants):
    course, pages = feedback_variants[0]
    page = pages[GRADED[0]]
    for item in course.item_bank.for_materi_pokok(1):
        assert f"Baca ulang bagian <b>{item.section.label}</b> di notebook <b>{item.assignment}.ipynb</b>" in page
        assert f"💡 {html.escape(item.explanation)}" in page  # the same under every key (test above)
    assert page.count("Belum tepat") == 10
    for leak in ("key=", "HIDDEN TESTS", "WrongAnswer", "Jawaban yang benar", "check("):
        assert leak not in page


def test_instructor_can_turn_on_the_right_letter(feedback_variants, tmp_path):
    course, _ = feedback_variants[0]
    (course.root / "nbgrader_config.py").open("a").write("\nc.ItemFeedback.show_key = True\n")
    check(api(course).generate_feedback(GRADED[0], "peserta"), "generate_feedback")
    page = feedback_pages(course, "peserta")[GRADED[0]]
    for item in course.item_bank.for_materi_pokok(1):
        assert f"Jawaban Anda: <b>{wrong_letters(course)[item.id]}</b>" in page
    assert page.count("Jawaban yang benar: <b>") == 10
