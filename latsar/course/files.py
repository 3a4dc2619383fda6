"""Writing and reading the course's plain files: one atomic write, one CSV reader.

Every file a command writes goes through :func:`atomic_write`, so a crash leaves the old file or
the new one, never half of one, and a rerun finds either.  Every CSV a person hands us (answer
sheets, rosters) goes through :func:`read_csv`, so every such file gets the same tolerance
(UTF-8 with or without BOM, comma or semicolon as Excel writes in Indonesia) and the same
error: the file, every bad line, what to do.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from latsar.course import LatsarError
from latsar.course import failpoints


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], object], *, mode: int | None = None,
                 failpoint: str = "") -> Path:
    """Write ``data`` to ``path`` through a new temporary file beside it, renamed over ``path``.

    ``data`` is the content, or a function that writes a file at the path it is given (pandas,
    openpyxl, matplotlib).  The temporary file is created new (``O_EXCL|O_NOFOLLOW``: a link
    planted at its name is never followed), first readable by its owner only when ``mode`` is
    given and set to ``mode`` just before the rename, so the file is never more open than asked;
    without ``mode`` it gets the usual ``0666`` minus the umask.  Its name carries the writer's
    process id (``.<name>.<pid>.<random>.tmp``) for :func:`remove_stale_tmp`.  ``failpoint`` names
    the crash tests' kill point between writing and renaming (:mod:`latsar.course.failpoints`)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600 if mode is not None else 0o666)
    try:
        if callable(data):
            os.close(fd)
            fd = -1
            data(tmp)
            fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW)
        else:
            with open(fd, "wb", closefd=False) as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.fsync(fd)
        if mode is not None:
            os.fchmod(fd, mode)
        os.close(fd)
        fd = -1
        if failpoint:
            failpoints.hit(failpoint)
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return path


def swap_in(build: str | Path, target: str | Path) -> Path:
    """Put a folder built beside ``target`` in its place: a reader sees the old folder or the new
    one, never a half-built one.  The old one is renamed aside first, then removed."""
    build, target = Path(build), Path(target)
    old = None
    if os.path.lexists(target):
        old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
        os.rename(target, old)  # a rename: never follows a link planted at target
    os.rename(build, target)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    return target


def remove_stale_tmp(folder: Path) -> None:
    """Remove half-written files of a writer that was killed before its rename.

    A temporary file whose writer still runs (another command writing into the same folder)
    is left alone."""
    for stale in folder.glob(".*.tmp"):
        try:
            pid = int(stale.name.split(".")[-3])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            stale.unlink(missing_ok=True)
        except PermissionError:
            pass  # another user's live process


class CsvError(LatsarError, ValueError):
    """A CSV file a person made has problems; ``problems`` lists one message per bad line.

    Each reader's own error (an answer sheet's, a roster's) is a subclass with its own ``lead``."""

    lead = "Berkas"

    def __init__(self, path: str | Path, problems: list[str]):
        self.path, self.problems = Path(path), problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … dan {len(problems) - 50} masalah lain" if len(problems) > 50 else ""
        super().__init__(f"{self.lead} {path}: {len(problems)} masalah, tidak ada yang ditulis. "
                         f"Perbaiki baris berikut lalu jalankan lagi:\n{shown}{more}")


@dataclass
class CsvRows:
    """A CSV file's header (stripped, lower case) and its non-blank rows with their line numbers."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    #: rows with a different number of cells than the header: "baris N: harus K kolom, ada M"
    problems: list[str] = field(default_factory=list)


def read_csv(path: str | Path, error: type[CsvError] = CsvError) -> CsvRows:
    """Read a CSV file a person made (Excel, LibreOffice, a text editor).

    UTF-8 with or without a BOM; ``;`` as separator when the first line has more ``;`` than
    ``,`` (Excel saves so in the Indonesian locale).  Cells are stripped, blank lines skipped.
    A file that is missing, unreadable, not UTF-8 or without a header raises ``error``
    naming the file; the checks of each file's own columns and rows are the caller's."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(path, ["berkas tidak ditemukan"]) from None
    except OSError as exc:
        raise error(path, [f"berkas tidak dapat dibaca: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(path, [f"berkas bukan UTF-8 (byte ke-{exc.start}); simpan ulang sebagai CSV UTF-8"]) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or all(not h.strip() for h in header):
        raise error(path, ["baris 1: judul kolom tidak ada"])
    table = CsvRows([h.strip().lower() for h in header])
    for row in reader:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            table.problems.append(f"baris {reader.line_num}: harus {len(header)} kolom, ada {len(row)}")
            continue
        table.rows.append((reader.line_num, [c.strip() for c in row]))
    return table
