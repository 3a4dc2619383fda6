"""Grading never runs participant code, on every path, and the sandbox fails closed.

- Stock ``nbgrader autograde`` (configured only through nbgrader_config.py) and
  ``latsar autograde`` give the same grades and the same *perlu diperiksa* list,
  on honest and on tampered submissions.
- A cell that prints the input history and every notebook of its folder leaks
  no key into the participant's feedback (and the contrast: with the sanitising
  step removed, the same cell does leak it — the test measures something).
- A listening Unix socket a real non-root OS account left in ``/run/lock`` is
  unreachable from a graded kernel (reachable without the sandbox).
- Isolation that cannot be built makes grading refuse with the Indonesian
  message, on both paths; less isolation only when asked by name.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from click.testing import CliRunner

from latsar.grading import batch as autograde
from latsar.grading.options import grading_config
from latsar.grading import sandbox
from latsar.results import scores
from latsar.cli import main
from latsar.grading.import_answers import import_answers
from latsar.simulate import write_sheet

from .conftest import (BIN, REPO, add_code, clone, release_code, released_course, submitted_notebook,
                       without_release_check)

BAB2, BAB3 = "bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"
PATCH = "import latsar.answers\nlatsar.answers.check = lambda *a, **k: None"
LEAK = """import glob, os
print("RIWAYAT", list(In), _ih)
for path in glob.glob("*.ipynb") + glob.glob("**/*.ipynb", recursive=True):
    print("BERKAS", path, open(path).read())
"""


def stock(course, *args, env=None):
    """Stock nbgrader in the course folder (no check: the caller looks at the outcome)."""
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=course.root, capture_output=True, text=True,
                          env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(course.root), **(env or {})})


def unanswered(course, student, assignment=BAB2):
    """`student` hands in the release exactly as fetched: nothing clicked."""
    shutil.copytree(course.release / assignment, course.submission_dir(student, assignment))


def pinned_calls(course) -> list[str]:
    """The gradebook's hidden-test calls: every variant's key of each slot."""
    bank = course.item_bank
    return [f'check("{i.id}", keys={{' + ", ".join(f'"{v.id}": "{v.key}"' for v in bank.slots[i.id]) + "}"
            for i in bank]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Honest and tampered bab2 submissions, released and imported."""
    course = released_course(tmp_path_factory, "safety")
    items = course.item_bank.for_assignment(BAB2)
    wrong = {i.id: next(x for x in "abcd" if x != i.key) for i in items}
    half = {i.id: (i.key if n % 2 else wrong[i.id]) for n, i in enumerate(items)}
    rows = [(s, item, letter) for s, answers in
            {"jujur": half, "jujur-semua": {i.id: i.key for i in items}, "t-tambah": wrong, "t-ubah": half,
             "t-berkas": wrong}.items() for item, letter in answers.items()]
    import_answers(write_sheet(rows, course.root.parent / "sheet.csv"), course)
    unanswered(course, "t-kosong-tambal")
    add_code(course, "t-kosong-tambal", BAB2, PATCH)
    add_code(course, "t-tambah", BAB2, PATCH + "\nfrom latsar.answers import write_answers\n"
             "write_answers('.', {f'MP1-{n:02d}': 'a' for n in range(1, 11)})")

    def edit_activity(nb):  # an activity cell (read-only, not an nbgrader cell) rewritten
        cell = next(c for c in nb.cells if "activity" in c.metadata.get("tags", []))
        cell.source = "print(open('.jawaban.json').read())"
    nb = nbformat.read(submitted_notebook(course, "t-ubah", BAB2), as_version=4)
    edit_activity(nb)
    nbformat.write(nb, submitted_notebook(course, "t-ubah", BAB2))
    shadow = course.submission_dir("t-berkas", BAB2) / "latsar"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    (shadow / "answers.py").write_text("def choose(i):\n    pass\n\ndef check(i, key=None):\n    pass\n")
    return course


TAMPERED = {"t-kosong-tambal": "1 sel kode tambahan dihapus", "t-tambah": "1 sel kode tambahan dihapus",
            "t-ubah": "dikembalikan ke versi rilis", "t-berkas": "berkas tambahan dipindahkan"}


