"""nbgrader configuration for the *Berorientasi Pelayanan* course pack.

This folder is the nbgrader course directory.  Stock nbgrader commands
(`nbgrader generate_assignment`, `autograde`, `generate_feedback`, the
formgrader) read this file; `latsar` commands read it too.
"""

import os

from nbgrader.converters.autograde import Autograde
from nbgrader.converters.generate_assignment import GenerateAssignment
from nbgrader.converters.generate_feedback import GenerateFeedback
from nbgrader.preprocessors import CheckCellMetadata, Execute

from latsar.course import COURSE_ID, FREE_TEXT_STUB
from latsar.grading.kernels import ForkingExecute
from latsar.grading.preprocessors import (CheckCellMetadataOnce, ItemFeedback, PinForms, PinItemKeys, RepairGradeIds,
                                          StripWidgetState)
from latsar.grading.safehtml import EscapeAnswerHTML
from latsar.grading.sanitize import NoteTampering, ReconcileClicks, ReleaseCellsOnly

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Gradebook: nbgrader's SQLite gradebook.db in this folder by default.  A gradebook shared
# by several graders lives on PostgreSQL: set LATSAR_DB_URL (or give `latsar … --db-url`),
# e.g. postgresql://pengampu:PASSWORD@db.example/latsar, or write the URL here instead.
if os.environ.get("LATSAR_DB_URL"):
    c.CourseDirectory.db_url = os.environ["LATSAR_DB_URL"]

# Embedded default: an exchange folder inside the course directory, for one machine.
# On a JupyterHub every user's config points at one shared folder (see README).
c.Exchange.root = os.environ.get("LATSAR_EXCHANGE", os.path.join(c.CourseDirectory.root, "exchange"))

# Keys live only in course_data/item_bank.yaml; PinItemKeys writes the keys of every variant of
# each slot into the gradebook copy of its hidden test, before SaveCells.  StripWidgetState keeps
# saved widget state out of the release.
c.GenerateAssignment.preprocessors = [PinItemKeys, StripWidgetState] + list(
    GenerateAssignment.class_traits()["preprocessors"].default()
)

# Key-safe Indonesian feedback: ItemFeedback replaces each item's test cell
# (source and traceback carry the key) by a verdict and the section to re-read.
feedback = list(GenerateFeedback.class_traits()["preprocessors"].default())
c.GenerateFeedback.preprocessors = feedback[:1] + [ItemFeedback] + feedback[1:]
# Indonesian feedback page (score, mastery, sections to re-read). nbgrader always asks
# for a template named "feedback"; ours is found first, nbgrader's own stay reachable.
import latsar
import nbgrader

c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(latsar.__file__), "templates"),
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
]
# Which attempt decides mastery when a participant takes a retake (bab…_ulang1, …), like Moodle's
# quiz "grading method": "best" (highest percentage; default), "first" or "last".  Read by
# `latsar scores`, `latsar export` and `latsar report` (`latsar report --percobaan` overrides it).
c.Mastery.method = "best"

# Turn on to show the right letter for wrong items in feedback:
c.ItemFeedback.show_key = False

# A grade cell a participant deleted is put back from the gradebook and graded on
# their clicks (stock nbgrader would silently turn it into "needs manual grade").
c.OverwriteCells.add_missing_cells = True

# What a participant sees in a free-text answer cell of the release.
c.ClearSolutions.text_stub = FREE_TEXT_STUB

# Autograde: a graceful kernel shutdown sometimes stalls 2.5 s per submission.
c.Execute.shutdown_kernel = "immediate"

# Grading never runs participant code, on every path (stock `nbgrader autograde`, the
# formgrader's Autograde button, `latsar autograde`); see docs/grading-safety.md.
# Sanitise: unknown grade ids repaired, tampering noted, only release code cells kept (added or
# edited code and extra files set aside under disisihkan/, the submission flagged), and raw HTML
# in free-text answers escaped (EscapeAnswerHTML, after OverwriteCells).
# CheckCellMetadataOnce is nbgrader's CheckCellMetadata without re-checking nbgrader's own schema per cell.
once = {CheckCellMetadata: CheckCellMetadataOnce}
sanitize = [once.get(p, p) for p in Autograde.class_traits()["sanitize_preprocessors"].default()]
c.Autograde.sanitize_preprocessors = [RepairGradeIds, NoteTampering, *sanitize[:-1], ReleaseCellsOnly, sanitize[-1],
                                      EscapeAnswerHTML]
# Execute: each kernel in a sandbox that fails closed (c.Sandbox.*; latsar/sandbox.py); after
# SaveAutoGrades every item gets what its clicks earn and the review record is written.
autograde = [{Execute: ForkingExecute, **once}.get(p, p) for p in Autograde.class_traits()["autograde_preprocessors"].default()]
# PinForms, before the kernel runs: each hidden test gets the participant's assigned variant and
# option order, derived from the student id nbgrader knows (or recorded by an instructor's import),
# never read from the answer file (latsar/grading/forms.py).
c.Autograde.autograde_preprocessors = [PinForms] + autograde + [ReconcileClicks]
# Practice activities and the live quiz (cells tagged "activity") show nothing while nbgrader
# grades, so the grading kernel does not run them (18 of bab2's 28 code cells). Their tags are
# the release's (ReleaseCellsOnly restores them), so a participant cannot skip a graded cell.
c.Execute.skip_cells_with_tag = "activity"
# Our review records stay out of what nbgrader copies (into autograded/, into feedback/).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".latsar-*"]
# Less isolation only by name: c.Sandbox.mode = "none" (or `latsar autograde --sandbox none`).

# Collect (stock `nbgrader collect`, the formgrader's Collect button) refuses inbound folders not
# owned by the student's OS account, or with a forged timestamp, and lists them
# (docs/exchange-and-free-text.md).
c.ExchangeFactory.collect = "latsar.grading.exchange.OwnerCheckedCollect"
# Every HTML page built from this config (formgrader, feedback) renders markdown through an
# allowlist sanitiser and cleans HTML/JS outputs; the three settings belong together.
c.HTMLExporter.filters = {"markdown2html": "latsar.grading.safehtml.markdown2html", "clean_html": "latsar.grading.safehtml.clean"}
c.HTMLExporter.sanitize_html = True
