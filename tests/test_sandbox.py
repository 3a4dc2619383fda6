"""What a kernel in the sandbox can and cannot do, measured from inside a real autograde kernel.

One probe cell records every attempt as JSON in its output; the same probe
runs in each isolating mode this machine offers (as root: "root", and the
unprivileged "userns" path, which root can run too) and, for contrast,
without the sandbox, where the same attempts succeed.
"""

import json
import os
import socket

import nbformat
import pytest

from latsar.grading import batch as autograde
from latsar.grading.options import grading_config
from latsar.grading.import_answers import import_answers
from latsar.grading.sandbox import Sandbox, userns_available
from latsar.simulate import write_sheet

from .conftest import add_code, release_code, without_release_check

BAB2 = "bab2_konsep_pelayanan_publik"

PROBE = r'''
import json, os, socket, ctypes, resource
ROOT, HOME, OTHER, PORT = @ARGS@
seen = {}
def attempt(name, action):
    try:
        result = action()
        seen[name] = "ok" if result is None else result
    except BaseException as exc:
        seen[name] = type(exc).__name__
attempt("read_item_bank", lambda: open(ROOT + "/course_data/item_bank.yaml").read()[:10])
attempt("read_gradebook", lambda: open(ROOT + "/gradebook.db", "rb").read(16).hex())
attempt("list_source", lambda: os.listdir(ROOT + "/source"))
attempt("read_other_submission", lambda: open(OTHER + "/.jawaban.json").read())
attempt("read_home", lambda: open(HOME + "/rahasia.txt").read())
attempt("write_course", lambda: open(ROOT + "/bocor.txt", "w").write("x") and None)
attempt("write_tmp", lambda: open("/tmp/coba.txt", "w").write("x") and None)
attempt("write_workdir", lambda: open("coba.txt", "w").write("x") and None)
attempt("write_usr", lambda: open("/usr/coba.txt", "w").write("x") and None)
attempt("connect", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=2).close())
attempt("signal_grader", lambda: os.kill(os.getppid() or 1 << 22, 0))
attempt("umount", lambda: None if ctypes.CDLL(None, use_errno=True).umount2(ROOT.encode(), 2) == 0
        else os.strerror(ctypes.get_errno()))
attempt("check_without_key", lambda: __import__("latsar.answers").answers.check("MP1-01"))
seen["pids"] = len([p for p in os.listdir("/proc") if p.isdigit()])
seen["uid"] = os.getuid()
seen["limits"] = {n: resource.getrlimit(getattr(resource, "RLIMIT_" + n))[0] for n in ("CPU", "AS", "NPROC", "FSIZE")}
print(json.dumps(seen))
'''

MODES = (["root"] + (["userns"] if userns_available() else [])) if os.geteuid() == 0 else [Sandbox().resolved_mode()]


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """One course: participant 'penyelidik' runs the probe, 'lain' is someone else."""
    from .conftest import released_course

    course = released_course(tmp_path_factory, "sandbox")
    rows = [(s, i.id, i.key) for s in ("penyelidik", "lain") for i in course.item_bank.for_assignment(BAB2)]
    import_answers(write_sheet(rows, course.root.parent / "sheet.csv"), course)
    return course


def run_probe(course, tmp_path, mode, monkeypatch, **limits):
    from .conftest import clone

    course = clone(course, tmp_path / f"c-{mode}")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "rahasia.txt").write_text("rahasia")
    monkeypatch.setenv("HOME", str(home))
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    args = (str(course.root), str(home), str(course.submission_dir("lain", BAB2)), server.getsockname()[1])
    release_code(course, BAB2, PROBE.replace("@ARGS@", repr(args)), students=["penyelidik"])  # test only
    sandbox = {"enabled": False} if mode == "off" else {"mode": mode, **limits}
    batch = autograde.run(course, grading_config(workers=1, cell_timeout=20, notebook_timeout=120, sandbox=sandbox), assignments=[BAB2])
    server.close()
    outcome = next(o for o in batch.outcomes if o.student == "penyelidik")
    assert outcome.status == "graded", outcome  # release code: nothing to flag
    nb = nbformat.read(course.autograded_dir("penyelidik", BAB2) / f"{BAB2}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    return course, json.loads(text.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", MODES)
