"""A place to write one's answer to a lesson's reflection prompt ("Curah pendapat", "Renungkan").

:func:`reflect` shows a text box with the prompt as its label, a *Simpan* button and a line that
says whether the text is saved.  Nothing to type in code and no double-click: the lesson runs the
cell when it opens.  The text is saved to ``.refleksi.json`` beside the notebook (atomically,
``0600``), travels with the notebook through ``nbgrader submit`` and is shown again on reopening.
It is never graded.  While nbgrader autogrades, the cell prints the saved text as plain text, so
the instructor reads it in the formgrader and the participant in the feedback.  Inside the
instructor's course folder the box runs in preview mode and writes nothing (as the answer buttons
do, :func:`latsar.kernel.answers._preview_mode`).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from latsar.course import REFLECTION_FILE
from latsar.course.files import atomic_write
from latsar.kernel.answers import _preview_mode, autograding
from latsar.kernel.look import new

FORMAT = "latsar-refleksi/1"
#: A reflection is a few sentences; the cap keeps a pasted book out of the file and the feedback.
MAX_CHARS = 5000


class ReflectionStore:
    """The reflections of one notebook folder: ``{"format": ..., "texts": {"bab1-curah-pendapat": "..."}}``."""

    def __init__(self, folder: str | Path = "."):
        self.path = Path(folder) / REFLECTION_FILE

    def load(self) -> dict[str, str]:
        """Texts by prompt id; a missing or damaged file reads as nothing written."""
        try:
            return texts_of(self.path.read_bytes())
        except OSError:
            return {}

    def get(self, prompt_id: str) -> str:
        return self.load().get(prompt_id, "")

    def set(self, prompt_id: str, text: str) -> None:
        texts = self.load()
        texts[prompt_id] = text[:MAX_CHARS]
        payload = {"format": FORMAT, "texts": dict(sorted(texts.items()))}
        atomic_write(self.path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n", mode=0o600)


def texts_of(content: bytes | str) -> dict[str, str]:
    """Texts by prompt id from a reflection file's content; anything damaged reads as nothing written."""
    try:
        texts = json.loads(content)["texts"]
    except (ValueError, KeyError, TypeError):
        return {}
    if not isinstance(texts, dict):
        return {}
    return {str(k): v for k, v in texts.items() if isinstance(v, str)}


def plain(text: str) -> str:
    """``text`` without control characters (terminal escapes and the like) but its line breaks and tabs."""
    return "".join(ch for ch in text[:MAX_CHARS]
                   if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))


def saved_text(label: str, text: str) -> str:
    """What autograde prints: the prompt and the saved text, plain."""
    body = plain(text).strip() or "(belum diisi)"
    return f"Refleksi (tidak dinilai) — {plain(label)}\n{body}"


def reflect(prompt_id: str, label: str) -> None:
    """Show the text box of one reflection prompt; under nbgrader autograde print the saved text."""
    if autograding():
        print(saved_text(label, ReflectionStore(Path.cwd()).get(prompt_id)))
        return
    from IPython.display import display

    display(reflection_widget(prompt_id, label, Path.cwd()))


def reflection_widget(prompt_id: str, label: str, folder: Path):
    """The box: ``children`` are the label, the text area, and a row of the button and the status."""
    import html

    import ipywidgets as widgets

    folder = Path(folder)
    preview = _preview_mode(folder)
    store = ReflectionStore(folder)
    saved = {"text": store.get(prompt_id)}
    heading = new(widgets.HTML, f"<b>✍️ Refleksi Anda</b> (tidak dinilai): {html.escape(label)}")
    area = new(widgets.Textarea, value=saved["text"], placeholder="Tulis jawaban Anda di sini, lalu klik Simpan.",
               layout=dict(width="100%", height="8em"))
    button = new(widgets.Button, description="Simpan", button_style="primary", icon="save",
                 tooltip="Simpan tulisan refleksi ini")
    status = new(widgets.HTML)

    def show(error: str | None = None) -> None:
        if error:
            status.value = f"<span style='color:#b00020'>⚠ {html.escape(error)}</span>"
        elif preview:
            status.value = "<i>Mode pratinjau pengampu: tulisan tidak disimpan di folder kursus.</i>"
        elif area.value != saved["text"]:
            status.value = "<span style='color:#8a4b00'>● Belum disimpan — klik Simpan.</span>"
        elif saved["text"]:
            status.value = "<span style='color:#1b5e20'>✔ Tersimpan.</span>"
        else:
            status.value = "<span style='color:#666'>Belum diisi.</span>"

    def on_save(_button) -> None:
        if preview:
            show()
            return
        try:
            store.set(prompt_id, area.value)
        except OSError as exc:
            show(f"Belum tersimpan ({exc.strerror}). Coba klik Simpan lagi atau hubungi pengampu.")
            return
        saved["text"] = area.value[:MAX_CHARS]
        show()

    area.observe(lambda _change: show(), names="value")
    button.on_click(on_save)
    show()
    return new(widgets.VBox, [heading, area, new(widgets.HBox, [button, status])])
