"""Click-to-answer graded items, and the answer file that makes a click gradable.

Widget state is lost when nbgrader autogrades (it re-runs the notebook in a
fresh kernel) and JupyterLab does not save it by default.  So every click is
written at once to ``.jawaban.json`` beside the notebook.  That file travels
with the notebook through ``nbgrader submit``, ``collect`` and ``autograde``;
the hidden test of each item reads it, and reports read the chosen letters from
it (nbgrader itself keeps only points).

The released notebook only ever calls :func:`choose`, with the texts of the
options (the kernel never has the item bank, which holds the keys); :func:`check` runs in the
hidden test whose key is pinned into the gradebook at ``generate_assignment``
(see :mod:`latsar.grading.preprocessors`).  Neither message ever names the key.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

from latsar.course import ANSWER_FILE, find_course_root
from latsar.course.files import atomic_write
from latsar.authoring.itembank import LETTERS
from latsar.kernel.forms import (CANONICAL, DEFAULT_ATTEMPT, canonical_letter, is_order, option_order, participant,
                                 shown_letter, variant_for)
from latsar.kernel.look import new

#: The answer file's format: ``{"answers": {slot: {"variant", "order", "choice"}}}``.
FORMAT = "latsar-jawaban/2"
#: The first format, ``{"answers": {slot: letter}}``: the module item in the module's order.
FORMAT_V1 = "latsar-jawaban/1"
#: A record's variant id and order are data from a participant's file: bounded before use.
_MAX_ID = 64


class Answer(NamedTuple):
    """One saved answer: the variant shown, the order shown (``order[i]`` is the canonical option
    shown as letter ``LETTERS[i]``) and the choice, a canonical letter of the variant's options."""

    variant: str
    order: str
    choice: str

    @property
    def shown(self) -> str | None:
        """The letter the participant clicked (None when the order is not one of a–d)."""
        return shown_letter(self.order, self.choice) if is_order(self.order) else None


def _record(slot: str, value: object) -> Answer | None:
    """One entry of the file as an :class:`Answer`; a v1 letter is the module item in the module's order."""
    if isinstance(value, str):
        return Answer(slot, CANONICAL, value) if value in LETTERS else None
    if not isinstance(value, dict):
        return None
    variant, order, choice = value.get("variant"), value.get("order"), value.get("choice")
    if not (isinstance(variant, str) and isinstance(order, str) and isinstance(choice, str)):
        return None
    if choice not in LETTERS or len(variant) > _MAX_ID or len(order) > _MAX_ID:
        return None
    return Answer(variant, order, choice)


