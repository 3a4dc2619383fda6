"""Old name of :mod:`latsar.grading.preprocessors`, kept for names written into notebooks, gradebook cells and
course copies of nbgrader_config.py: ``latsar.preprocessors`` *is* that module (one object)."""

import sys

from latsar.grading import preprocessors

sys.modules[__name__] = preprocessors
