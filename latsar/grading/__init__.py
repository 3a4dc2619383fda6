"""Grading: what nbgrader runs on a submission, on every path (stock ``nbgrader autograde``, the
formgrader, ``latsar autograde``), and the batch runner around it.

- :mod:`.preprocessors`, :mod:`.sanitize`, :mod:`.safehtml`: the steps nbgrader_config.py lists;
- :mod:`.kernels`, :mod:`.sandbox`: each kernel forked into a sandbox that fails closed;
- :mod:`.exchange`: collect that refuses forged submissions;
- :mod:`.import_answers`: answer sheets (CSV) → nbgrader submissions;
- :mod:`.options`: ``latsar autograde``'s options as traitlets config;
- :mod:`.batch` (plan, run in parallel, summarise) → :mod:`.worker` (one process, nbgrader's
  Autograde) → :mod:`.inspect` (why a file cannot be graded) and :mod:`.reconcile` (grades = clicks).
"""
