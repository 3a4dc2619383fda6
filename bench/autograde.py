"""Benchmark: stock sequential ``nbgrader autograde`` vs ``latsar autograde`` (not a test).

For 40 and 200 simulated submissions of the two Materi Pokok assignments, both
grade identical copies of one course on this machine, one after the other.
Printed per size: seconds per submission, the ratio, peak memory of the whole
process tree, and whether the two gradebooks hold exactly the same grades.

    .venv/bin/python bench/autograde.py [--sizes 40 200] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
from latsar.course import Course  # noqa: E402
GRADED = ("bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan")


def make_course(root: Path, submissions: int) -> Path:
    """A released course with `submissions` imported submissions (two per participant)."""
    Course.at(REPO).copy_to(root)
    latsar = str(BIN / "latsar")
    run([latsar, "simulate", "--course", str(root), "--n", str(submissions // 2), "--seed", "5",
         "--out", str(root / "sheet.csv")])
    run([latsar, "release", "--course", str(root)])
    run([latsar, "import-answers", str(root / "sheet.csv"), "--course", str(root)])
    return root


def run(cmd, cwd=None) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class PeakMemory:
    """Peak memory of this process and all its descendants, sampled every 250 ms.

    Proportional set size (PSS): forked kernels share most pages with their
    fork server, and summing RSS would count those pages once per kernel.  Read from
    ``/proc/PID/smaps_rollup``; the kernel walks every mapping for it (about 2 ms per grading
    process), so sampling every 50 ms, as this script once did, took half a core from the
    graders it measured.  The sampler's own CPU time is kept in ``cpu``.
    """

    def __init__(self) -> None:
        self.peak = 0
        self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def _pss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
                for line in rollup:
                    if line.startswith(b"Pss:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                pids = [me.pid, *(p.pid for p in me.children(recursive=True))]
            except psutil.Error:
                pids = [me.pid]
            self.peak = max(self.peak, sum(self._pss(pid) for pid in pids))
            self.cpu = time.thread_time()
            time.sleep(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed(cmds, cwd) -> tuple[float, float, float]:
    with PeakMemory() as memory:
        start = time.perf_counter()
        for cmd in cmds:
            run(cmd, cwd)
        seconds = time.perf_counter() - start
    return seconds, memory.peak / 2**20, memory.cpu


def grades(course: Path) -> dict:
    from latsar.results.scores import grade_cells

    return grade_cells(Course.at(course))


def sandbox_mode(course: Path) -> str:
    """The sandbox mode both sides grade in: the course's nbgrader_config.py, as stock nbgrader reads it."""
    from latsar.course.nbgrader_api import load_config
    from latsar.grading.batch import preflight

    return preflight(Course.at(course), load_config(Course.at(course)))


def bench(size: int, workers: int | None, scratch: Path) -> dict:
    base = make_course(scratch / f"course{size}", size)
    stock, ours = scratch / f"stock{size}", scratch / f"latsar{size}"
    shutil.copytree(base, stock)
    shutil.copytree(base, ours)
    stock_s, stock_mb, stock_sampler = timed([[str(BIN / "nbgrader"), "autograde", a] for a in GRADED], stock)
    cmd = [str(BIN / "latsar"), "autograde", "--course", str(ours)]
    if workers:
        cmd += ["--workers", str(workers)]
    ours_s, ours_mb, ours_sampler = timed([cmd], ours)
    expected, got = grades(stock), grades(ours)
    return {
        "size": size,
        "stock": stock_s / size,
        "latsar": ours_s / size,
        "ratio": stock_s / ours_s,
        "stock_mb": stock_mb,
        "latsar_mb": ours_mb,
        "identical": bool(expected) and expected == got,
        "grades": len(expected),
        "sandbox": sandbox_mode(ours),
        "sampler": (stock_sampler, ours_sampler),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--workers", type=int, default=None, help="latsar workers (default: CPUs)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
          f"latsar workers: {args.workers or os.cpu_count()}")
    print(f"{'submissions':>11} | {'stock s/sub':>11} | {'latsar s/sub':>12} | {'ratio':>6} | "
          f"{'stock peak MB':>13} | {'latsar peak MB':>14} | identical   (peak = PSS of the process tree)")
    results = []
    with tempfile.TemporaryDirectory(prefix="latsar-bench-") as tmp:
        for size in args.sizes:
            r = bench(size, args.workers, Path(tmp))
            results.append(r)
            print(f"{r['size']:>11} | {r['stock']:>11.3f} | {r['latsar']:>12.3f} | {r['ratio']:>5.2f}× | "
                  f"{r['stock_mb']:>13.0f} | {r['latsar_mb']:>14.0f} | "
                  f"{'yes' if r['identical'] else 'no'} ({r['grades']} grades); "
                  f"memory sampler CPU {r['sampler'][0]:.1f} s / {r['sampler'][1]:.1f} s", flush=True)
    last = results[-1]
    print(f"autograde speedup: {last['ratio']:.2f}× (stock {last['stock']:.2f} s/submission, "
          f"latsar {last['latsar']:.2f} s/submission, {last['size']} submissions, "
          f"gradebooks identical: {'yes' if last['identical'] else 'no'}, sandbox: {last['sandbox']})")


if __name__ == "__main__":
    main()
