"""Code imported inside participants' kernels: the click-to-answer widget and the answer file it
persists (:mod:`.answers`), each participant's form of variants and option orders
(:mod:`.forms`), and the ungraded practice widgets (:mod:`.activities`).

Keep it light: every lesson imports it when it opens.  Committed notebooks and gradebook cells
name these modules ``latsar.answers`` and ``latsar.activities`` (thin aliases, same objects)."""
