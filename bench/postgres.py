"""Benchmark: the same batch on SQLite and on PostgreSQL, one run or two at once (not a test).

Grades identical copies of a course holding simulated submissions of both
Materi Pokok assignments:
- one ``latsar autograde`` on SQLite (the default);
- one ``latsar autograde`` on PostgreSQL;
- two ``latsar autograde`` at the same time on PostgreSQL, each on half of the
  participants (``--student``), with the same number of worker processes in total.
Prints the wall time of each and whether every gradebook equals the SQLite one.
PostgreSQL is a throw-away cluster (tests/pg.py) unless LATSAR_TEST_PG_URL names one.

    .venv/bin/python bench/postgres.py [--participants 40] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
from latsar.results import scores  # noqa: E402
from latsar.course import Course  # noqa: E402
from tests.pg import Cluster, Server  # noqa: E402


def latsar(*args: str, db_url: str | None = None, wait: bool = True):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("LATSAR_DB_URL", None)
    if db_url:
        env["LATSAR_DB_URL"] = db_url
    proc = subprocess.Popen([str(BIN / "latsar"), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    if wait and proc.wait() != 0:
        raise SystemExit(f"latsar {' '.join(args[:1])} failed")
    return proc


def make_course(root: Path, participants: int, db_url: str | None) -> Course:
    Course.at(REPO).copy_to(root)
    latsar("simulate", "--course", str(root), "--n", str(participants), "--seed", "5", "--out", str(root / "sheet.csv"))
    latsar("release", "--course", str(root), db_url=db_url)
    latsar("import-answers", str(root / "sheet.csv"), "--course", str(root))
    return Course.at(root, db_url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    admin = os.environ.get("LATSAR_TEST_PG_URL")
    cluster = None if admin else Cluster()
    server = Server(admin or cluster.admin_url)
    tmp = Path(tempfile.mkdtemp(prefix="latsar-bench-pg-"))
    n, w = args.participants, args.workers
    try:
        sqlite = make_course(tmp / "sqlite", n, None)
        start = time.perf_counter()
        latsar("autograde", "--course", str(sqlite.root), "--workers", str(w))
        t_sqlite = time.perf_counter() - start
        expected = scores.grade_cells(sqlite)

        one_url = server.create_database()
        one = make_course(tmp / "pg1", n, one_url)
        start = time.perf_counter()
        latsar("autograde", "--course", str(one.root), "--workers", str(w), db_url=one_url)
        t_one = time.perf_counter() - start

        two_url = server.create_database()
        two = make_course(tmp / "pg2", n, two_url)
        students = sorted(p.name for p in two.submitted.iterdir())
        halves = (students[::2], students[1::2])
        start = time.perf_counter()
        procs = [latsar("autograde", "--course", str(two.root), "--workers", str(max(1, w // 2)),
                        *[f"--student={s}" for s in half], db_url=two_url, wait=False) for half in halves]
        codes = [p.wait() for p in procs]
        t_two = time.perf_counter() - start
        same = [scores.grade_cells(c) == expected for c in (one, two)]
        subs = 2 * n
        print("| gradebook | runs | workers | submissions | wall s | s/submission | equals SQLite |")
        print("|---|---|---:|---:|---:|---:|---|")
        print(f"| SQLite | 1 | {w} | {subs} | {t_sqlite:.1f} | {t_sqlite / subs:.2f} | — |")
        print(f"| PostgreSQL | 1 | {w} | {subs} | {t_one:.1f} | {t_one / subs:.2f} | {'yes' if same[0] else 'NO'} |")
        print(f"| PostgreSQL | 2 at once | {max(1, w // 2)} + {max(1, w // 2)} | {subs} | {t_two:.1f} | "
              f"{t_two / subs:.2f} | {'yes' if same[1] and codes == [0, 0] else 'NO'} |")
        for url in (one_url, two_url):
            server.drop_database(url)
    finally:
        if cluster:
            cluster.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
