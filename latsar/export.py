"""``latsar export``: the cohort's score tables as CSV and Parquet, written atomically.

- ``responses`` — peserta_id, assignment, item_id, pilihan, benar, poin: one row
  per participant and graded item (pilihan blank when unanswered);
- ``mastery`` — peserta_id, materi_pokok, benar, maks, persen, tuntas.

The gradebook is read with one SQL query and the chosen letters from the
answer files, so a cohort of thousands of notebooks exports in seconds (nbgrader's
own ``export`` walks the ORM object by object, see nbgrader #799).  Each file is
written beside its target and renamed into place: a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from . import failpoints, scores
from .course import Course

TABLES = ("responses", "mastery")


def export(course: Course, out: str | Path, db_url: str | None = None) -> dict[str, pd.DataFrame]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(out)
    responses = scores.responses(course, db_url)
    tables = {"responses": responses, "mastery": scores.mastery(course, responses)}
    for name, table in tables.items():
        atomic_write(out / f"{name}.csv", lambda p, t=table: t.to_csv(p, index=False))
        atomic_write(out / f"{name}.parquet", lambda p, t=table: t.to_parquet(p, index=False))
    return tables


def atomic_write(path: Path, write) -> Path:
    """Call ``write(tmp_path)`` then rename the result over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        failpoints.hit("export-tmp-written")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_stale_tmp(out: Path) -> None:
    """Remove half-written files of an export that was killed before its rename.

    Each temporary file names its writer's process id; one whose writer still
    runs (another export into the same folder) is left alone."""
    for stale in out.glob(".*.tmp"):
        try:
            pid = int(stale.name.split(".")[-3])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            stale.unlink(missing_ok=True)
        except PermissionError:
            pass  # another user's export, alive
