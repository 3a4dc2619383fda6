"""Old name of :mod:`latsar.grading.safehtml`, kept for names written into notebooks, gradebook cells and
course copies of nbgrader_config.py: ``latsar.safehtml`` *is* that module (one object)."""

import sys

from latsar.grading import safehtml

sys.modules[__name__] = safehtml
