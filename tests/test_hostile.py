"""A hostile cohort in one batch: every kind of bad submission, next to honest participants.

For each kind: the batch finishes; the hostile participant gets what their
clicks earn (or fails with a reason, and no points); the honest participants
get exactly what their clicks earn; and no file outside the sandboxes' working
folders changes (the course, the other submissions, the instructor's home).
"""

import json
import socket

import nbformat
import pytest

from latsar.grading import batch as autograde
from latsar.grading.options import grading_config
from latsar.results import scores
from latsar.grading.import_answers import import_answers
from latsar.authoring.itembank import LETTERS
from latsar.simulate import write_sheet

from .conftest import (add_code, click_scores, edit_submission, submitted_notebook, tree_hashes,
                       without_release_check)

BAB2, BAB3 = "bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"
HONEST = ("jujur-1", "jujur-2", "jujur-3")
LIMITS = {"cpu_seconds": 8, "memory_mb": 1024, "max_processes": 48, "max_output_bytes": 200_000,
          "max_notebook_mb": 20, "max_file_mb": 4}


def code(course, student, source):
    add_code(course, student, BAB2, source.replace("@ROOT@", str(course.root)).replace("@HOME@", _home(course)))


def _home(course):
    return str(course.root.parent / "pengampu")


def raw(course, student, data: bytes):
    submitted_notebook(course, student, BAB2).write_bytes(data)


def delete_cell(course, student, grade_id):
    def edit(nb):
        nb.cells[:] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    edit_submission(course, student, BAB2, edit)


def duplicate_cell(course, student, grade_id):
    def edit(nb):
        i = next(n for n, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        twin = nbformat.from_dict(json.loads(json.dumps(nb.cells[i])))
        twin.id = "kembar"
        twin.source = "print('kembar')"
        nb.cells.insert(i, twin)
    edit_submission(course, student, BAB2, edit)


def set_points(course, student, points):
    def edit(nb):
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade"):
                c.metadata.nbgrader.points = points
    edit_submission(course, student, BAB2, edit)


def fifty_mb(course, student):
    nb = nbformat.read(submitted_notebook(course, student, BAB2), as_version=4)
    cell = nbformat.v4.new_code_cell("print('besar')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (50 * 2**20))]
    nb.cells.append(cell)
    nbformat.write(nb, submitted_notebook(course, student, BAB2))


def other_assignment(course, student):
    submitted_notebook(course, student, BAB2).write_bytes((course.release_notebook(BAB3)).read_bytes())


def nbformat3(course, student):
    raw(course, student, json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                     "worksheets": [{"cells": [{"cell_type": "code", "input": "1",
                                                                "outputs": [], "language": "python"}]}]}).encode())


