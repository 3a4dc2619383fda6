"""Shared fixtures: throw-away copies of the course, released and graded once per test run."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from latsar.authoring import release
from latsar.course import Course
from latsar.grading.import_answers import import_answers
from latsar.authoring.itembank import LETTERS
from latsar.course.nbgrader_api import api, check
from latsar.hub.server import PORT_BAND_ENV
from latsar.simulate import write_sheet

REPO = Path(__file__).resolve().parents[1]
# The module's full text, kept in the repository (course_data/modul/SUMBER.md says why).
SEED = REPO / "course_data" / "modul" / "modul-berorientasi-pelayanan-LAN-2021.txt"
BIN = Path(sys.executable).parent


def _own_port_band() -> None:
    """Each xdist worker draws its servers' ports from a band of its own (latsar.hub.server.port_band):
    two workers' hubs and services never pick the same port, whatever their timing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    n = int(worker[2:]) if worker[2:].isdigit() else 0
    if n < 5:
        os.environ.setdefault(PORT_BAND_ENV, f"{12000 + 4000 * n}-{15999 + 4000 * n}")


_own_port_band()


def copy_course(dest: Path) -> Course:
    """A fresh course directory with the repository's sources and data."""
    return Course.at(REPO).copy_to(dest)


def built_once(tmp_path_factory, name: str, build) -> Course:
    """A course ``build(dest)`` makes once per test run, shared by every xdist worker: the first
    to ask builds it under a lock, the others wait and reuse it.  Treat it as read-only (clone it)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder
    folder, done = shared / f"shared-{name}", shared / f"shared-{name}.done"
    with open(shared / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder / "course")
            done.touch()
    return Course.at(folder / "course")


def _release(dest: Path) -> None:
    release.generate(copy_course(dest))


def released_course(tmp_path_factory, name: str) -> Course:
    """A fresh course under a new temporary folder, with its release generated (a copy of the
    run's one release: generating it costs seconds per assignment)."""
    return clone(built_once(tmp_path_factory, "released", _release), tmp_path_factory.mktemp(name) / "course")


def clone(course: Course, dest: Path) -> Course:
    """A full copy of a course folder, gradebook and submissions included."""
    shutil.copytree(course.root, dest)
    return Course.at(dest)


def nbgrader(course: Course, *args: str) -> subprocess.CompletedProcess:
    """Run the stock ``nbgrader`` command in the course directory."""
    return subprocess.run(
        [str(BIN / "nbgrader"), *args], cwd=course.root, capture_output=True, text=True, check=True,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(course.root)},
    )


def sheet_rows(course: Course, choices: dict[str, dict[str, str]]) -> list[tuple[str, str, str]]:
    """Answer-sheet rows from {peserta: {item_id: letter}}."""
    return [(p, item, letter) for p, answers in choices.items() for item, letter in answers.items()]


def grade(course: Course, choices: dict[str, dict[str, str]], tmp: Path) -> None:
    sheet = write_sheet(sheet_rows(course, choices), tmp / "sheet.csv")
    import_answers(sheet, course)
    nbapi = api(course)
    for peserta, assignment in sorted({(p, course.item_bank[i].assignment) for p, a in choices.items() for i in a}):
        check(nbapi.autograde(assignment, peserta, force=True, create=True), f"autograde {peserta}")


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.exists():
        pytest.fail(f"module text missing at {SEED}")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def course(tmp_path) -> Course:
    return copy_course(tmp_path / "course")


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> Course:
    """A course whose release has been generated; treat as read-only."""
    return built_once(tmp_path_factory, "released", _release)


@pytest.fixture
def released_copy(released, tmp_path) -> Course:
    """A private, writable copy of the released course (gradebook included)."""
    return clone(released, tmp_path / "course")


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """Participants who chose the key, nothing, or one letter for every item; graded by stock nbgrader."""
    return built_once(tmp_path_factory, "graded", lambda dest: _grade_everyone(tmp_path_factory, dest))


