"""Old name of :mod:`latsar.grading.sanitize`, kept for names written into notebooks, gradebook cells and
course copies of nbgrader_config.py: ``latsar.sanitize`` *is* that module (one object)."""

import sys

from latsar.grading import sanitize

sys.modules[__name__] = sanitize