# kind -> (how to build it, outcome): outcome "graded" (on the clicks), "failed:<words in the reason>",
# or "either" (graded on the clicks, or failed with a reason)
CORPUS = {
    "endless-loop": (lambda c, s: code(c, s, "while True:\n    pass"), "graded"),
    "print-flood": (lambda c, s: code(c, s, "while True:\n    print('banjir ' * 100)"), "graded"),
    "fork-bomb": (lambda c, s: code(c, s, "import os\nwhile True:\n    try:\n        os.fork()\n"
                                          "    except OSError:\n        pass"), "either"),
    "memory-bomb": (lambda c, s: code(c, s, "x = []\nwhile True:\n    x.append(bytearray(10**7))"), "graded"),
    "thread-bomb": (lambda c, s: code(c, s, "import threading, time\nfor _ in range(10000):\n"
                                            "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"),
                    "either"),
    "cpu-burn-uninterruptible": (lambda c, s: code(c, s, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                                         "while True:\n    pass"), "failed:batas waktu sel"),
    "write-gradebook": (lambda c, s: code(c, s, "import sqlite3\ncon = sqlite3.connect('@ROOT@/gradebook.db')\n"
                                                "con.execute('UPDATE grade SET auto_score = 1')\ncon.commit()"), "graded"),
    "delete-course": (lambda c, s: code(c, s, "import shutil, os\nfor p in ['source', 'course_data', 'submitted', "
                                              "'release', 'nbgrader_config.py', 'gradebook.db']:\n"
                                              "    shutil.rmtree('@ROOT@/' + p, ignore_errors=True)\n"
                                              "    try:\n        os.remove('@ROOT@/' + p)\n    except OSError:\n"
                                              "        pass\nshutil.rmtree('@HOME@', ignore_errors=True)"), "graded"),
    "read-key": (lambda c, s: code(c, s, "import yaml, json\nbank = yaml.safe_load(open('@ROOT@/course_data/item_bank.yaml'))\n"
                                         "keys = {i['id']: i['key'] for i in bank['items']}\n"
                                         "json.dump({'format': 'latsar-jawaban/1', 'answers': keys}, open('.jawaban.json', 'w'))"),
                 "graded"),
    "read-source": (lambda c, s: code(c, s, "import glob\nprint(open(glob.glob('@ROOT@/source/*/*.ipynb')[0]).read()[:100])\n"
                                            "print(open('@HOME@/rahasia.txt').read())"), "graded"),
    "rewrite-answers": (lambda c, s: code(c, s, "from latsar.answers import write_answers\n"
                                                "write_answers('.', {f'MP1-{n:02d}': l for n in range(1, 11) for l in 'abcd'})"),
                        "graded"),
    "patch-check": (lambda c, s: code(c, s, "import latsar.answers\nlatsar.answers.check = lambda *a, **k: None"), "graded"),
    "shadow-module": (lambda c, s: _shadow(c, s), "graded"),
    "touch-others": (lambda c, s: code(c, s, "import glob, json\nfor p in glob.glob('@ROOT@/*/*/*/.jawaban.json'):\n"
                                             "    json.dump({'answers': {}}, open(p, 'w'))"), "graded"),
    "network": (lambda c, s: code(c, s, "import socket\ns = socket.create_connection(('127.0.0.1', @PORT@), timeout=3)\n"
                                        "s.sendall(b'bocor')"), "graded"),
    "os-exit": (lambda c, s: code(c, s, "import os\nos._exit(3)"), "failed:menghentikan kernel"),
    "kill-kernel": (lambda c, s: code(c, s, "import os, signal\nfor pid in (0, -1, os.getpid()):\n"
                                            "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass"),
                    "either"),
    "huge-output": (lambda c, s: code(c, s, "print('x' * 30_000_000)\nfrom IPython.display import HTML, display\n"
                                            "display(HTML('<b>' * 3_000_000))"), "graded"),
    "big-file": (lambda c, s: code(c, s, "open('besar.bin', 'wb').write(b'0' * (64 * 2**20))"), "graded"),
    "delete-test-cell": (lambda c, s: delete_cell(c, s, "MP1-04"), "graded"),
    "duplicate-cell": (lambda c, s: duplicate_cell(c, s, "MP1-05"), "graded"),
    "points-100": (lambda c, s: set_points(c, s, 100), "graded"),
    "other-assignment": (other_assignment, "failed:milik tugas"),
    "invalid-json": (lambda c, s: raw(c, s, b'{"cells": [ bukan json'), "failed:bukan JSON"),
    "empty-file": (lambda c, s: raw(c, s, b""), "failed:kosong"),
    "nbformat-3": (nbformat3, "failed:versi 3"),
    "non-utf8": (lambda c, s: raw(c, s, b'{"cells": [], "metadata": {"x": "\xff\xfe"}, "nbformat": 4}'), "failed:UTF-8"),
    "fifty-mb": (fifty_mb, "failed:terlalu besar"),
}


def _shadow(course, student):
    """A `latsar` package of their own beside the notebook, and code that makes Python load it."""
    folder = course.submission_dir(student, BAB2) / "latsar"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "answers.py").write_text("def choose(i):\n    pass\n\ndef check(i, key=None):\n    pass\n")
    code(course, student, "import sys\nfor m in [m for m in sys.modules if m.startswith('latsar')]:\n    del sys.modules[m]")


def answers_for(course, student: str, n: int) -> dict[str, str]:
    """Every hostile participant clicks only wrong letters (so any smuggled point shows); honest ones vary."""
    items = course.item_bank.for_assignment(BAB2)
    if student.startswith("jujur"):
        return {i.id: LETTERS[(k + n) % 4] for k, i in enumerate(items)}
    return {i.id: next(letter for letter in LETTERS if letter != i.key) for i in items}


