"""Durable record of live sessions: sessions, the items opened in them, and answers.

One SQLite file per course (``live_sessions/live.sqlite``) in WAL mode.  Every
answer and every state change is committed before the service replies, so a
restart of the service (or a crash) loses nothing that a participant saw
acknowledged.  Each opened item ("run") carries a ``version`` that grows with
every answer and state change, stored in the same transaction: the instructor's
view waits for a version greater than the one it has (long polling), and that
still works across a restart.

The session table (participant × item × choice × correct × time to answer) is
built here with pandas and written atomically beside the database.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from latsar.course import LatsarError
from latsar.authoring.itembank import LETTERS, Item, PracticeItem

DB_NAME = "live.sqlite"
STATES = ("open", "closed", "revealed")
TABLE_COLUMNS = [
    "session_id", "seq", "item_id", "kind", "participant_id", "choice", "correct",
    "seconds_to_answer", "answered_at", "opened_at", "section",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, started_by TEXT NOT NULL,
    started_at REAL NOT NULL, ended_at REAL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    item_id TEXT NOT NULL, kind TEXT NOT NULL, stem TEXT NOT NULL, options TEXT NOT NULL,
    key TEXT, section TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0,
    opened_at REAL NOT NULL, closed_at REAL, revealed_at REAL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    participant_id TEXT NOT NULL, choice TEXT NOT NULL,
    answered_at REAL NOT NULL, n_changes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (run_id, participant_id)
);
"""


