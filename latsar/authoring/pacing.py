"""How long each section of a lesson takes, written under its heading by ``latsar sync``.

The module expects self-study: a participant plans an evening around "± 20 menit".  The
estimate is computed, not typed, so that it follows the text when a lesson changes (and
``latsar sync --check`` notices when it is stale):

    minutes = words / READING_WPM + ACTIVITY_MIN × practice activities
              + ITEM_MIN × graded items + FREE_TEXT_MIN × free-text answers

rounded up to 5 minutes.  READING_WPM = 120: half the about 240 words per minute of silent
reading of non-fiction in Brysbaert's meta-analysis (2019, "How many words do we read per
minute?", Journal of Memory and Language 109), because the lessons are studied, not skimmed:
tables, legal lists, and for many participants a first meeting with the terms.  A section is
a level-2 heading (``## …``) and every cell up to the next one; the notebook's title cell gets
the total.
"""

from __future__ import annotations

import math
import re

READING_WPM = 120
ACTIVITY_MIN = 2.0
ITEM_MIN = 1.5
FREE_TEXT_MIN = 15.0

_LINE = re.compile(r"\n\n\*⏱ Perkiraan waktu( seluruh notebook)?: ± \d+ menit\*")
_WORD = re.compile(r"\w+", re.UNICODE)
#: A practice activity's call (the live quiz and the mastery calculator are not practice).
PRACTICE_CALL = re.compile(r"\b(quiz|match)\(")


def is_practice(cell) -> bool:
    return (cell.cell_type == "code" and "activity" in cell.metadata.get("tags", [])
            and bool(PRACTICE_CALL.search(cell.source)))


def strip(source: str) -> str:
    """A cell's source without the estimate sync wrote earlier."""
    return _LINE.sub("", source)


def _minutes(cells) -> float:
    total = 0.0
    for cell in cells:
        mark = cell.metadata.get("latsar", {})
        if cell.cell_type == "markdown":
            if "free_text" in mark:
                total += FREE_TEXT_MIN
            else:
                total += len(_WORD.findall(strip(cell.source))) / READING_WPM
        elif mark.get("part") == "answer":
            total += ITEM_MIN
        elif is_practice(cell):
            total += ACTIVITY_MIN
    return total


def rounded(minutes: float) -> int:
    return max(5, 5 * math.ceil(minutes / 5))


def _insert(source: str, line: str) -> str:
    head, _, rest = strip(source).partition("\n")
    return f"{head}\n\n{line}" + (f"\n{rest}" if rest else "")


def pace(cells) -> None:
    """Write the estimate under each ``## `` heading and the total under the title, in place."""
    sections: list[tuple[object, list]] = []
    for cell in cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            sections.append((cell, [cell]))
        elif sections:
            sections[-1][1].append(cell)
    total = 0
    for heading, members in sections:
        minutes = rounded(_minutes(members))
        total += minutes
        heading.source = _insert(heading.source, f"*⏱ Perkiraan waktu: ± {minutes} menit*")
    title = next((c for c in cells if c.cell_type == "markdown" and c.source.startswith("# ")), None)
    if title is not None and sections:
        intro = rounded(_minutes(cells[: cells.index(sections[0][0])]))
        title.source = _insert(title.source, f"*⏱ Perkiraan waktu seluruh notebook: ± {total + intro} menit*")
