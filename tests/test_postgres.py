"""The gradebook on PostgreSQL: two graders at once and a reader, ending as one sequential SQLite run."""

import os
import re
import subprocess
import threading
import time

import pandas as pd

from latsar.grading import batch as autograde
from latsar.grading.options import grading_config
from latsar.authoring import release
from latsar.results import scores
from latsar.course import Course
from latsar.results.export import export
from latsar.grading.import_answers import import_answers
from latsar.simulate import simulate, write_sheet

from .conftest import BIN, copy_course
from .pg import PASSWORD

PARTICIPANTS = 8


def cli(*args, env=None, **kwargs):
    return subprocess.Popen([str(BIN / "latsar"), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def consistent(table: pd.DataFrame, bank) -> list[str]:
    """What is wrong with one export read while grading: a half-graded submission or a wrong point."""
    problems = []
    for (peserta, assignment), rows in table.groupby(["peserta_id", "assignment"]):
        expected = {i.id for i in bank.for_assignment(assignment)}
        if set(rows["item_id"]) != expected:
            problems.append(f"{peserta}/{assignment}: {len(rows)} of {len(expected)} items")
        for row in rows.itertuples():
            if row.benar != (row.pilihan == bank[row.item_id].key) or row.poin != float(row.benar):
                problems.append(f"{peserta}/{row.item_id}: pilihan={row.pilihan!r} poin={row.poin}")
    return problems


def test_two_concurrent_runs_and_a_reader_on_postgres_equal_one_sequential_sqlite_run(tmp_path, pg_url):
    sheet = tmp_path / "sheet.csv"
    # reference: one sequential run on SQLite
    sqlite = copy_course(tmp_path / "sqlite")
    write_sheet(simulate(sqlite.item_bank, PARTICIPANTS, seed=23), sheet)
    release.generate(sqlite)
    import_answers(sheet, sqlite)
    start = time.perf_counter()
    reference = autograde.run(sqlite, grading_config(workers=2))
    sqlite_seconds = time.perf_counter() - start
    assert len(reference.graded) == 2 * PARTICIPANTS and not reference.failed
    export(sqlite, tmp_path / "sqlite-export")

    # the same course on PostgreSQL: the release writes the assignments into that gradebook
    pg = copy_course(tmp_path / "pg")
    release.generate(Course.at(pg.root, pg_url))
    import_answers(sheet, pg)
    assert not (pg.root / "gradebook.db").exists()  # nothing went to SQLite
    students = sorted(p.name for p in pg.submitted.iterdir())
    first, second = students[::2], students[1::2]
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("LATSAR_DB_URL", None)

    # a third instructor exports again and again while both graders run
    stop, reads, reader_errors = threading.Event(), [], []

    def read_loop():
        n = 0
        while not stop.is_set() and n < 200:
            out = tmp_path / "live"
            proc = subprocess.run([str(BIN / "latsar"), "export", "--course", str(pg.root), "--out", str(out)],
                                  env={**env, "LATSAR_DB_URL": pg_url}, capture_output=True, text=True)
            n += 1
            if proc.returncode != 0:
                reader_errors.append(proc.stdout + proc.stderr)
                continue
            reads.append(pd.read_csv(out / "responses.csv", dtype={"peserta_id": str}, keep_default_na=False))
            stop.wait(1.0)  # an instructor, not a load generator: leave the cores to the graders

    reader = threading.Thread(target=read_loop)
    reader.start()
    start = time.perf_counter()
    one = cli("autograde", "--course", str(pg.root), "--db-url", pg_url, "--workers", "2",
              *[f"--student={s}" for s in first], env=env)
    two = cli("autograde", "--course", str(pg.root), "--workers", "2",  # the URL from the environment
              *[f"--student={s}" for s in second], env={**env, "LATSAR_DB_URL": pg_url})
    outputs = [p.communicate(timeout=600)[0] for p in (one, two)]
    pg_seconds = time.perf_counter() - start
    stop.set()
    reader.join(timeout=300)
    print(f"\nsequential SQLite run: {sqlite_seconds:.1f} s; two concurrent PostgreSQL runs: {pg_seconds:.1f} s; "
          f"{len(reads)} exports read meanwhile")
    assert [one.returncode, two.returncode] == [0, 0], outputs
    for output, group in zip(outputs, (first, second)):
        print(output)
        assert re.search(rf"│ dinilai\s+│\s+{2 * len(group)} │", output), output
        assert PASSWORD not in output
    assert not reader_errors, reader_errors[0]
    assert len(reads) >= 2
    bank = pg.item_bank
    for table in reads:  # every snapshot: each submission complete or absent, never half-graded
        assert consistent(table, bank) == []
    assert any(0 < table["peserta_id"].nunique() for table in reads)

    # the same gradebook and the same export as the sequential SQLite run
    pg = Course.at(pg.root, pg_url)
    expected = scores.grade_cells(sqlite)
    assert len(expected) == PARTICIPANTS * (10 + 10 + 1)
    assert scores.grade_cells(pg) == expected
    export(pg, tmp_path / "pg-export")
    for name in ("responses.csv", "mastery.csv"):
        assert (tmp_path / "pg-export" / name).read_bytes() == (tmp_path / "sqlite-export" / name).read_bytes()
    for name in ("responses.parquet", "mastery.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "pg-export" / name),
                                      pd.read_parquet(tmp_path / "sqlite-export" / name))


def test_db_url_comes_from_option_then_environment_then_nbgrader_config(course, monkeypatch, tmp_path):
    from latsar.course.nbgrader_api import load_config

    monkeypatch.delenv("LATSAR_DB_URL", raising=False)
    assert Course.at(course.root).db_url == f"sqlite:///{course.root / 'gradebook.db'}"
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f'\nc.CourseDirectory.db_url = "sqlite:///{tmp_path}/config.db"\n')
    assert Course.at(course.root).db_url == f"sqlite:///{tmp_path}/config.db"
    monkeypatch.setenv("LATSAR_DB_URL", f"sqlite:///{tmp_path}/env.db")
    assert Course.at(course.root).db_url == f"sqlite:///{tmp_path}/env.db"
    explicit = Course.at(course.root, f"sqlite:///{tmp_path}/option.db")
    assert explicit.db_url == f"sqlite:///{tmp_path}/option.db"
    # every nbgrader call made by latsar gets the same gradebook
    assert load_config(explicit).CourseDirectory.db_url == explicit.db_url


def test_an_unreachable_gradebook_is_named_without_its_password(course, pg_url):
    from click.testing import CliRunner

    from latsar.cli import main

    wrong = pg_url.replace(PASSWORD, "salah-sandi-77")
    result = CliRunner().invoke(main, ["export", "--course", str(course.root), "--db-url", wrong,
                                       "--out", str(course.root / "x")])
    assert result.exit_code == 1
    assert "tidak dapat dibuka" in result.output and "password authentication failed" in result.output
    assert "salah-sandi-77" not in result.output and "postgresql://postgres:***@" in result.output
