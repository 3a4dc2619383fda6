"""The whole nbgrader round trip on one machine, each participant with their own HOME."""

import subprocess

import pytest

from latsar.results import scores
from latsar.kernel.answers import AnswerStore
from latsar.authoring.notebooks import item_options
from latsar.course import ASSIGNMENTS, MATERI_POKOK_ASSIGNMENT, PRETEST_ASSIGNMENT
from latsar.authoring.itembank import LETTERS

from .conftest import BIN, click, click_on_form, released_course

COURSE_ID = "latsar-pelayanan"


def run(args, cwd, home, user, exchange):
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home), "USER": user, "LOGNAME": user,
           "LATSAR_EXCHANGE": str(exchange)}
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True,
                          text=True, check=True)


def participant_config(home, exchange, user):
    """Without OS accounts nbgrader would submit as the OS user; on a hub each user is their own."""
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.student_id = {user!r}\n")


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    root = tmp_path_factory.mktemp("exchange")
    exchange = root / "exchange"
    exchange.mkdir(mode=0o777)
    course = released_course(tmp_path_factory, "exchange-course")
    instructor = root / "instructor-home"
    instructor.mkdir()
    bank = course.item_bank
    people = {"peserta_a": 0, "peserta_b": 1, "peserta_c": 2}  # each answers with a different pattern
    clicks = {}
    for assignment in ASSIGNMENTS:
        run(["nbgrader", "release_assignment", assignment], course.root, instructor, "pengampu", exchange)
    for user, shift in people.items():
        home = root / user
        participant_config(home, exchange, user)
        run(["nbgrader", "fetch_assignment", *ASSIGNMENTS], home, home, user, exchange)
        for assignment in ASSIGNMENTS:
            folder = home / assignment
            slots = [i.id for i in bank.for_assignment(assignment)]

            def pick(item, order, shift=shift, slots=slots, user=user, assignment=assignment):
                """On the participant's own form: the variant shown, the letters in their order."""
                n = slots.index(item.slot)
                if (n + shift) % 4 == 3:
                    return None  # leaves some items unanswered
                canonical = item.key if (n + shift) % 3 == 0 else LETTERS[(LETTERS.index(item.key) + 1 + shift) % 4]
                clicks[(user, assignment, item.slot)] = (canonical, canonical == item.key)
                return LETTERS[order.index(canonical)]
            click_on_form(course, user, assignment, folder, pick)
            run(["nbgrader", "submit", assignment], home, home, user, exchange)
    for assignment in ASSIGNMENTS:
        run(["nbgrader", "collect", assignment], course.root, instructor, "pengampu", exchange)
    run(["latsar", "autograde", "--course", str(course.root)], course.root, instructor, "pengampu", exchange)
    run(["nbgrader", "generate_feedback", "--assignment=*"], course.root, instructor, "pengampu", exchange)
    run(["nbgrader", "release_feedback", "--assignment=*"], course.root, instructor, "pengampu", exchange)
    for user in people:
        run(["nbgrader", "fetch_feedback", *ASSIGNMENTS], root / user, root / user, user, exchange)
    return course, root, people, clicks


def test_every_submission_is_collected_with_its_clicks(round_trip):
    course, _, people, clicks = round_trip
    for user in people:
        for assignment in ASSIGNMENTS:
            folder = course.submission_dir(user, assignment)
            assert (folder / f"{assignment}.ipynb").exists() and (folder / "timestamp.txt").exists()
            # the pre-test (bab1) and the two evaluations share slots: each answer file holds its own
            assert AnswerStore(folder).load() == {item: letter for (u, a, item), (letter, _) in clicks.items()
                                                  if u == user and a == assignment}
        assert {a for (u, a, _) in clicks if u == user} == {PRETEST_ASSIGNMENT, *MATERI_POKOK_ASSIGNMENT.values()}


def test_scores_equal_the_clicks(round_trip):
    course, _, people, clicks = round_trip
    table = scores.responses(course).set_index(["peserta_id", "assignment", "item_id"])
    graded = sum(len(course.item_bank.for_assignment(a)) for a in ASSIGNMENTS)  # 10 pre-test + 20 evaluation
    assert graded == 30 and len(table) == len(people) * graded
    for (user, assignment, item_id), row in table.iterrows():
        letter, right = clicks.get((user, assignment, item_id), ("", False))
        assert row["pilihan"] == letter
        assert row["poin"] == (1.0 if right else 0.0)


def test_participants_fetch_indonesian_feedback(round_trip):
    course, root, people, clicks = round_trip
    for user in people:
        pages = list((root / user / ASSIGNMENTS[1] / "feedback").rglob(f"{ASSIGNMENTS[1]}.html"))
        assert len(pages) == 1
        page = pages[0].read_text(encoding="utf-8")
        right = sum(1 for (u, a, _), (_, ok) in clicks.items() if u == user and a == ASSIGNMENTS[1] and ok)
        assert f"{right} dari 10 soal benar" in page
        assert ("tuntas" if right >= 8 else "ulangi") in page
        wrong = {course.item_bank[i].section.label for i in (f"MP1-{n:02d}" for n in range(1, 11))
                 if not clicks.get((user, ASSIGNMENTS[1], i), ("", False))[1]}
        for label in wrong:
            assert label in page
        assert "key=" not in page and "Jawaban yang benar" not in page