def test_stock_and_latsar_autograde_give_identical_grades_and_flags(cohort, tmp_path):
    by_stock = clone(cohort, tmp_path / "stock")
    result = stock(by_stock, "autograde", BAB2)
    assert result.returncode == 0, result.stderr[-3000:]
    ours = clone(cohort, tmp_path / "ours")
    batch = autograde.run(ours, grading_config(workers=2), assignments=[BAB2])
    assert not batch.failed and batch.sandbox == ("root" if os.geteuid() == 0 else "userns")

    grades = scores.grade_cells(by_stock)
    assert grades == scores.grade_cells(ours)
    assert len(grades) == 6 * 10
    from .conftest import click_scores

    for student in ("jujur", "jujur-semua", "t-tambah", "t-ubah", "t-berkas"):  # t-kosong-tambal: no clicks
        earned = {item: grades[(student, BAB2, item)][0] for item in click_scores(by_stock, student, BAB2)}
        assert earned == click_scores(by_stock, student, BAB2), student
    assert not any(grades[("t-kosong-tambal", BAB2, i.id)][0] for i in cohort.item_bank.for_assignment(BAB2))
    # the same submissions flagged, for the same reasons, whichever path graded
    for course in (by_stock, ours):
        review = scores.review(course)
        assert set(review["peserta_id"]) == set(TAMPERED), review
        for row in review.itertuples(index=False):
            assert TAMPERED[row.peserta_id] in row.alasan, row
        assert review.attrs["sandbox"] == {batch.sandbox: 6}
    by = {o.student: o for o in batch.outcomes}
    assert all(by[s].status == "flagged" and TAMPERED[s] in by[s].reason for s in TAMPERED)
    # set aside for the instructor, outside every kernel's reach; gone from the kernel's folder
    for course in (by_stock, ours):
        aside = course.root / "disisihkan"
        assert "latsar.answers.check = lambda" in (aside / "t-kosong-tambal" / BAB2 / f"{BAB2}.sel-kode.txt").read_text()
        assert (aside / "t-berkas" / BAB2 / "berkas" / "latsar" / "answers.py").is_file()
        assert not (course.autograded_dir("t-berkas", BAB2) / "latsar").exists()
        assert (course.submission_dir("t-berkas", BAB2) / "latsar" / "answers.py").is_file()  # submission kept
        graded = nbformat.read(course.autograded_dir("t-tambah", BAB2) / f"{BAB2}.ipynb", as_version=4)
        assert not any("write_answers" in c.source for c in graded.cells)


def _keys_in(text: str, course) -> list[str]:
    return ([m for m in re.findall(r'key="[a-d]"|keys=\{|"MP[12]-\d\d(?:-v\d)?": "[a-d]"', text)]
            + [c for c in pinned_calls(course) if c in text])


def test_feedback_shows_only_what_the_release_had(cohort, tmp_path):
    course = clone(cohort, tmp_path / "umpan")
    unanswered(course, "pembocor")
    add_code(course, "pembocor", BAB2, LEAK, at=10_000)  # last: after every hidden test ran
    assert stock(course, "autograde", BAB2, "--student", "pembocor").returncode == 0
    result = stock(course, "generate_feedback", BAB2, "--student", "pembocor")
    assert result.returncode == 0, result.stderr[-2000:]
    page = (course.root / "feedback" / "pembocor" / BAB2 / f"{BAB2}.html").read_text(encoding="utf-8")
    assert ">Soal 1</a>" in page  # the feedback is there …
    assert "MP1-01" not in re.sub(r"<[^>]*>", "", page)  # … naming items by number: no id in its text
    assert _keys_in(page, course) == [] and "RIWAYAT" not in page
    assert "NotAnswered" not in page and "most recent call last" not in page  # no traceback
    graded = nbformat.read(course.autograded_dir("pembocor", BAB2) / f"{BAB2}.ipynb", as_version=4)
    item_cells = [c for c in graded.cells if c.metadata.get("latsar", {}).get("part") == "answer"]
    outputs = json.dumps([c.get("outputs", []) for c in graded.cells])
    assert "RIWAYAT" not in outputs
    # an item's own failed check shows its pinned call in its traceback: the instructor's autograded
    # copy only (the feedback above replaces that cell); every other output is key-free
    printed = "".join(json.dumps(o) for c in graded.cells for o in c.get("outputs", [])
                      if c not in item_cells or o.get("output_type") != "error").replace('\\"', '"')
    assert _keys_in(printed, course) == []
    others = "".join(c.source for c in graded.cells if c not in item_cells)
    assert _keys_in(others, course) == []
    assert not list((course.root / "feedback" / "pembocor" / BAB2).glob(".latsar-*"))


