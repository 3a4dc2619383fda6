"""What a participant has done in one lesson, from files that survive a reopen (issue 12, item 4).

A participant who studies on their own needs to see where they are: practice activities
tried, graded items answered out of 10, free text written, handed in or not.  Widget state
is gone after a reopen or a kernel restart, so every figure is read from a file each time the
view is drawn:

- practice activities tried: ``.latihan.json`` beside the notebook, written by
  :func:`record_attempt` when an activity is answered (``0600``, atomic; preview mode in the
  instructor's course folder writes nothing, as for answers);
- graded items answered: the answer file, ``.jawaban.json`` (:mod:`latsar.kernel.answers`);
- free text written: the notebook as last saved (``Ctrl+S`` or JupyterLab's autosave);
- handed in: nbgrader's own record of a submission, the copy ``nbgrader submit`` keeps in the
  participant's ``nbgrader_cache`` (the assignment list reads the same copy).

The view redraws itself when an activity or item of the same kernel is answered
(:func:`changed`), and on its button *Perbarui* (after saving or submitting).  ``latsar sync``
writes each lesson's progress cells with what the lesson holds (its items, how many
activities, its free-text cells); see docs/authoring.md.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import weakref
from datetime import datetime
from pathlib import Path
from typing import Sequence

from latsar.course import COURSE_ID, FREE_TEXT_STUB, GLOSSARY_MD, PRACTICE_FILE
from latsar.course.files import atomic_write
from latsar.kernel.look import new

FORMAT = "latsar-latihan/1"

#: Progress views shown in this kernel, redrawn by :func:`changed`.
_views: "weakref.WeakSet" = weakref.WeakSet()


def activity_key(question: str) -> str:
    """A practice activity's name in ``.latihan.json``: stable while its question is unchanged."""
    return hashlib.sha256(question.encode("utf-8")).hexdigest()[:12]


