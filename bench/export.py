"""Benchmark: ``latsar export`` on 10,000 graded notebooks, and nbgrader's own export (not a test).

Two participants are graded for real; their gradebook rows and answer files
are then cloned (by SQL) into a cohort of N/2 participants × 2 notebooks.
nbgrader's ``export`` walks its ORM object by object (nbgrader #799), so it is
timed on a smaller cohort and its per-notebook cost is printed beside ours.

    .venv/bin/python bench/export.py [--notebooks 10000] [--nbgrader-notebooks 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
from latsar.course import Course  # noqa: E402


def run(cmd, cwd=None):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def graded_seed(root: Path) -> Path:
    Course.at(REPO).copy_to(root)
    latsar = str(BIN / "latsar")
    run([latsar, "simulate", "--course", str(root), "--n", "2", "--out", str(root / "s.csv")])
    run([latsar, "release", "--course", str(root)])
    run([latsar, "import-answers", str(root / "s.csv"), "--course", str(root)])
    run([latsar, "autograde", "--course", str(root)])
    return root


def clone_cohort(seed: Path, dest: Path, notebooks: int) -> Path:
    """Copy the seed course and grow its gradebook to `notebooks` submitted notebooks."""
    shutil.copytree(seed, dest)
    db = sqlite3.connect(dest / "gradebook.db")
    templates = db.execute("SELECT id, student_id FROM submitted_assignment").fetchall()
    per_student = {}
    for sa_id, student in templates:
        per_student.setdefault(student, []).append(sa_id)
    template_student, template_sas = next(iter(per_student.items()))
    participants = notebooks // 2
    student_rows, sa_rows, sn_rows, grade_rows, comment_rows = [], [], [], [], []
    sa_src = {r[0]: r for r in db.execute("SELECT * FROM submitted_assignment")}
    sn_src = db.execute("SELECT * FROM submitted_notebook").fetchall()
    g_src = db.execute("SELECT * FROM grade").fetchall()
    c_src = db.execute("SELECT * FROM comment").fetchall()
    for n in range(participants):
        student = f"sim{n:06d}"
        student_rows.append((student, None, None, None, None))
        for sa_id in template_sas:
            new_sa = uuid.uuid4().hex
            row = sa_src[sa_id]
            sa_rows.append((new_sa, row[1], student, row[3], row[4]))
            for sn in (s for s in sn_src if s[1] == sa_id):
                new_sn = uuid.uuid4().hex
                sn_rows.append((new_sn, new_sa, *sn[2:]))
                grade_rows += [(uuid.uuid4().hex, new_sn, *g[2:]) for g in g_src if g[1] == sn[0]]
                comment_rows += [(uuid.uuid4().hex, new_sn, *c[2:]) for c in c_src if c[1] == sn[0]]
            assignment = db.execute("SELECT name FROM assignment WHERE id = ?", (row[1],)).fetchone()[0]
            src = dest / "autograded" / template_student / assignment
            dst = dest / "autograded" / student / assignment
            dst.mkdir(parents=True)
            shutil.copy2(src / ".jawaban.json", dst / ".jawaban.json")
    db.executemany("INSERT INTO student VALUES (?,?,?,?,?)", student_rows)
    db.executemany("INSERT INTO submitted_assignment VALUES (?,?,?,?,?)", sa_rows)
    db.executemany(f"INSERT INTO submitted_notebook VALUES ({','.join('?' * len(sn_rows[0]))})", sn_rows)
    db.executemany(f"INSERT INTO grade VALUES ({','.join('?' * len(grade_rows[0]))})", grade_rows)
    if comment_rows:
        db.executemany(f"INSERT INTO comment VALUES ({','.join('?' * len(comment_rows[0]))})", comment_rows)
    db.commit()
    count = db.execute("SELECT count(*) FROM submitted_notebook").fetchone()[0]
    db.close()
    print(f"cohort: {count} graded notebooks in the gradebook")
    return dest


def time_latsar(course: Path) -> tuple[float, int]:
    start = time.perf_counter()
    run([str(BIN / "latsar"), "export", "--course", str(course), "--out", str(course / "export")])
    seconds = time.perf_counter() - start
    with open(course / "export" / "responses.csv") as handle:
        rows = sum(1 for _ in handle) - 1
    return seconds, rows


def time_nbgrader(course: Path) -> float:
    start = time.perf_counter()
    run([str(BIN / "nbgrader"), "export", "--to", str(course / "grades.csv")], cwd=course)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notebooks", type=int, default=10000)
    parser.add_argument("--nbgrader-notebooks", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="latsar-export-") as tmp:
        seed = graded_seed(Path(tmp) / "seed")
        big = clone_cohort(seed, Path(tmp) / "big", args.notebooks)
        ours, rows = time_latsar(big)
        print(f"latsar export: {args.notebooks} notebooks, {rows} response rows in {ours:.2f} s "
              f"({1000 * ours / args.notebooks:.2f} ms/notebook, whole command incl. start-up)")
        small = clone_cohort(seed, Path(tmp) / "small", args.nbgrader_notebooks)
        theirs = time_nbgrader(small)
        ours_small, _ = time_latsar(small)
        print(f"nbgrader export: {args.nbgrader_notebooks} notebooks in {theirs:.2f} s "
              f"({1000 * theirs / args.nbgrader_notebooks:.2f} ms/notebook); latsar on the same: {ours_small:.2f} s")
        print(f"export: {args.notebooks} notebooks in {ours:.2f} s; nbgrader's export would need "
              f"~{theirs / args.nbgrader_notebooks * args.notebooks:.0f} s at its measured rate")


if __name__ == "__main__":
    main()
