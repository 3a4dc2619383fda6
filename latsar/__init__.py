"""latsar — tooling for the *Berorientasi Pelayanan* nbgrader course pack.

The pipeline, in the order a newcomer should read the modules:

1. :mod:`latsar.itembank`       — the item bank in ``course_data/`` (single source of every key)
2. :mod:`latsar.notebooks`      — renders bank items into the source notebooks (``latsar sync``)
3. :mod:`latsar.answers`        — the click-to-answer widget and the answer file it persists;
   :mod:`latsar.activities`     — ungraded practice widgets used in the lessons
4. :mod:`latsar.preprocessors`  — nbgrader preprocessors: pin keys into the gradebook only,
                                  strip widget state, key-safe Indonesian feedback
5. :mod:`latsar.release`        — ``latsar release``: sync + stock ``generate_assignment``
6. :mod:`latsar.import_answers` — answer sheets (CSV) → nbgrader submissions
7. :mod:`latsar.autograde`      — ``latsar autograde``: plan, run in parallel, summarise;
   :mod:`latsar.grader`         — one worker: nbgrader's Autograde, retries, reasons;
   :mod:`latsar.kernels`        — fork-server kernels started ahead of need
8. :mod:`latsar.scores`         — chosen letters + gradebook points → score tables;
   :mod:`latsar.export`         — ``latsar export``: CSV and Parquet
9. :mod:`latsar.report`         — ``latsar report``: item analysis, mastery, Excel and HTML
10. :mod:`latsar.demo`          — ``latsar demo``: the whole pipeline on a simulated cohort

:mod:`latsar.course` owns every path; :mod:`latsar.cli` is the command line.
"""

__version__ = "0.1.0"