@pytest.fixture
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


def received(listener) -> bytes:
    """What reached the test's listening socket.  Other tests' hubs on this machine may probe a
    port they once picked and freed, so only the network probe's own bytes count as a leak."""
    data = b""
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return data
        with conn:
            conn.settimeout(1)
            try:
                data += conn.recv(64)
            except OSError:
                pass


def test_hostile_corpus_in_one_batch(released_copy, listener, monkeypatch):
    assert len(CORPUS) >= 20
    course = released_copy
    home = course.root.parent / "pengampu"
    home.mkdir()
    (home / "rahasia.txt").write_text("kata sandi pengampu")
    (home / ".ipython").mkdir()  # the grader itself (nbconvert, outside any sandbox) makes it on first use
    monkeypatch.setenv("HOME", str(home))  # the workers' (and so the instructor's) home
    port = listener.getsockname()[1]
    hostile = {f"h{n:02d}-{kind}": kind for n, kind in enumerate(CORPUS)}
    students = [*HONEST, *hostile]
    rows = [(s, item, letter) for n, s in enumerate(students) for item, letter in answers_for(course, s, n).items()]
    import_answers(write_sheet(rows, course.root.parent / "sheet.csv"), course)
    for student, kind in hostile.items():
        build, _ = CORPUS[kind]
        build(course, student)
    for student in hostile:  # the network probe needs the port
        path = submitted_notebook(course, student, BAB2)
        if b"@PORT@" in path.read_bytes():
            path.write_text(path.read_text(encoding="utf-8").replace("@PORT@", str(port)), encoding="utf-8")
    clicks = {s: click_scores(course, s, BAB2) for s in students}

    def outside(path):  # what grading itself writes: the autograded folders and the gradebook
        return path == course.autograded or course.autograded in path.parents or path.name.startswith("gradebook.db")

    before = tree_hashes(course.root, home, skip=outside)
    # as if every hostile cell got past the release check: the sandbox alone must hold (defence in depth)
    batch = autograde.run(course, without_release_check(grading_config(workers=2, cell_timeout=2, notebook_timeout=25, sandbox=LIMITS)), assignments=[BAB2])
    after = tree_hashes(course.root, home, skip=outside)

    assert before == after, "a file outside the sandboxes changed"
    assert b"bocor" not in received(listener), "a kernel reached the grader's network"
    by = {o.student: o for o in batch.outcomes}
    assert set(by) == set(students)  # the batch finished, everyone has an outcome
    grades = scores.grade_cells(course)
    print("\n".join(f"{hostile.get(s, 'jujur')}: {by[s].status} — {by[s].reason}" for s in students))
    for student in students:
        outcome = by[student]
        kind = hostile.get(student, "jujur")
        expected = "graded" if kind == "jujur" else CORPUS[kind][1]
        earned = {item: grades.get((student, BAB2, item), (None,))[0] for item in clicks[student]}
        if outcome.status == "failed":
            assert expected.startswith("failed") or expected == "either", (kind, outcome)
            assert outcome.reason, kind
            if expected.startswith("failed:"):
                assert expected[len("failed:"):] in outcome.reason, (kind, outcome.reason)
            assert not any(earned.values()), (kind, earned)  # 0 with a reason
        else:
            assert expected in ("graded", "either"), (kind, outcome)
            assert earned == clicks[student], (kind, earned, clicks[student])
            if kind == "jujur":
                assert outcome.status == "graded", outcome
            else:
                assert outcome.status == "flagged" and outcome.reason, (kind, outcome)
    # what the smuggling attempts would have bought shows in the reasons
    assert "dikoreksi ke skor klik" in by["h11-patch-check"].reason
    assert "berkas tambahan di kiriman: latsar/__init__.py" in by["h12-shadow-module"].reason
    assert "keluaran notebook melebihi batas" in by["h01-print-flood"].reason
    assert "MP1-04" in by["h19-delete-test-cell"].reason and "MP1-05" in by["h20-duplicate-cell"].reason
    assert "'points'" in by["h21-points-100"].reason
