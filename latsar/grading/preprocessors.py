"""nbgrader preprocessors that keep the key away from participants.

They plug into stock nbgrader through ``nbgrader_config.py`` (the
``preprocessors`` lists of ``GenerateAssignment`` and ``GenerateFeedback``), so
the instructor keeps using nbgrader's own commands and formgrader.

- :class:`PinItemKeys` — at ``generate_assignment``, before ``SaveCells``:
  writes each item's key from the bank into the hidden test region.  The
  gradebook stores that source (autograde restores it); ``ClearHiddenTests``
  removes it from the release.  Only the gradebook ever holds a key.
- :class:`StripWidgetState` — widget state saved in a source notebook would
  otherwise pass into the release.
- :class:`RepairGradeIds` — at autograde, before nbgrader's sanitizing: a
  graded cell with an id the gradebook does not know becomes a plain cell, so
  nbgrader puts the real one back instead of failing the submission.
- :class:`ItemFeedback` — at ``generate_feedback``: replaces each item's test
  cell (whose source and traceback carry the key) by a verdict in Indonesian,
  the participant's own choice, the module section to re-read and, for a wrong
  answer, the item's one-sentence explanation; the key only when
  ``ItemFeedback.show_key`` is on.
- :class:`CheckCellMetadataOnce` — nbgrader's ``CheckCellMetadata`` in both autograde lists,
  validating against nbgrader's schema without re-checking the schema for every cell.
"""

from __future__ import annotations

import html
import traceback
from pathlib import Path

import jsonschema
from nbformat.v4 import new_output
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata, NbGraderPreprocessor
from traitlets import Bool

from latsar.kernel.answers import AnswerStore
from latsar.course import ITEM_BANK, find_course_root, mastered
from latsar.authoring.itembank import LETTERS, ItemBank
from latsar.authoring.notebooks import answer_source, attempt_of, item_forms, item_keys, item_options  # noqa: F401


def _bank_for(resources) -> ItemBank:
    folder = resources.get("metadata", {}).get("path") or "."
    root = find_course_root(folder)
    if root is None:
        raise RuntimeError(f"Tidak menemukan {ITEM_BANK} di atas {Path(folder).resolve()}")
    return ItemBank.shared(root / ITEM_BANK)


def _part(cell) -> tuple[str | None, str | None]:
    mark = cell.metadata.get("latsar", {})
    return mark.get("item"), mark.get("part")


class PinItemKeys(NbGraderPreprocessor):
    """Write the keys of every variant of each slot into its hidden test (gradebook copy only)."""

    def preprocess(self, nb, resources):
        bank = _bank_for(resources)
        attempt = attempt_of(nb)
        assignment = resources.get("nbgrader", {}).get("assignment")
        for cell in nb.cells:
            item_id, part = _part(cell)
            if part == "answer":
                item = bank[item_id]
                cell.source = answer_source(item_id, forms=item_forms(bank, item_id),
                                            assignment=assignment or item.assignment, attempt=attempt,
                                            keys=item_keys(bank, item_id))
        return nb, resources


class PinForms(NbGraderPreprocessor):
    """At autograde, before the kernel runs: pin each participant's assigned form into every item's
    hidden test (and into the call that prints the saved choice).

    The form is derived from the student id nbgrader knows, or taken from the one an instructor's
    import recorded (:func:`latsar.grading.forms.assigned_form`); never from the answer file.  The
    sources are the gradebook's (nbgrader's ``OverwriteCells`` restored them), so the attempt they
    name is the instructor's.  An answer file that claims another form is flagged by
    :func:`latsar.grading.inspect.inspect_submission` (``NoteTampering``)."""

    def preprocess(self, nb, resources):
        from latsar.grading.forms import assigned_form, pin_form, pinned

        info = resources["nbgrader"]
        bank = _bank_for(resources)
        root = find_course_root(resources.get("metadata", {}).get("path") or ".")
        slots = {item.id for item in bank}
        forms: dict = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type != "code" or grade_id not in slots:
                continue
            pins = pinned(cell.source)
            if not isinstance(pins.get("keys"), dict):
                continue  # an older gradebook: one key, the module form
            attempt = pins.get("attempt", 1)
            if attempt not in forms:
                forms[attempt] = assigned_form(root, bank, info["student"], info["assignment"], attempt)
            variant, order = forms[attempt].get(grade_id, (grade_id, "abcd"))
            cell.source = pin_form(cell.source, variant, order)
        return nb, resources


