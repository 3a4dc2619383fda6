"""Old name of :mod:`latsar.kernel.activities`, kept for names written into notebooks, gradebook cells and
course copies of nbgrader_config.py: ``latsar.activities`` *is* that module (one object)."""

import sys

from latsar.kernel import activities

sys.modules[__name__] = activities