def test_contrast_without_the_release_check_the_history_cell_leaks(cohort, tmp_path):
    """Shows the test above measures something: the same cell, run, prints the pinned keys."""
    course = clone(cohort, tmp_path / "bocor")
    unanswered(course, "pembocor")
    add_code(course, "pembocor", BAB2, LEAK, at=10_000)
    autograde.run(course, without_release_check(grading_config(workers=1)), assignments=[BAB2], students=["pembocor"])
    assert stock(course, "generate_feedback", BAB2, "--student", "pembocor").returncode == 0
    page = (course.root / "feedback" / "pembocor" / BAB2 / f"{BAB2}.html").read_text(encoding="utf-8")
    assert "RIWAYAT" in page and _keys_in(page, course)


# --- the sandbox: no channel out, fails closed ----------------------------------------------

LISTENER = r'''
import os, socket, sys
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX)
server.bind(path)
os.chmod(path, 0o777)  # anyone may connect: the attacker wants the kernel to
server.listen(5)
print("siap", flush=True)
while True:
    conn, _ = server.accept()
    data = conn.recv(64)
    print("DITERIMA", data.decode(errors="replace"), flush=True)
    conn.close()
'''

PROBE = r'''
import socket
for path in @PATHS@:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        s.sendall(b"bocor")
        print("TERSAMBUNG", path)
    except OSError as exc:
        print("DITOLAK", path, type(exc).__name__)
'''


