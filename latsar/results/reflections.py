"""What participants wrote for the lessons' reflection prompts, as one table for the instructor.

Reflections are never graded (:mod:`latsar.kernel.reflection`); autograde prints each one in the
formgrader and the feedback, a notebook at a time.  This gathers them from every autograded
submission: one row per participant, assignment and prompt, with the prompt's label from the
source notebooks.  The files come from participants, so each is read as data only: regular files
(no symlinks), at most :data:`MAX_FILE_BYTES`, control characters dropped.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd

from latsar.course import REFLECTION_FILE, Course
from latsar.kernel.reflection import MAX_CHARS, plain, texts_of

COLUMNS = ["peserta_id", "assignment", "prompt_id", "prompt", "text"]
#: A reflection file holds a few texts of at most MAX_CHARS each; anything far larger is not one.
MAX_FILE_BYTES = 64 * MAX_CHARS * 4


def prompts(course: Course) -> dict[str, str]:
    """Prompt id → its label, in lesson order, from the source notebooks' reflection marks."""
    import nbformat

    found = {}
    for assignment in course.assignments:
        for cell in nbformat.read(course.source_notebook(assignment), as_version=4).cells:
            mark = cell.metadata.get("latsar", {})
            if isinstance(mark.get("reflection"), str):
                found[mark["reflection"]] = str(mark.get("prompt", ""))
    return found


def read_texts(path: Path) -> dict[str, str]:
    """The texts of one submitted reflection file; {} for a missing, odd or oversized one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return {}
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return {}
        texts = texts_of(handle.read(MAX_FILE_BYTES + 1))
    return {prompt_id: text for prompt_id, raw in texts.items() if (text := plain(raw).strip())}


def reflections(course: Course) -> pd.DataFrame:
    """:data:`COLUMNS`, ordered by assignment (module order), participant and prompt (lesson order)."""
    labels = prompts(course)
    order = {prompt_id: n for n, prompt_id in enumerate(labels)}
    rows = []
    for rank, assignment in enumerate(course.assignments):
        for folder in sorted(course.autograded.glob(f"*/{assignment}")):
            for prompt_id, text in read_texts(folder / REFLECTION_FILE).items():
                rows.append((rank, order.get(prompt_id, len(order)), folder.parent.name, assignment, prompt_id,
                             labels.get(prompt_id, ""), text))
    rows.sort(key=lambda r: (r[0], r[2], r[1], r[4]))
    return pd.DataFrame([r[2:] for r in rows], columns=COLUMNS).astype(str)
