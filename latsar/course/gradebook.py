"""Where nbgrader's gradebook lives, and safe access to it (SQLite or PostgreSQL).

nbgrader's gradebook is SQLAlchemy, so any URL SQLAlchemy knows works:
``sqlite:///…/gradebook.db`` by default, ``postgresql://user:password@host/db``
(driver: psycopg 3, SQLAlchemy 2.1's default for ``postgresql://``) for a
gradebook shared by several graders.  Which one is used is decided once, in
:attr:`latsar.course.Course.db_url`; this module only connects.

A URL may carry a password: :func:`redact` is used for everything we print.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from latsar.course import LatsarError

# One 64-bit key for the session-level advisory lock that serialises gradebook
# schema set-up between concurrent `latsar` runs on one PostgreSQL database.
SCHEMA_LOCK = 0x6C617473  # "lats"


class GradebookError(LatsarError):
    """The gradebook cannot be reached; the message names it (without password) and says why."""


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 — not a URL SQLAlchemy can parse: hide user:password@ ourselves
        return re.sub(r"//[^/@]*@", "//***@", url)


def scrub(text: str, url: str) -> str:
    """``text`` with the URL's password, if any, replaced by ***."""
    try:
        password = sa.engine.make_url(url).password
    except Exception:  # noqa: BLE001
        password = None
    return text.replace(str(password), "***") if password else text


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):].split("?")[0])
    return None


def engine(url: str) -> sa.Engine:
    """A short-lived engine (no pool kept between our one-shot queries)."""
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


@contextmanager
def connect(url: str):
    """A connection, or a :class:`GradebookError` in Indonesian naming the gradebook."""
    eng = engine(url)
    try:
        try:
            conn = eng.connect()
        except sa.exc.OperationalError as exc:
            reason = scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), url)
            raise GradebookError(
                f"gradebook {redact(url)} tidak dapat dibuka: {reason}. Periksa --db-url / LATSAR_DB_URL "
                "atau c.CourseDirectory.db_url di nbgrader_config.py, dan apakah server basis data berjalan."
            ) from None
        with conn:
            yield conn
    finally:
        eng.dispose()


def read_sql(url: str, sql: str):
    """One query as a DataFrame: one statement sees one snapshot, even while graders commit."""
    import pandas as pd

    with connect(url) as conn:
        return pd.read_sql(sa.text(sql), conn)


def fetch_rows(url: str, sql: str) -> list[tuple]:
    """One query's rows as tuples, without pandas (0.4 s to import) for callers that need no frame."""
    with connect(url) as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def has_tables(url: str) -> bool:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return False
    with connect(url) as conn:
        return "grade" in sa.inspect(conn).get_table_names()


@contextmanager
def schema_lock(url: str):
    """Serialise gradebook creation between concurrent runs (PostgreSQL advisory lock).

    nbgrader's ``Gradebook()`` creates the tables and the course row when they are
    missing; two runs doing so at once on an empty PostgreSQL database collide on
    unique constraints.  SQLite serialises writers by itself.
    """
    if not is_postgres(url):
        yield
        return
    with connect(url) as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK})
            conn.commit()