@pytest.fixture
def account():
    """A real non-root OS account (a participant's), deleted afterwards."""
    name = f"grsafe{os.getpid() % 100000}"
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name], check=True, capture_output=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def probe_output(course, student, assignment=BAB2) -> str:
    graded = nbformat.read(course.autograded_dir(student, assignment) / f"{assignment}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))


def test_a_socket_left_in_run_lock_by_another_account_is_unreachable(cohort, tmp_path, account):
    sockets = [f"/run/lock/{account.pw_name}.sock"]
    listener = subprocess.Popen([sys.executable, "-c", LISTENER, sockets[0]], user=account.pw_uid,
                                group=account.pw_gid, stdout=subprocess.PIPE, text=True, cwd="/")
    try:
        assert listener.stdout.readline().strip() == "siap"
        probe = PROBE.replace("@PATHS@", repr(sockets + [p.replace("/run/lock", "/var/lock") for p in sockets]))
        results = {}
        for mode in ("auto", "none"):
            course = clone(cohort, tmp_path / f"c-{mode}")
            release_code(course, BAB2, probe)
            batch = autograde.run(course, grading_config(workers=1, sandbox={"mode": mode}), assignments=[BAB2], students=["jujur"])
            assert batch.outcomes[0].status == "graded", batch.outcomes
            results[mode] = probe_output(course, "jujur")
        assert "TERSAMBUNG" not in results["auto"] and results["auto"].count("DITOLAK") == 2, results["auto"]
        # the contrast: without the sandbox (asked for by name) the same cell reaches the listener
        assert f"TERSAMBUNG {sockets[0]}" in results["none"], results["none"]
    finally:
        listener.kill()
        received = listener.communicate()[0]
        for path in sockets:
            if os.path.exists(path):
                os.unlink(path)
    assert received.count("DITERIMA bocor") == 2  # only the two unsandboxed attempts arrived


def test_a_sandbox_that_cannot_be_built_refuses_on_both_paths(cohort, tmp_path, monkeypatch):
    course = clone(cohort, tmp_path / "tolak")
    monkeypatch.setattr(sandbox, "_proven", set())  # this process proved a sandbox before: forget it
    monkeypatch.setenv("LATSAR_FAILPOINT", "fail:sandbox-overlay")  # overlayfs "missing"
    with pytest.raises(autograde.GradingRefused, match="Penilaian ditolak: sandbox kernel tidak dapat dibuat"):
        autograde.run(course, grading_config(workers=1), assignments=[BAB2])
    result = CliRunner().invoke(main, ["autograde", BAB2, "--course", str(course.root)], terminal_width=200)
    assert result.exit_code == 1 and "Penilaian ditolak" in result.output and "--sandbox none" in result.output
    assert not course.autograded.exists() or not any(course.autograded.iterdir())
    by_stock = stock(course, "autograde", BAB2, "--student", "jujur", env={"LATSAR_FAILPOINT": "fail:sandbox-overlay"})
    assert by_stock.returncode != 0
    assert "Penilaian ditolak: sandbox kernel tidak dapat dibuat" in by_stock.stdout + by_stock.stderr
    assert "overlay" in by_stock.stdout + by_stock.stderr
    assert not (course.autograded_dir("jujur", BAB2) / f"{BAB2}.ipynb").exists()
    assert not [k for k, (auto, manual) in scores.grade_cells(course).items() if auto is not None]


def test_root_mode_asked_for_without_root_refuses(account):
    code = ("from latsar.grading.sandbox import Sandbox, SandboxError\n"
            "try:\n    Sandbox(mode='root').require()\nexcept SandboxError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code], user=account.pw_uid, group=account.pw_gid,
                            capture_output=True, text=True, cwd="/", env={"PATH": "/usr/bin:/bin"})
    assert "Penilaian ditolak" in result.stdout
    assert "tidak berjalan sebagai root" in result.stdout, result


def test_less_isolation_only_by_name_and_always_named(cohort, tmp_path):
    course = clone(cohort, tmp_path / "tanpa")
    args = ["autograde", BAB2, "--course", str(course.root), "--student", "jujur"]
    result = CliRunner().invoke(main, [*args, "--sandbox", "none"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "mode sandbox" in result.output and "TANPA sandbox" in result.output
    out = tmp_path / "laporan"
    result = CliRunner().invoke(main, ["report", "--course", str(course.root), "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "mode sandbox penilaian: none (1 kiriman)" in result.output
    assert "TANPA isolasi" in (out / "laporan_kohort.html").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, [*args, "--force"], terminal_width=200)
    assert result.exit_code == 0 and "root (isolasi penuh" in result.output


def test_stock_autograde_confines_kernels_like_latsar(cohort, tmp_path):
    """The hidden paths come from ForkingExecute's own config: the course, the gradebook file and an
    exchange outside the course (LATSAR_EXCHANGE) are out of a stock-graded kernel's reach."""
    course = clone(cohort, tmp_path / "stok")
    exchange = tmp_path / "pertukaran"
    (exchange / "latsar-pelayanan" / "inbound").mkdir(parents=True)
    (exchange / "latsar-pelayanan" / "inbound" / "kiriman.txt").write_text("milik orang lain")
    # ... and the checkout latsar is installed from (editable), which holds the same bank (its
    # world-readable pyproject.toml stands for it: a hub may have closed its course_data already)
    targets = [str(course.root / "course_data" / "item_bank.yaml"), str(course.root / "gradebook.db"),
               str(exchange / "latsar-pelayanan" / "inbound" / "kiriman.txt"), str(REPO / "pyproject.toml")]
    release_code(course, BAB2, "import os\nprint('UID', os.getuid())\n"
                 f"for path in {targets!r}:\n    try:\n        open(path, 'rb').read(1)\n"
                 "        print('TERBACA', path)\n    except OSError as exc:\n        print('TERTUTUP', type(exc).__name__)",
                 students=["jujur"])
    result = stock(course, "autograde", BAB2, "--student", "jujur", env={"LATSAR_EXCHANGE": str(exchange)})
    assert result.returncode == 0, result.stderr[-2000:]
    text = probe_output(course, "jujur")
    assert "TERBACA" not in text and text.count("TERTUTUP") == 4, text
    if os.geteuid() == 0:
        assert int(text.split("UID")[1].split()[0]) >= sandbox.Sandbox().uid_base
    assert json.loads((course.autograded_dir("jujur", BAB2) / ".latsar-periksa.json").read_text())["sandbox"] == \
        ("root" if os.geteuid() == 0 else "userns")
