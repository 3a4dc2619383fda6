"""Which attempt decides mastery, as the course configures it (``c.Mastery.method``).

A traitlets setting in ``nbgrader_config.py``, next to nbgrader's own, like Moodle's quiz
"grading method": ``best`` (default), ``first`` or ``last`` (:mod:`latsar.results.attempts`).
``latsar scores``, ``latsar export`` and ``latsar report`` read it; ``latsar report --percobaan``
overrides it for one report.
"""

from __future__ import annotations

from pathlib import Path

from traitlets import Enum
from traitlets.config import Configurable

from latsar.results.attempts import DEFAULT_METHOD, METHODS

#: How the page and the workbook name each method.
METHOD_LABELS = {"best": "percobaan terbaik", "first": "percobaan pertama", "last": "percobaan terakhir"}


class Mastery(Configurable):
    method = Enum(
        list(METHODS), default_value=DEFAULT_METHOD,
        help="Percobaan yang menentukan ketuntasan tiap Materi Pokok bila peserta mengikuti evaluasi ulang, "
             "seperti 'grading method' kuis Moodle: 'best' (nilai tertinggi; bawaan), 'first' (percobaan "
             "pertama) atau 'last' (percobaan terakhir).",
    ).tag(config=True)


def configured_method(root: str | Path) -> str:
    """``c.Mastery.method`` of the course's nbgrader_config.py (checked), else ``best``."""
    config_file = Path(root) / "nbgrader_config.py"
    if not config_file.is_file() or "Mastery" not in config_file.read_text(encoding="utf-8"):
        return DEFAULT_METHOD  # skip running the file (it imports nbgrader)
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    return Mastery(config=config).method