class AnswerStore:
    """The answers of one notebook folder (``.jawaban.json``)::

        {"format": "latsar-jawaban/2",
         "answers": {"MP1-01": {"variant": "MP1-01-v3", "order": "cadb", "choice": "b"}}}

    A v1 file (``{"MP1-01": "b"}``) still reads: the module item, shown in the module's order."""

    def __init__(self, folder: str | Path = "."):
        self.path = Path(folder) / ANSWER_FILE

    def records(self) -> dict[str, Answer]:
        """Every saved answer by slot; a missing or damaged file (or entry) reads as no answer."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            answers = data["answers"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        if not isinstance(answers, dict):
            return {}
        out = {}
        for slot, value in answers.items():
            record = _record(str(slot), value)
            if record is not None:
                out[str(slot)] = record
        return out

    def load(self) -> dict[str, str]:
        """Chosen options by slot, in canonical terms (letters of the variant's options as in the bank)."""
        return {slot: record.choice for slot, record in self.records().items()}

    def get(self, item_id: str) -> str | None:
        return self.load().get(item_id)

    def record(self, item_id: str) -> Answer | None:
        return self.records().get(item_id)

    def set(self, item_id: str, letter: str, *, variant: str | None = None, order: str = CANONICAL) -> None:
        """Save the canonical choice ``letter`` of slot ``item_id``, shown as ``variant`` in ``order``."""
        if letter not in LETTERS:
            raise ValueError(f"pilihan harus salah satu dari a–d, bukan {letter!r}")
        if not is_order(order):
            raise ValueError(f"urutan pilihan tidak sah: {order!r}")
        answers = self.records()
        answers[item_id] = Answer(variant or item_id, order, letter)
        self.write(answers)

    def write(self, answers) -> None:
        write_answers(self.path.parent, answers)


def write_answers(folder: str | Path, answers, mode: int = 0o600) -> Path:
    """Atomically write the answer file (also used by ``latsar import-answers``), always in the
    current format.  ``answers`` maps each slot to an :class:`Answer` (or a ``(variant, order,
    choice)`` triple, or a ``{"variant", "order", "choice"}`` dict), or to a bare letter: the
    module item in the module's order, as a v1 file meant.

    ``0600`` in a participant's home: a neighbour must not copy one's clicks."""
    folder = Path(folder)
    records = {}
    for slot, value in answers.items():
        if isinstance(value, str):
            value = Answer(slot, CANONICAL, value)
        elif isinstance(value, dict):
            value = Answer(value["variant"], value["order"], value["choice"])
        variant, order, choice = value
        records[str(slot)] = {"variant": str(variant), "order": str(order), "choice": str(choice)}
    payload = {"format": FORMAT, "answers": dict(sorted(records.items()))}
    text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    atomic_write(folder / ANSWER_FILE, text, mode=mode)  # nbgrader submit copies the mode to the exchange
    return folder / ANSWER_FILE


def _preview_mode(folder: Path) -> bool:
    """True inside the instructor's course folder (source/, release/, …).

    There a click must not write an answer file: nbgrader copies every
    non-notebook file of ``source/`` into the release and over each
    participant's autograded folder.
    """
    return find_course_root(folder) is not None


def choose(item_id: str, options: Sequence[str] | None = None, *, assignment: str | None = None,
           attempt: int = DEFAULT_ATTEMPT, forms: Mapping[str, tuple[str, Sequence[str]]] | None = None,
           form: tuple[str, str] | None = None) -> None:
    """Show one graded item as buttons and persist each click.

    ``forms`` (written into the released cell by ``latsar sync``; the kernel never has the item
    bank) holds every variant of the slot: its id → (stem, texts of options a–d as in the bank).
    The participant's own form (:mod:`latsar.kernel.forms`: who they are, ``assignment`` — by
    default this folder's name — and ``attempt``) picks the variant whose stem and options they
    see, and the order of the options; ``form`` (pinned by grading) gives it instead.  Older
    notebooks pass ``options`` (the module item's texts in the module's order), or nothing (the
    bare letters).

    While nbgrader autogrades (``NBGRADER_EXECUTION=autograde``) nobody can click, so the saved
    choice is printed as text instead of building widgets, with the options in the participant's
    order and the saved one marked: the instructor reads it in the formgrader, and grading skips
    hundreds of widget messages per notebook.
    """
    variant, order, stem = item_id, CANONICAL, None
    if forms:
        variant, order = form or my_form(item_id, list(forms), assignment or Path.cwd().name, attempt)
        if variant not in forms or not is_order(order):
            variant, order = next(iter(forms)), CANONICAL
        stem, options = forms[variant]
    if autograding():
        record = AnswerStore(Path.cwd()).record(item_id)
        letter = shown_letter(order, record.choice) if record and record.variant == variant else None
        text = saved_text(letter, _in_order(options, order) if options else None)
        print(f"{_plain(stem)}\n\n{text}" if stem else text)
        return
    from IPython.display import Markdown, display

    if stem:
        display(Markdown(stem))
    display(choice_widget(item_id, Path.cwd(), options, variant=variant, order=order))


def my_form(item_id: str, variants: Sequence[str], assignment: str, attempt: int = DEFAULT_ATTEMPT) -> tuple[str, str]:
    """This participant's variant and option order for one slot."""
    user = participant()
    return variant_for(user, item_id, variants, attempt), option_order(user, assignment, item_id, attempt)


def _in_order(options: Sequence[str], order: str) -> list[str]:
    """The texts of a variant's options a–d (as in the bank) in the order shown."""
    texts = _texts(options)
    return [texts[LETTERS.index(canonical)] for canonical in order]


def _plain(stem: str) -> str:
    return stem.replace("**", "").replace("*", "")


def autograding() -> bool:
    """True in nbgrader's autograde kernel (nbgrader sets this variable for that purpose)."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def saved_text(letter: str | None, options: Sequence[str] | None = None) -> str:
    """The saved choice as plain text; with ``options``, every option, the saved one marked."""
    head = f"Jawaban tersimpan: {letter}" if letter else "Belum dijawab."
    if not options:
        return head
    lines = [head]
    for option, text in zip(LETTERS, _texts(options)):
        mark = "✔" if option == letter else " "
        lines.append(f"{mark} {option}. {text}" + ("   ← jawaban tersimpan" if option == letter else ""))
    return "\n".join(lines)


def _texts(options: Sequence[str]) -> list[str]:
    texts = [str(text) for text in options]
    if len(texts) != len(LETTERS):
        raise ValueError(f"butuh {len(LETTERS)} teks pilihan (a–d), bukan {len(texts)}")
    return texts


#: Option buttons are full width and wrap long texts; ipywidgets' buttons are one line, cut off
#: with an ellipsis.  An HTML widget's value is not sanitized, so its <style> reaches the page.
STYLE = """<style>
.latsar-opsi.jupyter-button {
  white-space: normal; height: auto; min-height: var(--jp-widgets-inline-height, 28px);
  text-align: left; line-height: 1.4; padding: 6px 12px; overflow: visible; text-overflow: clip;
}
/* ipywidgets' green (#388e3c) gives white text 4.1:1; this one 5.1:1 (WCAG AA asks 4.5:1) */
.latsar-opsi.jupyter-button.mod-success { font-weight: bold; background-color: #2e7d32; }
.latsar-opsi.jupyter-button:focus-visible { outline: 3px solid #1565c0; outline-offset: 1px; }
</style>"""


def choice_widget(item_id: str, folder: Path, options: Sequence[str] | None = None, *,
                  variant: str | None = None, order: str = CANONICAL):
    """One button per option plus a status line; a click is saved to ``folder`` at once.

    With ``options`` each button is a whole row, "b. <text>"; without, the bare
    letters a–d.  They are ``<button>`` elements, so Tab, Enter and Space work,
    and each one's accessible name is its letter and text.  The saved choice is
    marked in words (*✔ dipilih*), not by colour alone.

    ``options`` are the texts of the variant's options a–d as in the bank; they are shown in
    ``order`` (shown letter ``LETTERS[i]`` is canonical option ``order[i]``), and a click saves the
    variant, the order and the canonical choice.  Every message names the letters as shown.

    The box's children are the buttons' box (``children[0]``, one button per
    letter, in screen order) and the status line (``children[1]``).
    """
    import ipywidgets as widgets

    folder = Path(folder)
    preview = _preview_mode(folder)
    store = AnswerStore(folder)
    variant = variant or item_id
    if not is_order(order):
        raise ValueError(f"urutan pilihan tidak sah: {order!r}")
    texts = _in_order(options, order) if options else None
    labels = {letter: f"{letter}. {texts[n]}" if texts else letter for n, letter in enumerate(LETTERS)}

    buttons = {}
    for letter in LETTERS:
        layout = dict(width="100%", height="auto", margin="2px 0") if texts else \
            dict(width="auto", min_width="3.5em")
        button = new(widgets.Button, description=labels[letter], layout=layout)
        button.add_class("latsar-opsi")
        buttons[letter] = button
    status = new(widgets.HTML)

    def mark(chosen: str | None) -> None:
        for letter, button in buttons.items():
            picked = letter == chosen
            button.description = f"{labels[letter]}  ✔ dipilih" if picked else labels[letter]
            button.button_style = "success" if picked else ""
            button.tooltip = f"Jawaban {letter} dipilih" if picked else f"Pilih jawaban {letter}"

    def show(letter: str | None, error: str | None = None) -> None:
        if error:
            text = f"<span style='color:#b00020'>⚠ {error}</span>"
        elif preview:
            text = "<i>Mode pratinjau pengampu: pilihan tidak disimpan di folder kursus.</i>"
        elif letter is None:
            where = "salah satu pilihan di atas" if texts else "salah satu huruf"
            text = f"<span style='color:#666'>Belum dijawab — klik {where}.</span>"
        else:
            text = f"<span style='color:#1b5e20'>✔ Jawaban <b>{letter}</b> tersimpan.</span>"
        status.value = STYLE + text

    def on_click(letter: str):
        def clicked(_button) -> None:
            if preview:
                mark(letter)
                show(letter)
                return
            try:
                store.set(item_id, canonical_letter(order, letter), variant=variant, order=order)
            except OSError as exc:
                show(None, f"Jawaban belum tersimpan ({exc.strerror}). Coba klik lagi atau hubungi pengampu.")
            else:
                mark(letter)
                show(letter)
                from latsar.kernel.progress import changed

                changed()  # the lesson's progress view counts the answer at once
        return clicked

    for letter, button in buttons.items():
        button.on_click(on_click(letter))
    saved = None if preview else store.record(item_id)
    current = shown_letter(order, saved.choice) if saved and saved.variant == variant else None
    mark(current)
    show(current)
    box = widgets.VBox if texts else widgets.HBox
    return new(widgets.VBox, [new(box, list(buttons.values()), layout=dict(width="100%")), status])


class NotAnswered(AssertionError):
    pass


class WrongAnswer(AssertionError):
    pass


def check(item_id: str, key: str | None = None, *, keys: Mapping[str, str] | None = None,
          attempt: int = DEFAULT_ATTEMPT, variant: str | None = None, order: str | None = None) -> None:
    """Hidden test of one item: passes only when the saved choice is the key of the assigned variant.

    At ``generate_assignment`` the keys of every variant of the slot are pinned into the
    gradebook's copy of this call (``keys``); at autograde the participant's assigned form
    (``variant``, ``order``), derived on the instructor's side, is pinned next to them.  An
    answer saved for another variant answered a question the participant was not given: wrong.
    Without keys (the instructor running the source notebook) they are looked up in the bank.
    Older gradebooks pin one ``key`` (the module item, in the module's order).
    """
    record = AnswerStore(Path.cwd()).record(item_id)
    if key is not None and keys is None:
        keys, variant, order = {item_id: key}, item_id, CANONICAL
    if keys is None:
        root = find_course_root(Path.cwd())
        if root is None:
            raise RuntimeError(f"Kunci soal {item_id} tidak tersedia di luar folder kursus.")
        from latsar.authoring.itembank import ItemBank

        bank = ItemBank.load(root / "course_data" / "item_bank.yaml")
        keys = {v.id: v.key for v in bank.slots[item_id]}
        if variant is None and record is not None:
            variant, order = record.variant, record.order
    variant = variant or item_id
    order = order if is_order(order) else CANONICAL
    # the item's number is not known here and its id is not for participants: the messages
    # stand under the item itself (the formgrader's cell, the feedback's verdict)
    if record is None:
        raise NotAnswered("Soal ini belum dijawab.")
    if record.variant != variant:
        raise WrongAnswer("Jawaban tersimpan bukan untuk soal yang ditampilkan kepada peserta ini.")
    letter = shown_letter(order, record.choice)
    if record.choice != keys.get(variant):
        raise WrongAnswer(f"Jawaban {letter} untuk soal ini belum tepat.")
    print(f"Jawaban {letter} benar.")
