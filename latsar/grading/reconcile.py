"""Grades are what the clicks earn: the submitted answer file, the participant's assigned form and
the keys pinned in the gradebook decide each item's grade, whatever the kernel did (run by :class:`latsar.grading.sanitize.ReconcileClicks`)."""

from __future__ import annotations

from latsar.course import ANSWER_FILE, Course


def reconcile(course: Course, db_url: str, student: str, assignment: str) -> list[str]:
    """Make each item's grade what the clicks in the *submitted* ``.jawaban.json`` earn.

    A participant's code runs before the hidden tests and could patch
    ``check`` (or kill the kernel, or shadow ``latsar``); the answer file as
    submitted and the key nbgrader pinned into the gradebook decide.  A
    difference is corrected through nbgrader's own gradebook API and reported.
    The autograded copy of the answer file, read by reports, is put back to
    the submitted one if the kernel changed it."""
    from nbgrader.api import Gradebook, MissingEntry

    from latsar.grading.forms import assigned_form, pinned
    from latsar.kernel.answers import AnswerStore
    from latsar.grading.sanitize import write_private

    notes = []
    submitted = course.submission_dir(student, assignment) / ANSWER_FILE
    graded = course.autograded_dir(student, assignment) / ANSWER_FILE
    if submitted.exists() and (not graded.exists() or graded.is_symlink()
                               or graded.read_bytes() != submitted.read_bytes()):
        write_private(graded, submitted.read_bytes())  # never through a link planted in autograded/
        notes.append(f"{ANSWER_FILE} diubah saat penilaian; dipulihkan dari kiriman")
    answers = AnswerStore(submitted.parent).records()
    bank = course.item_bank
    slots = {item.id: item for item in bank.for_assignment(assignment)}
    forms: dict = {}
    corrected = []
    with Gradebook(db_url) as gb:
        try:
            notebook = gb.find_submission_notebook(assignment, assignment, student)
        except MissingEntry:
            return notes
        sources = {cell.name: cell.source for cell in notebook.notebook.source_cells}  # one query, not one per item
        for grade in notebook.grades:
            item = slots.get(grade.name)
            if item is None or grade.manual_score is not None:
                continue
            pins = pinned(sources.get(grade.name, ""))
            record = answers.get(item.id)
            if isinstance(pins.get("keys"), dict):  # every variant's key: scored on the assigned form
                attempt = pins.get("attempt", 1)
                if attempt not in forms:
                    forms[attempt] = assigned_form(course.root, bank, student, assignment, attempt)
                variant, _order = forms[attempt][item.id]
                right = record is not None and record.variant == variant and record.choice == pins["keys"].get(variant)
            else:  # an older gradebook: one key, the module form
                key = pins.get("key", item.key)
                right = record is not None and record.choice == key
            earned = float(grade.max_score) if right else 0.0
            if grade.auto_score is None or float(grade.auto_score) != earned or grade.needs_manual_grade:
                was = "tanpa nilai" if grade.auto_score is None else f"{float(grade.auto_score):g}"
                corrected.append(f"{item.id} ({was} → {earned:g})")
                grade.auto_score = earned
                grade.needs_manual_grade = False
        if corrected:
            gb.db.commit()
    if corrected:
        notes.append("skor dari kernel tidak sesuai klik, dikoreksi ke skor klik: " + ", ".join(corrected))
    return notes