class LiveError(LatsarError):
    """A request the live session cannot honour; ``status`` is the HTTP status to reply with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Run:
    """One item opened in a session (from the bank, or a poll typed by the instructor)."""

    id: int
    session_id: str
    seq: int
    item_id: str
    kind: str  # "latihan" (practice pool), "bank" (a graded item, opened after collection) or "poll"
    stem: str
    options: dict
    key: str | None
    section: str
    state: str
    version: int
    opened_at: float

    @property
    def label(self) -> str:
        return f"jajak pendapat {self.seq}" if self.kind == "poll" else f"{self.item_id}"

    @property
    def public_label(self) -> str:
        """How a participant knows the run: its number in the session, never a bank id."""
        return f"jajak pendapat {self.seq}" if self.kind == "poll" else f"nomor {self.seq}"

    def public(self) -> dict:
        """What a participant may see before the reveal: no key, no section."""
        return {"run_id": self.id, "session_id": self.session_id, "seq": self.seq, "item_id": self.item_id,
                "kind": self.kind, "label": self.label, "stem": self.stem, "options": self.options,
                "state": self.state, "version": self.version}


def _run(row) -> Run:
    return Run(id=row["id"], session_id=row["session_id"], seq=row["seq"], item_id=row["item_id"],
               kind=row["kind"], stem=row["stem"], options=json.loads(row["options"]), key=row["key"],
               section=row["section"], state=row["state"], version=row["version"], opened_at=row["opened_at"])


class LiveStore:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DB_NAME
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives a crash of the process
        # (only a power loss could undo the last ones), at a fraction of FULL's fsyncs.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- transactions ----------------------------------------------------------------
    def _tx(self):
        return _Transaction(self.db)

    # -- sessions --------------------------------------------------------------------
    def start_session(self, title: str, started_by: str, now: float | None = None) -> str:
        now = now or time.time()
        base = datetime.fromtimestamp(now).strftime("%Y%m%d-%H%M%S")
        with self._tx():
            for old in self.db.execute("SELECT id FROM sessions WHERE ended_at IS NULL").fetchall():
                self._end(old["id"], now)
            session_id, n = base, 1
            while self.db.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone():
                n += 1
                session_id = f"{base}-{n}"
            self.db.execute("INSERT INTO sessions(id, title, started_by, started_at) VALUES (?,?,?,?)",
                            (session_id, title.strip() or "Kuis langsung", started_by, now))
        return session_id

    def active_session(self) -> str | None:
        row = self.db.execute(
            "SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY started_at DESC LIMIT 1").fetchone()
        return row["id"] if row else None

    def session(self, session_id: str) -> dict:
        row = self.db.execute("SELECT * FROM sessions WHERE id=?", (session_id,)).fetchone()
        if row is None:
            raise LiveError(f"Sesi {session_id!r} tidak ada.", 404)
        return dict(row)

    def end_session(self, session_id: str, now: float | None = None) -> None:
        self.session(session_id)
        with self._tx():
            self._end(session_id, now or time.time())

    def _end(self, session_id: str, now: float) -> None:
        self.db.execute("UPDATE runs SET state='closed', closed_at=?, version=version+1 "
                        "WHERE session_id=? AND state='open'", (now, session_id))
        self.db.execute("UPDATE sessions SET ended_at=? WHERE id=? AND ended_at IS NULL", (now, session_id))

    # -- runs ------------------------------------------------------------------------
    def open_item(self, session_id: str, item: Item | PracticeItem, now: float | None = None) -> Run:
        """Open a bank item; which items may be opened is decided by :mod:`.policy`, not here."""
        kind = "bank" if getattr(item, "graded", True) else "latihan"
        return self._open(session_id, item.id, kind, item.stem, dict(item.options), item.key,
                          item.section.label, now)

    def open_poll(self, session_id: str, stem: str, options: dict, key: str | None = None,
                  now: float | None = None) -> Run:
        stem = (stem or "").strip()
        if not stem:
            raise LiveError("Pertanyaan jajak pendapat kosong: tulis pertanyaannya.")
        options = {k: str(v).strip() for k, v in (options or {}).items() if str(v).strip()}
        letters = [letter for letter in LETTERS if letter in options]
        if set(options) - set(LETTERS) or len(letters) < 2 or letters != list(LETTERS[:len(letters)]):
            raise LiveError("Pilihan jajak pendapat harus berurutan a, b, (c, d): paling sedikit a dan b.")
        if key is not None and key not in options:
            raise LiveError(f"Kunci jajak pendapat {key!r} bukan salah satu pilihan.")
        return self._open(session_id, "POLL", "poll", stem, {k: options[k] for k in letters}, key, "", now)

    def _open(self, session_id, item_id, kind, stem, options, key, section, now) -> Run:
        session = self.session(session_id)
        if session["ended_at"] is not None:
            raise LiveError(f"Sesi {session_id} sudah berakhir; mulai sesi baru.", 409)
        now = now or time.time()
        with self._tx():
            self.db.execute("UPDATE runs SET state='closed', closed_at=?, version=version+1 "
                            "WHERE session_id=? AND state='open'", (now, session_id))
            seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM runs WHERE session_id=?",
                                  (session_id,)).fetchone()[0]
            if kind == "poll":
                item_id = f"POLL-{seq:02d}"
            cur = self.db.execute(
                "INSERT INTO runs(session_id, seq, item_id, kind, stem, options, key, section, state, version,"
                " opened_at) VALUES (?,?,?,?,?,?,?,?,'open',1,?)",
                (session_id, seq, item_id, kind, stem, json.dumps(options, ensure_ascii=False), key, section, now))
        return self.run(cur.lastrowid)

    def run(self, run_id: int) -> Run:
        row = self.db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise LiveError(f"Soal langsung nomor {run_id} tidak ada.", 404)
        return _run(row)

    def current_run(self) -> Run | None:
        """The latest item of the active session, whatever its state (what participants see)."""
        session_id = self.active_session()
        if session_id is None:
            return None
        row = self.db.execute("SELECT * FROM runs WHERE session_id=? ORDER BY seq DESC LIMIT 1",
                              (session_id,)).fetchone()
        return _run(row) if row else None

    def runs(self, session_id: str) -> list[Run]:
        return [_run(r) for r in self.db.execute("SELECT * FROM runs WHERE session_id=? ORDER BY seq",
                                                 (session_id,))]

    def close_run(self, run_id: int, now: float | None = None) -> Run:
        run = self.run(run_id)
        if run.state == "open":
            with self._tx():
                self.db.execute("UPDATE runs SET state='closed', closed_at=?, version=version+1 WHERE id=?",
                                (now or time.time(), run_id))
        return self.run(run_id)

    def reveal_run(self, run_id: int, now: float | None = None) -> Run:
        run = self.run(run_id)
        if run.state != "revealed":
            now = now or time.time()
            with self._tx():
                self.db.execute(
                    "UPDATE runs SET state='revealed', closed_at=COALESCE(closed_at, ?), revealed_at=?,"
                    " version=version+1 WHERE id=?", (now, now, run_id))
        return self.run(run_id)

    # -- answers ---------------------------------------------------------------------
    def answer(self, run_id: int, participant_id: str, choice: str, now: float | None = None) -> None:
        """Record (or change, while the item is open) one participant's choice."""
        now = now or time.time()
        with self._tx():  # state check and write in one transaction: no answer slips past a close
            row = self.db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                raise LiveError(f"Soal langsung nomor {run_id} tidak ada.", 404)
            run = _run(row)
            if run.state != "open":
                raise LiveError(
                    f"Soal {run.public_label} sudah ditutup oleh pengampu; jawaban tidak diterima lagi.", 409)
            if choice not in run.options:
                raise LiveError(f"Pilihan {choice!r} tidak ada untuk soal {run.public_label} "
                                f"(pilih salah satu dari {', '.join(run.options)}).")
            self.db.execute(
                "INSERT INTO answers(run_id, participant_id, choice, answered_at) VALUES (?,?,?,?) "
                "ON CONFLICT(run_id, participant_id) DO UPDATE SET choice=excluded.choice,"
                " answered_at=excluded.answered_at, n_changes=n_changes+1",
                (run_id, participant_id, choice, now))
            self.db.execute("UPDATE runs SET version=version+1 WHERE id=?", (run_id,))

    def my_answer(self, run_id: int, participant_id: str) -> str | None:
        row = self.db.execute("SELECT choice FROM answers WHERE run_id=? AND participant_id=?",
                              (run_id, participant_id)).fetchone()
        return row["choice"] if row else None

    def counts(self, run_id: int) -> dict:
        """Instructor's view of one item: how many answered and the distribution over the options.

        The key, the module section and the number of right answers are added only
        after the reveal: the instructor's page is often on a projector, and a
        "right" count next to a distribution names the key.
        """
        run = self.run(run_id)
        counts = {letter: 0 for letter in run.options}
        for row in self.db.execute("SELECT choice, COUNT(*) AS n FROM answers WHERE run_id=? GROUP BY choice",
                                   (run_id,)):
            counts[row["choice"]] = row["n"]
        view = {**run.public(), "answered": sum(counts.values()), "counts": counts}
        if run.state == "revealed":
            view.update(key=run.key, section=run.section,
                        correct=None if run.key is None else counts.get(run.key, 0))
        return view

    def answer_rows(self, run_id: int) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT id AS seq, participant_id, choice, answered_at FROM answers WHERE run_id=? ORDER BY id",
            (run_id,))]

    # -- the session table -------------------------------------------------------------
    def session_table(self, session_id: str, *, revealed_only: bool = False):
        """One row per participant and item answered: the table an instructor keeps.

        With ``revealed_only`` (what the API returns) ``correct`` stays empty for
        items whose key has not been revealed; the saved files keep it for the report.
        """
        import pandas as pd

        self.session(session_id)
        key_column = "CASE WHEN r.state = 'revealed' THEN r.key END" if revealed_only else "r.key"
        rows = self.db.execute(
            "SELECT r.session_id, r.seq, r.item_id, r.kind, a.participant_id, a.choice,"
            f" {key_column} AS key, a.answered_at, r.opened_at, r.section"
            " FROM answers a JOIN runs r ON r.id = a.run_id"
            " WHERE r.session_id=? ORDER BY r.seq, a.participant_id", (session_id,)).fetchall()
        table = pd.DataFrame([dict(r) for r in rows],
                             columns=["session_id", "seq", "item_id", "kind", "participant_id", "choice", "key",
                                      "answered_at", "opened_at", "section"])
        correct = [pd.NA if pd.isna(key) else choice == key for choice, key in zip(table["choice"], table["key"])]
        table["correct"] = pd.array(correct, dtype="boolean")
        table["seconds_to_answer"] = (table["answered_at"] - table["opened_at"]).astype(float).round(3)
        for col in ("answered_at", "opened_at"):
            table[col] = pd.to_datetime(table[col].astype(float), unit="s", utc=True).dt.tz_convert(None)
        table["seq"] = table["seq"].astype("int64")
        return table[TABLE_COLUMNS]

    def save_table(self, session_id: str, folder: str | Path | None = None) -> dict[str, Path]:
        """Write ``<session>.csv`` and ``<session>.parquet`` atomically; return their paths."""
        from latsar.course.files import atomic_write

        if not re.fullmatch(r"[0-9A-Za-z_-]+", session_id):
            raise LiveError(f"Nama sesi {session_id!r} tidak sah.")
        folder = Path(folder or self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        table = self.session_table(session_id)
        return {
            "csv": atomic_write(folder / f"{session_id}.csv", lambda p: table.to_csv(p, index=False)),
            "parquet": atomic_write(folder / f"{session_id}.parquet", lambda p: table.to_parquet(p, index=False)),
        }


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, tb):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False


def read_tables(folder: str | Path):
    """Every saved session table of a course folder, stacked (empty table when there is none)."""
    import pandas as pd

    paths = sorted(Path(folder).glob("*.parquet"))
    if not paths:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
