"""Old name of :mod:`latsar.grading.exchange`, kept for names written into notebooks, gradebook cells and
course copies of nbgrader_config.py: ``latsar.exchange`` *is* that module (one object)."""

import sys

from latsar.grading import exchange

sys.modules[__name__] = exchange
