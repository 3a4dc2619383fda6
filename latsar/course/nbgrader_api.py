"""Thin access to nbgrader's own API, configured from the course's ``nbgrader_config.py``.

Everything we add wraps nbgrader; nothing here re-implements a step.  The
course's config file is loaded exactly as the ``nbgrader`` command would load
it, so stock commands and ``latsar`` commands behave the same.
"""

from __future__ import annotations

import logging
import os
import sys

from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from latsar.course import Course, LatsarError


# nbgrader runs `alembic` as a subprocess to create the gradebook; make sure the
# interpreter's own bin/ (the virtualenv) is on PATH even when called by full path.
_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


class NbgraderError(LatsarError, RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's own log."""


def load_config(course: Course, overrides: Config | None = None) -> Config:
    config = Config()
    config_file = course.root / "nbgrader_config.py"
    if config_file.exists():
        config.merge(PyFileConfigLoader(config_file.name, path=str(course.root)).load_config())
    config.CourseDirectory.root = str(course.root)
    config.CourseDirectory.db_url = course.db_url  # one gradebook for every command (see Course.db_url)
    if overrides:
        config.merge(overrides)
    return config


def api(course: Course, overrides: Config | None = None, log_level: int = logging.WARNING) -> NbGraderAPI:
    config = load_config(course, overrides)
    coursedir = CourseDirectory(config=config)
    nbapi = NbGraderAPI(coursedir=coursedir, config=config)
    nbapi.log.setLevel(log_level)
    return nbapi


def check(result: dict, what: str) -> dict:
    """Raise with nbgrader's log when an API call did not succeed."""
    if not result.get("success"):
        detail = (result.get("error") or "") + "\n" + (result.get("log") or "")
        raise NbgraderError(f"{what} gagal:\n{detail.strip()}")
    return result