def _grade_everyone(tmp_path_factory, dest: Path) -> None:
    shutil.copytree(built_once(tmp_path_factory, "released", _release).root, dest)
    course = Course.at(dest)
    root = course.root.parent
    bank = course.item_bank
    choices = {"kunci": {i.id: i.key for i in bank}}
    for letter in LETTERS:
        choices[f"semua-{letter}"] = {i.id: letter for i in bank}
    grade(course, choices, root)
    # "kosong": hands in the release exactly as fetched, nothing clicked
    nbapi = api(course)
    for assignment in ("bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"):
        shutil.copytree(course.release / assignment, course.submission_dir("kosong", assignment))
        check(nbapi.autograde(assignment, "kosong", force=True, create=True), "autograde kosong")


@pytest.fixture(scope="session")
def live_hub(tmp_path_factory):
    """A running JupyterHub with the live service, 40 participants and one instructor (tests/livehub.py)."""
    from tests.livehub import LiveHub

    root = tmp_path_factory.mktemp("livehub")
    hub = LiveHub(root, copy_course(root / "course").root)
    try:
        hub.start()
        hub.participant_tokens = hub.participants(40)
        hub.instructor_token = hub.instructor()
        yield hub
    finally:
        hub.stop()


# --- hostile and tampered submissions (tests/test_hostile.py, test_tampering.py, test_sandbox.py) ---


def submitted_notebook(course: Course, student: str, assignment: str) -> Path:
    return course.submission_dir(student, assignment) / f"{assignment}.ipynb"


def edit_submission(course: Course, student: str, assignment: str, edit) -> None:
    """Change `student`'s submitted notebook with `edit(nb)` (an nbformat v4 notebook)."""
    import nbformat

    path = submitted_notebook(course, student, assignment)
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


def add_code(course: Course, student: str, assignment: str, source: str, at: int = 3) -> None:
    """Insert a code cell the participant wrote into their submission."""
    import nbformat

    edit_submission(course, student, assignment, lambda nb: nb.cells.insert(at, nbformat.v4.new_code_cell(source)))


def release_code(course: Course, assignment: str, source: str, students=None) -> None:
    """Test only: the instructor's release gets a code cell, so a graded kernel runs it (graded kernels
    run release code only, latsar.grading.sanitize).  Submissions hold the same cell, as a fetched release would."""
    import nbformat

    path = course.release_notebook(assignment)
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)
    for folder in sorted(course.submitted.glob(f"*/{assignment}")):
        if students is None or folder.parent.name in students:
            add_code(course, folder.parent.name, assignment, source)


def without_release_check(base=None):
    """Test only: ``base`` config with the sanitising step removed, as if it had been bypassed (the sandbox stays)."""
    from nbgrader.converters.autograde import Autograde
    from traitlets.config import Config

    from latsar.grading.preprocessors import RepairGradeIds
    from latsar.grading.sanitize import NoteTampering

    config = base if base is not None else Config()
    config.Autograde.sanitize_preprocessors = [
        RepairGradeIds, NoteTampering, *Autograde.class_traits()["sanitize_preprocessors"].default()]
    return config


def option_buttons(box) -> dict:
    """The answer buttons of a :func:`latsar.kernel.answers.choice_widget`, by letter."""
    return dict(zip(LETTERS, box.children[0].children))


def click(item_id: str, folder: Path, letter: str, options=None):
    """What a participant's click does: show the item's buttons in ``folder`` and click ``letter``."""
    from latsar.kernel.answers import choice_widget

    box = choice_widget(item_id, folder, options)
    option_buttons(box)[letter].click()
    return box


def participant_form(course: Course, student: str, assignment: str) -> dict[str, tuple[str, str]]:
    """The form ``student`` is shown in ``assignment`` (at that assignment's attempt: the pre-test's
    is 0, a retake's 2): {slot: (variant id, order)}."""
    from latsar.grading.forms import slot_variants
    from latsar.kernel.forms import form

    return form(student, assignment, slot_variants(course.item_bank, assignment), attempt_of(assignment))


def attempt_of(assignment: str) -> int:
    from latsar.course import assignment_attempt

    attempt = assignment_attempt(assignment)[1]
    return 1 if attempt is None else attempt