def test_kernel_reaches_nothing_outside_its_folder(probed, tmp_path, mode, monkeypatch):
    course, seen = run_probe(probed, tmp_path, mode, monkeypatch)
    for secret in ("read_item_bank", "read_gradebook", "list_source", "read_other_submission", "read_home"):
        assert seen[secret] in ("FileNotFoundError", "PermissionError"), (secret, seen[secret])
    assert seen["write_course"] in ("OSError", "PermissionError", "FileNotFoundError"), seen
    assert seen["write_usr"] in ("OSError", "PermissionError"), seen
    assert seen["write_workdir"] == "ok" and seen["write_tmp"] == "ok"
    # … but what it wrote went to a private layer, not to disk
    assert not (course.autograded_dir("penyelidik", BAB2) / "coba.txt").exists()
    assert not (course.root / "bocor.txt").exists()
    assert seen["connect"] == "OSError"  # no network, not even the grader's loopback
    assert seen["signal_grader"] in ("ProcessLookupError", "PermissionError")
    assert seen["umount"] != "ok"
    assert seen["check_without_key"] == "RuntimeError"  # no key to look up: the bank is hidden
    assert seen["pids"] < 10  # its own PID namespace
    assert seen["limits"] == {"CPU": 60, "AS": 2048 << 20, "NPROC": 64, "FSIZE": 16 << 20}
    if mode == "root":
        assert seen["uid"] >= Sandbox().uid_base


def test_without_the_sandbox_the_same_probe_reaches_everything(probed, tmp_path, monkeypatch):
    """The contrast that shows the probe measures something."""
    course, seen = run_probe(probed, tmp_path, "off", monkeypatch)
    assert seen["read_item_bank"].startswith("# Bank") and seen["read_home"] == "rahasia"
    assert seen["connect"] == "ok" and seen["write_course"] == "ok"
    assert (course.root / "bocor.txt").exists()


LIMIT_PROBE = r'''
import os, resource
seen = {"vm_mb": int(next(l for l in open("/proc/self/status") if l.startswith("VmPeak")).split()[1]) >> 10}
try:
    bytearray(900 * 2**20)
    seen["memory"] = "ok"
except MemoryError:
    seen["memory"] = "MemoryError"
try:
    open("besar.bin", "wb").write(b"0" * (3 * 2**20))
    seen["fsize"] = "ok"
except OSError as exc:
    seen["fsize"] = exc.errno
children = []
try:
    for _ in range(200):
        pid = os.fork()
        if pid == 0:
            import time
            time.sleep(30)
            os._exit(0)
        children.append(pid)
    seen["nproc"] = "ok"
except OSError as exc:
    seen["nproc"] = len(children)
print(seen)
'''


def test_rlimits_are_hit_with_a_reason(probed, tmp_path, monkeypatch):
    from .conftest import clone

    course = clone(probed, tmp_path / "limits")
    add_code(course, "penyelidik", BAB2, LIMIT_PROBE)
    add_code(course, "lain", BAB2, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    batch = autograde.run(course, without_release_check(grading_config(workers=2, cell_timeout=30, notebook_timeout=60, sandbox={"memory_mb": 512, "max_file_mb": 1, "max_processes": 40, "cpu_seconds": 3})), assignments=[BAB2])  # as if participant code got through
    by = {o.student: o for o in batch.outcomes}
    assert by["lain"].status == "failed" and "batas waktu CPU (3 detik)" in by["lain"].reason
    assert by["penyelidik"].status == "flagged"
    nb = nbformat.read(course.autograded_dir("penyelidik", BAB2) / f"{BAB2}.ipynb", as_version=4)
    seen = eval("".join(o.get("text", "") for o in nb.cells[3].outputs).strip().splitlines()[-1])
    assert seen["memory"] == "MemoryError" and seen["fsize"] == 27  # EFBIG
    assert isinstance(seen["nproc"], int) and seen["nproc"] < 40
    # the kernel's own address space leaves the participant most of the limit (~500 MiB of
    # 512 were reserved by malloc arenas, and a loaded machine then failed the kernel's start)
    assert seen["vm_mb"] < 384, seen


def test_a_kernel_that_cannot_start_is_not_blamed_on_the_participant(probed, tmp_path):
    """A memory limit below what a kernel needs to start: a reason for the instructor, retried."""
    from .conftest import clone

    course = clone(probed, tmp_path / "tiny")
    batch = autograde.run(course, grading_config(workers=1, cell_timeout=30, notebook_timeout=60, sandbox={"memory_mb": 48}), assignments=[BAB2])
    by = {o.student: o for o in batch.outcomes}
    assert by["lain"].status == "failed" and "kernel gagal mulai" in by["lain"].reason, by["lain"]
    assert by["lain"].attempts == 3
