"""latsar — tooling for the *Berorientasi Pelayanan* nbgrader course pack.

One folder per stage of the pipeline, in the order a newcomer should read them; an import only
ever goes to an earlier stage:

1. :mod:`latsar.course`    — the course directory: every path and course constant, one atomic write
                             and one CSV reader (``files``), nbgrader's API (``nbgrader_api``), the
                             gradebook database (``gradebook``), crash-test points (``failpoints``)
2. :mod:`latsar.authoring` — the item bank (single source of every key), the notebooks rendered
                             from it (``latsar sync``) and their release (``latsar release``)
3. :mod:`latsar.kernel`    — what runs in participants' kernels: the click-to-answer widget and
                             its answer file, the practice widgets
4. :mod:`latsar.grading`   — what nbgrader runs on a submission on every path (preprocessors,
                             sanitising, sandboxed kernels, collect), answer-sheet import, and
                             ``latsar autograde`` (batch → worker)
5. :mod:`latsar.results`   — chosen letters + gradebook points → score tables; ``latsar export``
6. :mod:`latsar.report`    — ``latsar report``: item analysis, mastery, Excel and HTML;
   :mod:`latsar.live`      — the live quiz (service, store, widget);
   :mod:`latsar.hub`       — ``latsar hub``: the course on a JupyterHub, closed to participants
7. :mod:`latsar.cli`       — the command line; :mod:`latsar.demo` and :mod:`latsar.simulate` —
                             ``latsar demo`` on a simulated cohort

``latsar.answers``, ``latsar.activities``, ``latsar.preprocessors``, ``latsar.sanitize``,
``latsar.kernels``, ``latsar.safehtml`` and ``latsar.exchange`` are the old names of modules
that notebooks, gradebook cells and copies of nbgrader_config.py may still import: each *is*
the module of its stage (``tests/test_layout.py`` guards them).
"""

__version__ = "0.1.0"
