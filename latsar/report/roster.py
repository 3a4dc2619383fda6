"""The roster: the instructor's list of participants (``peserta_id,nama,kelas,instansi``), read and checked.

Why its own module: the roster is the only hand-made input of the report, so
it gets the careful reading (BOM, ``;`` from Excel in the Indonesian locale,
one Indonesian message naming the file and every bad row).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from latsar.course.files import CsvError, read_csv
from latsar.report.stats import ReportError

ROSTER_COLUMNS = ("peserta_id", "nama", "kelas", "instansi")


class RosterError(CsvError, ReportError):
    """The roster has problems; the message names the file and every bad row."""

    lead = "Berkas roster"


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read a roster CSV ``peserta_id,nama,kelas,instansi`` (extra columns kept, all as text).

    Accepts a UTF-8 BOM and ``;`` as separator (Excel in the Indonesian locale).
    Cells are stripped; blank cells are "".  Raises :class:`ReportError` naming
    the file and every bad row: a missing column, an empty or a duplicate peserta_id.
    """
    table = read_csv(path, RosterError)
    header = table.header
    problems = []
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        problems.append(f"baris 1: kolom {', '.join(repr(c) for c in missing)} tidak ada "
                        f"(judul kolom harus memuat {','.join(ROSTER_COLUMNS)}; ada {','.join(header)})")
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        problems.append(f"baris 1: kolom {', '.join(repr(c) for c in doubled)} muncul lebih dari sekali")
    if problems:
        raise RosterError(path, problems)

    problems, rows, seen = list(table.problems), [], {}
    id_col = header.index("peserta_id")
    for line, row in table.rows:
        peserta = row[id_col]
        if not peserta:
            problems.append(f"baris {line}: peserta_id kosong")
        elif peserta in seen:
            problems.append(f"baris {line}: peserta_id {peserta!r} ganda (sudah ada di baris {seen[peserta]})")
        else:
            seen[peserta] = line
        rows.append(row)
    if problems:
        raise RosterError(path, problems)
    table = pd.DataFrame(rows, columns=header, dtype=object)
    ordered = [*ROSTER_COLUMNS, *(c for c in header if c not in ROSTER_COLUMNS)]
    return table[ordered].astype(str).reset_index(drop=True)


def clean_roster(roster: pd.DataFrame) -> pd.DataFrame:
    """peserta_id as stripped text, none blank, none duplicate (a DataFrame given directly)."""
    if not isinstance(roster, pd.DataFrame) or "peserta_id" not in roster.columns:
        raise ReportError("Daftar peserta (roster) harus tabel dengan kolom 'peserta_id'.")
    ids = roster["peserta_id"]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        rows = (np.flatnonzero(blank) + 1)[:10].tolist()
        raise ReportError(f"peserta_id kosong di daftar peserta (baris data ke-{rows}).")
    out = roster.assign(peserta_id=ids.astype(str).str.strip())
    dup = out["peserta_id"].duplicated(keep=False)
    if dup.any():
        raise ReportError(f"peserta_id ganda di daftar peserta: {sorted(out.loc[dup, 'peserta_id'].unique())[:10]}.")
    return out.reset_index(drop=True)