class StripWidgetState(NbGraderPreprocessor):
    """Drop saved ipywidgets state and widget outputs from the notebook."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            cell.metadata.pop("widgets", None)
        return nb, resources


class ItemFeedback(NbGraderPreprocessor):
    """Key-safe, Indonesian feedback for every graded item."""

    show_key = Bool(
        False,
        help="Tampilkan huruf kunci jawaban di umpan balik untuk soal yang salah "
        "(show the right letter in feedback for wrong items). Off by default.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        from latsar.grading.forms import assigned_form, pinned

        bank = _bank_for(resources)
        folder = resources.get("metadata", {}).get("path") or "."
        chosen = AnswerStore(folder).records()
        info = resources.get("nbgrader", {})
        self._pretest = _is_pretest(info.get("assignment"))
        derived = None
        results = []
        for cell in nb.cells:
            item_id, part = _part(cell)
            if part == "answer":
                pins = pinned(cell.source)
                if isinstance(pins.get("variant"), str) and isinstance(pins.get("order"), str):
                    form = (pins["variant"], pins["order"])  # what grading scored
                elif "key" in pins:
                    form = (item_id, "abcd")  # an older gradebook: the module form
                else:
                    if derived is None:
                        root = find_course_root(folder)
                        derived = {} if root is None else assigned_form(
                            root, bank, info.get("student", ""), info.get("assignment", bank[item_id].assignment),
                            pins.get("attempt", 1))
                    form = derived.get(item_id, (item_id, "abcd"))
                try:
                    variant = bank.variant(form[0])
                except KeyError:
                    variant = bank[item_id]
                order = form[1] if sorted(form[1]) == list(LETTERS) and variant.id == form[0] else "abcd"
                record = chosen.get(item_id)
                letter = None
                if record is not None and record.variant == variant.id:
                    letter = LETTERS[order.index(record.choice)]
                results.append((bank[item_id], self._verdict(cell, variant, order, letter,
                                                             other=record is not None and letter is None)))
            elif cell.cell_type == "code" and "activity" in cell.metadata.get("tags", []):
                self._activity(cell)
            elif cell.cell_type == "code" and "reflection" in cell.metadata.get("latsar", {}):
                # autograde printed the participant's reflection: keep it, hide the call
                cell.metadata.setdefault("transient", {})["remove_source"] = True
        if results:
            resources["latsar"] = summary(bank, results, pretest=self._pretest)
        return nb, resources

    def _verdict(self, cell, item, order: str, letter: str | None, other: bool = False) -> bool:
        """``item`` is the participant's variant, ``order`` the order they saw it in, ``letter``
        their choice as shown; every letter here is a shown one."""
        grading = cell.metadata.get("nbgrader", {})
        score = grading.get("score")
        points = grading.get("points", item.points)
        right = score is not None and points and float(score) >= float(points)
        shown = f"{_fmt(score)}/{_fmt(points)} poin"
        if letter:
            mine = f"Jawaban Anda: <b>{letter}</b>."
        elif other:
            mine = "Jawaban tersimpan bukan untuk soal yang ditampilkan kepada Anda."
        else:
            mine = "Anda tidak menjawab soal ini."
        if right:
            text = f"✔ <b>Benar</b> ({shown}). {mine}"
            color = "#1b5e20"
        else:
            where = (f"bagian <b>{html.escape(item.section.label)}</b> "
                     f"di notebook <b>{html.escape(item.assignment)}.ipynb</b>")
            # the pre-test comes before the lessons: nothing to re-read yet
            text = (f"✘ <b>Belum tepat</b> ({shown}). {mine} "
                    + (f"Hal ini dibahas di {where}." if self._pretest else f"Baca ulang {where}."))
            if self.show_key:
                text += f" Jawaban yang benar: <b>{LETTERS[order.index(item.key)]}</b>."
            # the same sentence whatever the key (the bank refuses one naming a letter or an option)
            text += f"<br>💡 {html.escape(item.explanation)}"
            color = "#b00020"
        plain = html.unescape(text.replace("<b>", "").replace("</b>", "").replace("<br>", "\n"))
        options, options_plain = _options(item, order, letter)
        stem_html = f"<p>{_stem_html(item.stem)}</p>"
        cell.source = f"# Soal {item.number}"
        cell.metadata.setdefault("latsar", {})["number"] = item.number  # the template's heading
        cell.outputs = [
            new_output(
                "display_data",
                data={"text/html": f"{stem_html}{options}<p style='color:{color}'>{text}</p>",
                      "text/plain": f"{item.stem}\n{options_plain}\n{plain}"},
            )
        ]
        cell.execution_count = None
        cell.metadata.setdefault("transient", {})["remove_source"] = True
        return bool(right)

    @staticmethod
    def _activity(cell) -> None:
        """Practice widgets do not render in a static page; say so instead."""
        cell.outputs = [
            new_output(
                "display_data",
                data={"text/plain": "(Latihan interaktif — buka notebook di JupyterLab untuk mencobanya.)"},
            )
        ]
        cell.execution_count = None
        cell.metadata.setdefault("transient", {})["remove_source"] = True


def _options(item, order: str, letter: str | None) -> tuple[str, str]:
    """The options as the participant saw them (their variant, their order, the letters shown),
    their own choice marked; never the key."""
    rows, lines = [], []
    for shown, canonical in zip(LETTERS, order):
        text = f"{shown}. {item.options[canonical]}"
        if shown == letter:
            rows.append(f"<li><b>{html.escape(text)}</b> ← jawaban Anda</li>")
            lines.append(f"✔ {text}   ← jawaban Anda")
        else:
            rows.append(f"<li>{html.escape(text)}</li>")
            lines.append(f"  {text}")
    return (f"<ul>{''.join(rows)}</ul>",
            "\n".join(lines))


def _stem_html(stem: str) -> str:
    """The stem's emphasis (``**bukan**``, ``*istilah*``) kept, everything else escaped."""
    import re

    text = html.escape(stem)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)