def click_on_form(course: Course, student: str, assignment: str, folder: Path, pick) -> dict[str, str]:
    """What ``student`` does in ``folder``: each item shown on their form, the letter ``pick(variant, order)``
    clicked (a shown letter; None skips the item).  Returns the shown letters clicked by slot."""
    from latsar.authoring.notebooks import item_options
    from latsar.kernel.answers import choice_widget

    clicked = {}
    for slot, (variant, order) in participant_form(course, student, assignment).items():
        item = course.item_bank.variant(variant)
        letter = pick(item, order)
        if letter is None:
            continue
        box = choice_widget(slot, folder, item_options(item), variant=variant, order=order)
        option_buttons(box)[letter].click()
        clicked[slot] = letter
    return clicked


def key_as_shown(item, order: str) -> str:
    """The letter under which ``item``'s key is shown in ``order``."""
    return LETTERS[order.index(item.key)]


def click_scores(course: Course, student: str, assignment: str) -> dict[str, float]:
    """What `student`'s clicks (the submitted .jawaban.json) earn per item: the true score."""
    from latsar.kernel.answers import AnswerStore

    from latsar.grading.forms import assigned_form

    answers = AnswerStore(course.submission_dir(student, assignment)).records()
    form = assigned_form(course.root, course.item_bank, student, assignment, attempt_of(assignment))
    bank = course.item_bank
    return {i.id: float(i.points) if i.id in answers and answers[i.id].variant == form[i.id][0]
            and answers[i.id].choice == bank.variant(form[i.id][0]).key else 0.0 for i in bank.for_assignment(assignment)}


def tree_hashes(*roots: Path, skip=lambda path: False) -> dict[str, str]:
    """sha256 of every file (and the set of folders) under `roots`: a snapshot to compare."""
    import hashlib

    found = {}
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if skip(path):
                continue
            if path.is_symlink() or not path.is_file():
                found[str(path)] = "dir" if path.is_dir() else "other"
            else:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found

@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server: $LATSAR_TEST_PG_URL (an admin URL), else a throw-away cluster (tests/pg.py).

    Never skipped: without PostgreSQL the tests fail and say how to install it."""
    from .pg import Cluster, Server

    url = os.environ.get("LATSAR_TEST_PG_URL")
    if url:
        yield Server(url)
        return
    try:
        cluster = Cluster()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.fail(f"no PostgreSQL for the tests ({exc} {detail.decode(errors='replace')}); "
                    "apt-get install -y postgresql, or set LATSAR_TEST_PG_URL")
    try:
        yield Server(cluster.admin_url)
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a fresh, empty database, dropped after the test."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


# -- markers: `make check` runs what is not e2e, hub, pg or slow, for the edit-test loop -------------

#: Test modules by what they need or cost (e2e: a browser on a real hub; hub: a JupyterHub process;
#: pg: a PostgreSQL server; slow: many kernels or a full pipeline).  Measured with --durations.
MARKS = {
    "hub": {"test_live_hub", "test_hub", "test_hub_kernels", "test_hub_start", "test_prestart", "test_live_widget", "test_live_browser", "test_live_on_latsar_hub"},
    "pg": {"test_postgres"},
    "slow": {"test_crash", "test_hostile", "test_demo", "test_sandbox", "test_autograde", "test_tampering",
             "test_key_safety", "test_grading", "test_export", "test_report_cli", "test_grading_safety",
             "test_collect_forgery", "test_free_text_html", "test_exchange", "test_forms_grading"},
}


#: Test modules by cost, heaviest first (from ``pytest --durations``; docs/testing.md).  With
#: ``--dist loadfile`` xdist hands out modules in collection order, so starting the long ones
#: first keeps one worker from finishing a long module alone at the end.
HEAVIEST_FIRST = ["test_autograde", "test_crash", "test_grading_safety", "test_exchange", "test_hub_course",
                  "test_key_safety", "test_sandbox", "test_postgres", "test_demo", "test_grading",
                  "test_collect_forgery", "test_hostile", "test_tampering", "test_free_text_html",
                  "test_live_on_latsar_hub", "test_attacker", "test_hub_cli", "test_hub", "test_export"]


def pytest_collection_modifyitems(config, items):
    rank = {name: n for n, name in enumerate(HEAVIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: a module's order is kept
    for item in items:
        module = item.path.stem
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
        for mark, modules in MARKS.items():
            if module in modules:
                item.add_marker(getattr(pytest.mark, mark))
