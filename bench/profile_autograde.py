"""Where one submission's CPU goes when ``latsar autograde`` grades it (not a test).

Grades N simulated submissions one after the other in this process, with one
:class:`latsar.grading.worker.Worker` (the code a batch's worker runs), and accounts for every
CPU second of the process tree:

- the grader process, per nbgrader step: each preprocessor of nbgrader's ``Autograde``
  (timed around nbconvert's call to it), and the rest of nbgrader's work around them
  (reading and writing files, the gradebook);
- the processes that come and go: kernels, their sandbox supervisors, and whatever a
  kernel starts.  They are counted with the OS's process accounting (``acct(2)``, root
  only), which records the CPU time of every process that ends, by parent, even those
  reaped without a ``wait`` (the fork server ignores SIGCHLD);
- the fork server (alive throughout: its own counters).

    .venv/bin/python bench/profile_autograde.py [--n 40] [--sandbox auto] [--cprofile FILE]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import struct
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from latsar.course import Course  # noqa: E402


# --- process accounting (acct(2), struct acct_v3) --------------------------------------------

ACCT_V3 = struct.Struct("<BBHIIIII I f HHHHHHHH 16s")
AHZ = 100


def _comp(value: int) -> int:
    """comp_t: 13-bit mantissa, 3-bit base-8 exponent."""
    return (value & 0x1FFF) << (3 * ((value >> 13) & 0x7))


class Accounting:
    """Every process that ends while it is on: (pid, ppid, uid, comm, cpu seconds)."""

    def __init__(self) -> None:
        self.file = tempfile.NamedTemporaryFile(prefix="latsar-acct-", delete=False)
        self.libc = ctypes.CDLL(None, use_errno=True)

    def __enter__(self):
        if self.libc.acct(self.file.name.encode()) != 0:
            raise SystemExit(f"process accounting is not available: {os.strerror(ctypes.get_errno())} "
                             "(run as root)")
        return self

    def __exit__(self, *exc):
        self.libc.acct(None)

    def records(self) -> list[tuple]:
        data = Path(self.file.name).read_bytes()
        os.unlink(self.file.name)
        out = []
        for off in range(0, len(data) - ACCT_V3.size + 1, ACCT_V3.size):
            f = ACCT_V3.unpack_from(data, off)
            if f[1] != 3:
                continue
            uid, pid, ppid = f[4], f[6], f[7]
            cpu = (_comp(f[10]) + _comp(f[11])) / AHZ
            out.append((pid, ppid, uid, f[-1].split(b"\0")[0].decode(), cpu))
        return out


# --- timing nbgrader's steps --------------------------------------------------------------------

STEPS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # name -> [wall, cpu]


def time_preprocessors() -> None:
    """Time each preprocessor where nbconvert calls it (measurement only)."""
    from nbconvert.exporters.exporter import Exporter

    def _preprocess(self, nb, resources):
        nbc, resc = nb, resources
        for preprocessor in self._preprocessors:
            name = type(preprocessor).__name__
            w, c = time.perf_counter(), time.process_time()
            nbc, resc = preprocessor(nbc, resc)
            STEPS[name][0] += time.perf_counter() - w
            STEPS[name][1] += time.process_time() - c
        return nbc, resc

    Exporter._preprocess = _preprocess


def profile(n: int, sandbox: str, scratch: Path, cprofile: str | None = None) -> None:
    from autograde import make_course

    from latsar.course.nbgrader_api import load_config
    from latsar.grading import batch, kernels, worker
    from latsar.grading.options import grading_config

    root = make_course(scratch / "course", n + 2)
    course = Course.at(root)
    config = grading_config(workers=1, sandbox={"mode": sandbox})
    merged = load_config(course, config)
    mode = batch.preflight(course, merged)
    tasks = batch.submissions(course)
    batch._ensure_gradebook(merged, merged.CourseDirectory.db_url, [s for s, _ in tasks])
    worker.init_worker(str(root), config)
    grader = worker._worker
    grader.grade(*tasks[0])  # first use: imports, the fork server, the first kernel
    time_preprocessors()
    server = kernels.fork_server().proc.pid
    import psutil

    server_proc = psutil.Process(server)
    server0 = sum(server_proc.cpu_times()[:2])
    me = os.getpid()
    import cProfile

    profiler = cProfile.Profile() if cprofile else None
    with Accounting() as acct:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for student, assignment in tasks[1:n + 1]:
            outcome = grader.grade(student, assignment)
            if outcome.status == "failed":
                raise SystemExit(f"{student}/{assignment}: {outcome.reason}")
        if profiler:
            profiler.disable()
            profiler.dump_stats(cprofile)
        wall, grader_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    server_cpu = sum(server_proc.cpu_times()[:2]) - server0
    records = acct.records()
    children = defaultdict(list)
    for rec in records:
        children[rec[1]].append(rec)
    supervisors = [r for r in children[server]]
    direct = [r for r in children[me]]  # the grader's own short-lived children
    kernels_, below = [], []
    for sup in supervisors:
        for rec in children[sup[0]]:
            kernels_.append(rec)
            stack = [rec[0]]
            while stack:
                for child in children[stack.pop()]:
                    below.append(child)
                    stack.append(child[0])
    if mode == "none":  # no supervisor: the fork server's children are the kernels
        kernels_, supervisors = supervisors, []
    rows = [(name, w / n, c / n) for name, (w, c) in sorted(STEPS.items(), key=lambda kv: -kv[1][1])]
    steps_cpu = sum(c for _, (_, c) in STEPS.items())
    print(f"sandbox: {mode}; {n} submissions graded one after another by one worker; per submission:")
    print(f"{'where':<44} | {'CPU s':>6} | {'wall s':>6}")
    print("-" * 62)
    for name, w, c in rows:
        print(f"  grader: {name:<34} | {c:>6.3f} | {w:>6.3f}")
    print(f"  grader: {'nbgrader around the steps (files, db)':<34} | {(grader_cpu - steps_cpu) / n:>6.3f} |")
    print(f"{'grader process, total':<44} | {grader_cpu / n:>6.3f} | {wall / n:>6.3f}")
    print(f"{'kernel processes':<44} | {sum(r[4] for r in kernels_) / n:>6.3f} |")
    print(f"{'sandbox supervisors':<44} | {sum(r[4] for r in supervisors) / n:>6.3f} |")
    print(f"{'processes kernels started':<44} | {sum(r[4] for r in below) / n:>6.3f} |")
    print(f"{'grader subprocesses':<44} | {sum(r[4] for r in direct) / n:>6.3f} |")
    print(f"{'fork server':<44} | {server_cpu / n:>6.3f} |")
    total = grader_cpu + server_cpu + sum(r[4] for r in kernels_ + supervisors + below + direct)
    print(f"{'all processes':<44} | {total / n:>6.3f} | {wall / n:>6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="submissions to grade (after one warm-up)")
    parser.add_argument("--sandbox", default="auto", help="Sandbox.mode (auto, root, userns, rlimits, none)")
    parser.add_argument("--cprofile", metavar="FILE", help="also write the grader process's cProfile stats "
                        "(it slows the grader: read its shares, not its times)")
    args = parser.parse_args()
    os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
    with tempfile.TemporaryDirectory(prefix="latsar-profile-") as tmp:
        profile(args.n, args.sandbox, Path(tmp), args.cprofile)


if __name__ == "__main__":
    main()