def _is_pretest(assignment) -> bool:
    from latsar.course import assignment_attempt

    return isinstance(assignment, str) and assignment_attempt(assignment)[1] == 0


def summary(bank: ItemBank, results, pretest: bool = False) -> dict:
    """Score and mastery of one Materi Pokok evaluation, and the sections to re-read (module order).

    The pre-test (``pretest``) has a score only: no mastery verdict, no sections to re-read."""
    right = sum(item.points for item, ok in results if ok)
    total = sum(item.points for item, _ in results)
    if pretest:
        return {"pretest": True, "benar": right, "maks": total,
                "persen": round(100 * right / total, 1) if total else 0.0}
    wrong_sections = {item.section.id for item, ok in results if not ok}
    return {
        "materi_pokok": results[0][0].materi_pokok,
        "benar": right,
        "maks": total,
        "persen": round(100 * right / total, 1) if total else 0.0,
        "tuntas": bool(mastered(right, total)),
        "baca_ulang": [s.label for sid, s in bank.sections.items() if sid in wrong_sections],
    }


def _fmt(value) -> str:
    if value is None:
        return "–"
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


class RepairGradeIds(NbGraderPreprocessor):
    """Sanitize step before nbgrader's own: a graded cell whose ``grade_id`` the gradebook
    does not know, or a second cell with the same id, becomes a plain cell.

    Stock ``OverwriteCells`` deletes only the id, and the cell, still marked as
    graded, then fails ``CheckCellMetadata`` — the whole submission with it.
    Without the marks the real cell is simply missing and ``add_missing_cells``
    puts it back from the gradebook."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                known = {c.name for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
            except MissingEntry:
                return nb, resources
        seen = set()
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if "nbgrader" in cell.metadata and (grade_id not in known or grade_id in seen):
                # unknown, or a second copy: stock DeduplicateIds would leave the marks without
                # an id, and OverwriteCells.add_missing_task_cells then fails on them (KeyError)
                del cell.metadata["nbgrader"]
            seen.add(grade_id)
        return nb, resources



class _CompiledSchema(BaseMetadataValidator):
    """The schema part of nbgrader's ``validate_cell``, with a validator built once per process.

    ``jsonschema.validate`` checks the schema itself against its meta-schema on every
    call (once per nbgrader cell, twice per submission): 90 % of ``CheckCellMetadata``'s
    time.  A validator built once from the same schema raises the same error
    (``best_match``, as ``jsonschema.validate`` does)."""

    _validators: dict = {}

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        if cell.metadata["nbgrader"].get("schema_version", 0) != self.schema_version:
            return super().validate_cell(cell)  # nbgrader's own too-old / too-new errors
        validator = self._validators.get(self.schema_version)
        if validator is None:
            cls = jsonschema.validators.validator_for(self.schema)
            cls.check_schema(self.schema)
            validator = self._validators[self.schema_version] = cls(self.schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class CompiledMetadataValidator(MetadataValidator, _CompiledSchema):
    """nbgrader's v3 validator; its ``super().validate_cell`` reaches :class:`_CompiledSchema`."""


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata`` with :class:`CompiledMetadataValidator`: the same checks and
    errors, without re-checking nbgrader's schema for every cell (0.016 s per submission)."""

    def preprocess(self, nb, resources):
        try:
            CompiledMetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg)
        return nb, resources
