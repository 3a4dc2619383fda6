"""``latsar autograde``'s options as traitlets config, the way nbgrader takes its own.

The command-line flags are turned into one :class:`~traitlets.config.Config` once
(:func:`grading_config`), merged on top of the course's ``nbgrader_config.py`` and handed to every
worker whole.  Each option is a trait of the class that uses it, so it can equally be set in
``nbgrader_config.py`` (``c.BatchAutograde.workers = 4``) and reads the same on every path:

======================  ===========================================  ======================
flag                    trait                                        used by
======================  ===========================================  ======================
``--workers``           ``BatchAutograde.workers``                   :mod:`.batch`
(none)                  ``BatchAutograde.retries``                   :mod:`.worker`
``--cell-timeout``      ``Execute.timeout`` (ForkingExecute's too)   nbgrader, :mod:`.kernels`
``--notebook-timeout``  ``ForkingExecute.notebook_timeout``          :mod:`.kernels`
``--sandbox`` …         ``Sandbox.mode``, ``cpu_seconds``, …         :mod:`.sandbox`
``--db-url``            ``CourseDirectory.db_url``                   nbgrader
======================  ===========================================  ======================
"""

from __future__ import annotations

from traitlets import Integer
from traitlets.config import Config, Configurable


class BatchAutograde(Configurable):
    """How ``latsar autograde`` spreads a batch over processes."""

    workers = Integer(0, help="Jumlah proses penilai paralel; 0 = satu per inti CPU. "
                      "Parallel grading processes; 0 means one per CPU core.").tag(config=True)
    retries = Integer(2, help="Berapa kali kiriman dinilai ulang setelah gangguan infrastruktur (kernel mati "
                      "sebelum kode peserta berjalan, gradebook terkunci). Retries after an infrastructure "
                      "fault; a fault of the participant's own notebook is never retried.").tag(config=True)


def grading_config(*, workers: int | None = None, cell_timeout: int | None = None,
                   notebook_timeout: int | None = None, sandbox: dict | None = None,
                   db_url: str | None = None, retries: int | None = None) -> Config:
    """The command line's values as config; a value left ``None`` keeps nbgrader_config.py's (or the default)."""
    config = Config()
    if workers is not None:
        config.BatchAutograde.workers = workers
    if retries is not None:
        config.BatchAutograde.retries = retries
    if cell_timeout is not None:
        config.Execute.timeout = cell_timeout  # stock Execute, and ForkingExecute even when a config sets it
        config.ForkingExecute.timeout = cell_timeout
    if notebook_timeout is not None:
        config.ForkingExecute.notebook_timeout = notebook_timeout
    for name, value in (sandbox or {}).items():
        config.Sandbox[name] = value
    if db_url is not None:
        config.CourseDirectory.db_url = db_url
    return config
