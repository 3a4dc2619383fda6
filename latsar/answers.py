"""Old name of :mod:`latsar.kernel.answers`, kept for names written into notebooks, gradebook cells and
course copies of nbgrader_config.py: ``latsar.answers`` *is* that module (one object)."""

import sys

from latsar.kernel import answers

sys.modules[__name__] = answers
