"""The form a participant was assigned, on the instructor's side.

Grading never takes a participant's word for which variant and order they were shown: it
re-derives the form from the student id nbgrader knows (:func:`latsar.kernel.forms.form`), or
takes the form an instructor's import recorded (``latsar import-answers``: answers from paper or
another platform, on the variants the sheet names, options in the bank's order).  The recorded forms live under the course
folder (``formulir/<peserta>/<tugas>.json``), which no participant can write.

The hidden test of each item names its variants' keys and the assignment's attempt; at
autograde :class:`latsar.grading.preprocessors.PinForms` pins the assigned variant and order into
it.  :func:`pinned` reads those arguments back from a cell's source (reconcile, feedback).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Mapping

from latsar.course.files import atomic_write
from latsar.kernel.forms import DEFAULT_ATTEMPT, form, is_order

#: Forms recorded by an instructor's import, inside the course folder.
RECORDED = "formulir"


def slot_variants(bank, assignment: str) -> dict[str, list[str]]:
    """Each slot of ``assignment`` (module order) → its variant ids, the module item first."""
    return {item.id: [v.id for v in bank.slots.get(item.id, (item,))] for item in bank.for_assignment(assignment)}


def _recorded_path(root: Path, student: str, assignment: str) -> Path:
    return Path(root) / RECORDED / student / f"{assignment}.json"


def record_form(root: Path, student: str, assignment: str, forms: Mapping[str, tuple[str, str]]) -> Path:
    """Record the form an instructor's import gave ``student`` (0640, the course folder's)."""
    path = _recorded_path(root, student, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {slot: [variant, order] for slot, (variant, order) in sorted(forms.items())}
    atomic_write(path, json.dumps(data, ensure_ascii=False) + "\n", mode=0o640)
    return path


def recorded_form(root: Path, student: str, assignment: str) -> dict[str, tuple[str, str]]:
    try:
        data = json.loads(_recorded_path(root, student, assignment).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(slot): (value[0], value[1]) for slot, value in data.items()
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and is_order(value[1])}


def assigned_form(root: Path, bank, student: str, assignment: str,
                  attempt: int = DEFAULT_ATTEMPT) -> dict[str, tuple[str, str]]:
    """``{slot: (variant_id, order)}`` the participant was given: recorded by an import, else derived."""
    slots = slot_variants(bank, assignment)
    derived = form(student, assignment, slots, attempt)
    recorded = recorded_form(root, student, assignment)
    return {slot: recorded[slot] if slot in recorded and recorded[slot][0] in slots[slot] else derived[slot]
            for slot in slots}


def _calls(source: str, names: tuple[str, ...]) -> dict[str, ast.Call]:
    """The first call of each plain name in ``source``, from one parse (none if it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found: dict[str, ast.Call] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            found.setdefault(node.func.id, node)
    return found


def _keywords(call: ast.Call | None) -> dict:
    out = {}
    for keyword in call.keywords if call is not None else ():
        try:
            out[keyword.arg] = ast.literal_eval(keyword.value)
        except ValueError:
            continue
    return out


def pinned(source: str) -> dict:
    """The literal keyword arguments of the ``check(...)`` call in an item's test cell
    (``keys``, ``attempt``, ``variant``, ``order``, or the older ``key``)."""
    return _keywords(_calls(source, ("check",)).get("check"))


class _Segments:
    """``ast.get_source_segment`` for many nodes of one source: it splits the whole source into
    lines again for every node, and a test cell naming every variant's key has dozens of them."""

    def __init__(self, source: str):
        # ast's columns count UTF-8 bytes, its lines end at \n, \r\n or \r: as bytes.splitlines
        self.data = source.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def __call__(self, node) -> str:
        begin = self.starts[node.lineno - 1] + node.col_offset
        return self.data[begin:self.starts[node.end_lineno - 1] + node.end_col_offset].decode("utf-8")


def pin_form(source: str, variant: str, order: str) -> str:
    """``source`` with the assigned form added to its ``check(...)`` call (and ``choose(...)``'s, so
    the saved choice prints in the participant's order).  Existing pins are replaced."""
    calls = _calls(source, ("check", "choose"))
    segment = _Segments(source)
    out = []
    for name, extra in (("check", f"variant={json.dumps(variant)}, order={json.dumps(order)}"),
                        ("choose", f"form=({json.dumps(variant)}, {json.dumps(order)})")):
        call = calls.get(name)
        if call is None:
            continue
        keep = [k for k in call.keywords if k.arg not in ("variant", "order", "form")]
        args = [segment(a) for a in call.args]
        args += [f"{k.arg}={segment(k.value)}" for k in keep]
        out.append((segment(call), f"{name}({', '.join([*args, extra])})"))
    for old, new in out:
        source = source.replace(old, new, 1)
    return source