class PracticeLog:
    """``{"format": ..., "tried": {"<key>": {"attempts": 2, "right": true}}}`` of one folder."""

    def __init__(self, folder: str | Path = "."):
        self.path = Path(folder) / PRACTICE_FILE

    def load(self) -> dict[str, dict]:
        """Tried activities by key; a missing or damaged file reads as none tried."""
        try:
            tried = json.loads(self.path.read_text(encoding="utf-8"))["tried"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return {str(k): v for k, v in tried.items() if isinstance(v, dict)} if isinstance(tried, dict) else {}

    def record(self, key: str, right: bool) -> None:
        tried = self.load()
        entry = tried.get(key, {})
        attempts = entry.get("attempts", 0)
        tried[key] = {"attempts": (attempts if isinstance(attempts, int) else 0) + 1,
                      "right": bool(entry.get("right")) or right}
        payload = {"format": FORMAT, "tried": dict(sorted(tried.items()))}
        atomic_write(self.path, json.dumps(payload, indent=1) + "\n", mode=0o600)


def record_attempt(question: str, right: bool, folder: Path | None = None) -> None:
    """Note that a practice activity was answered; never fails the activity itself."""
    from latsar.kernel.answers import _preview_mode

    folder = Path(folder or Path.cwd())
    if _preview_mode(folder):
        return
    try:
        PracticeLog(folder).record(activity_key(question), right)
    except OSError:
        return  # a full disk must not break practice; the view then counts one less
    changed()


def changed() -> None:
    """Redraw every progress view of this kernel (an activity or item was just answered)."""
    for view in list(_views):
        view.refresh()


# -- reading the state ---------------------------------------------------------

def answered_items(folder: Path, items: Sequence[str]) -> int:
    from latsar.kernel.answers import AnswerStore

    saved = AnswerStore(folder).load()
    return sum(1 for item in items if item in saved)


def written_free_text(notebook: Path, free_text: Sequence[str]) -> int:
    """Free-text cells of the saved notebook that hold more than nbgrader's stub."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    written = 0
    for cell in cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in free_text:
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            written += bool(text.strip()) and text.strip() != FREE_TEXT_STUB
    return written


def submitted_at(assignment: str, cache: Path | None = None) -> datetime | None:
    """When this participant last handed the assignment in, from nbgrader's submission cache."""
    if cache is None:
        from jupyter_core.paths import jupyter_data_dir

        cache = Path(jupyter_data_dir()) / "nbgrader_cache"
    student = os.environ.get("LATSAR_STUDENT_ID")  # the single-user fallback shares one cache
    newest = None
    try:
        entries = list((cache / COURSE_ID).iterdir())
    except OSError:
        return None
    for entry in entries:
        parts = entry.name.split("+")
        if len(parts) < 3 or parts[1] != assignment or (student and parts[0] != student):
            continue
        try:  # nbgrader's "%Y-%m-%d %H:%M:%S.%f %Z": the zone is the participant's own, shown as is
            when = datetime.fromisoformat(" ".join((entry / "timestamp.txt").read_text().split()[:2]))
        except (OSError, ValueError):
            continue
        newest = when if newest is None or when > newest else newest
    return newest


# -- the view -------------------------------------------------------------------

class ProgressView:
    """An HTML checklist and a *Perbarui* button; every figure re-read from files on refresh."""

    def __init__(self, notebook: str, items: Sequence[str], activities: int, free_text: Sequence[str],
                 folder: Path):
        import ipywidgets as widgets

        self.notebook, self.items, self.activities = notebook, list(items), activities
        self.free_text, self.folder = list(free_text), folder
        self.assignment = Path(notebook).stem
        self.html = new(widgets.HTML)
        button = new(widgets.Button, description="Perbarui", icon="refresh",
                     tooltip="Baca lagi kemajuan Anda (misalnya setelah menyimpan atau mengumpulkan)")
        button.on_click(lambda _: self.refresh())
        self.widget = new(widgets.VBox, [self.html, button])
        self.refresh()
        _views.add(self)

    def lines(self) -> list[tuple[bool, str]]:
        """(done, text) per line of the checklist."""
        out = []
        if self.activities:
            tried = min(len(PracticeLog(self.folder).load()), self.activities)
            out.append((tried >= self.activities, f"Latihan dicoba: <b>{tried} dari {self.activities}</b>"))
        if self.items:
            answered = answered_items(self.folder, self.items)
            out.append((answered == len(self.items),
                        f"Soal evaluasi dijawab: <b>{answered} dari {len(self.items)}</b>"))
        if self.free_text:
            written = written_free_text(self.folder / self.notebook, self.free_text)
            out.append((written == len(self.free_text),
                        f"Jawaban tertulis: <b>{written} dari {len(self.free_text)}</b> "
                        "<i>(terhitung setelah notebook disimpan, Ctrl+S)</i>"))
        when = submitted_at(self.assignment)
        out.append((when is not None, f"Dikumpulkan: <b>{when:%d-%m-%Y %H.%M}</b>" if when
                     else "Belum dikumpulkan (menu <b>Nbgrader ▸ Assignment List</b>, tombol <b>Submit</b>)"))
        return out

    def refresh(self) -> None:
        rows = "".join(f"<li>{'✔ <b>selesai</b>' if done else '○ <b>belum</b>'} — {text}</li>"
                       for done, text in self.lines())
        self.html.value = (
            f"<div role='status' aria-live='polite'><b>Kemajuan Anda di {html.escape(self.assignment)}</b>"
            f"<ul style='list-style:none;padding-left:0;margin:4px 0'>{rows}</ul></div>")


def progress(notebook: str, items: Sequence[str] = (), activities: int = 0, free_text: Sequence[str] = ()) -> None:
    """Show what the participant has done in this lesson (a cell ``latsar sync`` writes)."""
    from latsar.kernel.answers import autograding

    if autograding():
        return
    from IPython.display import display

    display(ProgressView(notebook, items, activities, free_text, Path.cwd()).widget)
    if (Path.cwd() / GLOSSARY_MD).is_file():
        from IPython.display import Markdown

        # an output, not a markdown cell: grading escapes "[" in markdown cells (see authoring/glossary.py)
        display(Markdown(f"📖 Arti istilah asing: [Glosarium]({GLOSSARY_MD})"))
