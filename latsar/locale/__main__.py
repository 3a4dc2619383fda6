"""``python -m latsar.locale``: rebuild ``latsar.mo`` from ``latsar.po``."""

from latsar.course.files import atomic_write
from latsar.locale import MO, compiled

atomic_write(MO, compiled())
print(f"{MO} ditulis")
