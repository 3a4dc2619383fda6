"""Click-to-answer graded items, and the answer file that makes a click gradable.

Widget state is lost when nbgrader autogrades (it re-runs the notebook in a
fresh kernel) and JupyterLab does not save it by default.  So every click is
written at once to ``.jawaban.json`` beside the notebook.  That file travels
with the notebook through ``nbgrader submit``, ``collect`` and ``autograde``;
the hidden test of each item reads it, and reports read the chosen letters from
it (nbgrader itself keeps only points).

The released notebook only ever calls :func:`choose`; :func:`check` runs in the
hidden test whose key is pinned into the gradebook at ``generate_assignment``
(see :mod:`latsar.grading.preprocessors`).  Neither message ever names the key.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from latsar.course import ANSWER_FILE, find_course_root
from latsar.course.files import atomic_write
from latsar.authoring.itembank import LETTERS

FORMAT = "latsar-jawaban/1"


class AnswerStore:
    """The answers of one notebook folder: ``{"format": ..., "answers": {"MP1-01": "b"}}``."""

    def __init__(self, folder: str | Path = "."):
        self.path = Path(folder) / ANSWER_FILE

    def load(self) -> dict[str, str]:
        """Chosen letters by item id; a missing or damaged file reads as no answers."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            answers = data["answers"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        if not isinstance(answers, dict):
            return {}
        return {str(k): v for k, v in answers.items() if isinstance(v, str) and v in LETTERS}

    def get(self, item_id: str) -> str | None:
        return self.load().get(item_id)

    def set(self, item_id: str, letter: str) -> None:
        if letter not in LETTERS:
            raise ValueError(f"pilihan harus salah satu dari a–d, bukan {letter!r}")
        answers = self.load()
        answers[item_id] = letter
        self.write(answers)

    def write(self, answers: dict[str, str]) -> None:
        write_answers(self.path.parent, answers)


def write_answers(folder: str | Path, answers: dict[str, str], mode: int = 0o600) -> Path:
    """Atomically write the answer file (also used by ``latsar import-answers``).

    ``0600`` in a participant's home: a neighbour must not copy one's clicks."""
    folder = Path(folder)
    payload = {"format": FORMAT, "answers": dict(sorted(answers.items()))}
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


def choose(item_id: str) -> None:
    """Show the answer buttons a–d of one graded item and persist each click.

    While nbgrader autogrades (``NBGRADER_EXECUTION=autograde``) nobody can
    click, so the saved choice is shown as text instead of building widgets:
    the instructor reads it in the formgrader, and grading skips hundreds of
    widget messages per notebook.
    """
    from IPython.display import display

    if autograding():
        letter = AnswerStore(Path.cwd()).get(item_id)
        print(f"Jawaban tersimpan: {letter}" if letter else "Belum dijawab.")
        return
    display(choice_widget(item_id, Path.cwd()))


def autograding() -> bool:
    """True in nbgrader's autograde kernel (nbgrader sets this variable for that purpose)."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def choice_widget(item_id: str, folder: Path):
    """Buttons a–d plus a status line; a click is saved to ``folder`` at once."""
    import ipywidgets as widgets

    folder = Path(folder)
    preview = _preview_mode(folder)
    store = AnswerStore(folder)
    current = None if preview else store.get(item_id)

    buttons = widgets.ToggleButtons(
        options=[(letter, letter) for letter in LETTERS],
        value=current,
        description="Jawaban:",
        tooltips=[f"Pilih jawaban {letter}" for letter in LETTERS],
        style={"button_width": "3.5em"},
    )
    status = widgets.HTML()

    def show(letter: str | None, error: str | None = None) -> None:
        if error:
            status.value = f"<span style='color:#b00020'>⚠ {error}</span>"
        elif preview:
            status.value = (
                "<i>Mode pratinjau pengampu: pilihan tidak disimpan di folder kursus.</i>"
            )
        elif letter is None:
            status.value = "<span style='color:#666'>Belum dijawab — klik salah satu huruf.</span>"
        else:
            status.value = (
                f"<span style='color:#1b5e20'>✔ Jawaban <b>{letter}</b> tersimpan.</span>"
            )

    def on_change(change) -> None:
        letter = change["new"]
        if letter is None or preview:
            show(letter)
            return
        try:
            store.set(item_id, letter)
        except OSError as exc:
            show(None, f"Jawaban belum tersimpan ({exc.strerror}). Coba klik lagi atau hubungi pengampu.")
        else:
            show(letter)

    buttons.observe(on_change, names="value")
    show(current)
    return widgets.VBox([buttons, status])


class NotAnswered(AssertionError):
    pass


class WrongAnswer(AssertionError):
    pass


def check(item_id: str, key: str | None = None) -> None:
    """Hidden test of one item: passes only when the saved choice equals the key.

    At ``generate_assignment`` the key is pinned into the gradebook's copy of
    this call, so autograde never needs the item bank.  Without a key (the
    instructor running the source notebook) it is looked up in the bank.
    """
    chosen = AnswerStore(Path.cwd()).get(item_id)
    if key is None:
        root = find_course_root(Path.cwd())
        if root is None:
            raise RuntimeError(f"Kunci soal {item_id} tidak tersedia di luar folder kursus.")
        from latsar.authoring.itembank import ItemBank

        key = ItemBank.load(root / "course_data" / "item_bank.yaml")[item_id].key
    if chosen is None:
        raise NotAnswered(f"Soal {item_id} belum dijawab.")
    if chosen != key:
        raise WrongAnswer(f"Jawaban {chosen} untuk soal {item_id} belum tepat.")
    print(f"Soal {item_id}: jawaban {chosen} benar.")
