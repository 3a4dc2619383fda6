"""Render the item bank into the source notebooks (``latsar sync``).

Authors mark cells (see ``docs/authoring.md``); this module turns the marks
into nbgrader cells so that no one writes nbgrader metadata by hand:

- an item mark becomes a read-only stem cell (markdown, from the bank: "Soal N"
  and the stem) and a locked *autograder test* cell that shows the options as
  answer buttons (their texts are written into the call) and, in a hidden test
  region, checks the saved choice.  The source version carries no key:
  :class:`latsar.grading.preprocessors.PinItemKeys` writes it into the gradebook's
  copy at ``generate_assignment``;
- an activity cell gets a hidden input and is made read-only;
- a reflection mark gets its ``reflect(...)`` call, a hidden input, a lock and the tag ``reflection``;
- a free-text mark becomes a manually graded answer cell whose source (the
  rubric) nbgrader replaces with a stub in the release.

Running sync twice changes nothing; a test asserts the committed notebooks
are already in sync with the bank.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Mapping, Sequence

import nbformat

from latsar.authoring.glossary import add_link
from latsar.authoring.itembank import Item, ItemBank, LETTERS
from latsar.authoring.pacing import is_practice, pace
from latsar.course.files import atomic_write

#: Graded assignments are attempt 1 (the same as latsar.kernel.forms.DEFAULT_ATTEMPT; authoring runs before the kernel)
DEFAULT_ATTEMPT = 1

NBGRADER_SCHEMA = 3
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def answer_source(item_id: str, options: Sequence[str] | None = None, *, key: str | None = None,
                  forms: Mapping[str, tuple[str, Sequence[str]]] | None = None, assignment: str | None = None,
                  attempt: int = DEFAULT_ATTEMPT, keys: Mapping[str, str] | None = None) -> str:
    """Source of an item's test cell; with ``keys`` (or an older notebook's ``key``) for the
    gradebook copy only.

    ``forms`` holds every variant of the slot, its id → (stem, texts of a–d as in the bank): they
    travel in the call to ``choose``, which shows the participant's own variant in their own order
    (the kernel never has the bank).  They are the same whatever the keys, so the release does not
    depend on them.  ``options`` alone (the module item's texts) is the older form of the call."""
    if keys is not None:
        pins = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in keys.items())
        call = f'check("{item_id}", keys={{{pins}}}, attempt={int(attempt)})'
    else:
        call = f'check("{item_id}")' if key is None else f'check("{item_id}", key="{key}")'
    if forms:
        show = [f'choose("{item_id}", assignment={json.dumps(assignment)}, attempt={int(attempt)}, forms={{']
        for variant, (stem, texts) in forms.items():
            show.append(f"    {json.dumps(variant)}: ({json.dumps(str(stem), ensure_ascii=False)}, [")
            show += [f"        {json.dumps(str(text), ensure_ascii=False)}," for text in texts]
            show.append("    ]),")
        show.append("})")
    elif options:
        texts = [f"    {json.dumps(str(text), ensure_ascii=False)}," for text in options]
        show = [f'choose("{item_id}", [', *texts, "])"]
    else:
        show = [f'choose("{item_id}")']
    return "\n".join(
        [
            "from latsar.answers import choose",
            *show,
            "### BEGIN HIDDEN TESTS",
            "from latsar.answers import check",
            call,
            "### END HIDDEN TESTS",
        ]
    )


def item_forms(bank: ItemBank, item_id: str) -> dict[str, tuple[str, list[str]]]:
    """Every variant of a slot, its id → (stem, texts of a–d): what the answer cell shows from."""
    return {v.id: (v.stem, item_options(v)) for v in bank.slots.get(item_id, (bank[item_id],))}


def item_keys(bank: ItemBank, item_id: str) -> dict[str, str]:
    """Every variant's key of a slot (for the gradebook copy only)."""
    return {v.id: v.key for v in bank.slots.get(item_id, (bank[item_id],))}


def attempt_of(nb) -> int:
    """The attempt an assignment's notebook is (``latsar.attempt`` in its metadata; graded: 1)."""
    try:
        return int(nb.metadata.get("latsar", {}).get("attempt", DEFAULT_ATTEMPT))
    except (TypeError, ValueError):
        return DEFAULT_ATTEMPT


def without_option_texts(source: str) -> str:
    """``source`` with the texts of its ``choose(item_id, ...)`` call left out: ``choose(item_id)``.

    Rewording an option changes the answer cell, so a submission fetched from an
    earlier release (or from one made before the texts travelled in the call)
    differs from the current release there without any edit by the participant.
    Only literal arguments (texts, the forms, the attempt) are left out; any other change still shows."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "choose"
                and call.args and len(call.args) + len(call.keywords) >= 2):
            continue
        if all(_literal(a) for a in [*call.args[1:], *(k.value for k in call.keywords)]):
            bare = f"choose({ast.get_source_segment(source, call.args[0])})"
            return source.replace(ast.get_source_segment(source, call), bare, 1)
    return source


def _literal(node) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


def item_options(item: Item) -> list[str]:
    """The texts of options a–d, in letter order."""
    return [item.options[letter] for letter in LETTERS]


def stem_source(item: Item) -> str:
    """The stem cell: the item's number only (its id is for instructors: cell metadata, reports).

    The stem and options are shown by the answer cell below, from the participant's own variant."""
    return f"**Soal {item.number}**"


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": NBGRADER_SCHEMA,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def item_cells(item: Item, bank: ItemBank | None = None, assignment: str | None = None,
               attempt: int = DEFAULT_ATTEMPT) -> list:
    stem = nbformat.v4.new_markdown_cell(stem_source(item))
    # Read-only in JupyterLab but not an nbgrader cell: nbgrader can only put back a
    # deleted grade cell after a preceding *grade* cell (OverwriteCells.add_missing_cells).
    stem.metadata = {"deletable": False, "editable": False, "latsar": {"item": item.id, "part": "stem"}}
    if bank is None:
        answer = nbformat.v4.new_code_cell(answer_source(item.id, item_options(item)))
    else:
        answer = nbformat.v4.new_code_cell(answer_source(item.id, forms=item_forms(bank, item.id),
                                                         assignment=assignment or item.assignment, attempt=attempt))
    answer.metadata = {
        "jupyter": {"source_hidden": True},
        "latsar": {"item": item.id, "part": "answer"},
        "nbgrader": _nbgrader(item.id, grade=True, solution=False, locked=True, points=item.points),
    }
    # stable cell ids make re-syncs diff-free
    stem.id = f"{item.id.lower()}-soal"
    answer.id = f"{item.id.lower()}-jawaban"
    return [stem, answer]


def free_text_cell(cell) -> None:
    mark = cell.metadata["latsar"]
    cell.metadata.setdefault("nbgrader", {}).update(
        _nbgrader(mark["free_text"], grade=True, solution=True, locked=False, points=int(mark["points"]))
    )


def activity_cell(cell) -> None:
    """Hidden and read-only in JupyterLab, but not an nbgrader cell: practice is
    never graded, and every nbgrader cell costs metadata checks and gradebook
    look-ups in each autograde."""
    cell.metadata.pop("nbgrader", None)
    cell.metadata["editable"] = False
    cell.metadata["deletable"] = False
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True


def reflection_source(prompt_id: str, prompt: str) -> str:
    """The call that shows a reflection prompt's text box (:mod:`latsar.kernel.reflection`)."""
    return ("from latsar.kernel.reflection import reflect\n"
            f"reflect({json.dumps(prompt_id)}, {json.dumps(prompt, ensure_ascii=False)})")


def reflection_cell(cell) -> None:
    """A reflection mark, ``{"reflection": "<id>", "prompt": "<label>"}`` on a code cell: its call is
    written from the mark, hidden and locked like an activity, but tagged ``reflection``, not
    ``activity``: autograde runs it (``c.Execute.skip_cells_with_tag`` skips activities), so the
    saved text is printed for the instructor.  Never an nbgrader cell: it is not graded."""
    mark = cell.metadata["latsar"]
    if not isinstance(mark.get("reflection"), str) or not isinstance(mark.get("prompt"), str):
        raise ValueError(f"sel refleksi {cell.get('id')}: metadata latsar perlu 'reflection' dan 'prompt' (teks)")
    cell.source = reflection_source(mark["reflection"], mark["prompt"])
    cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t != "activity"]
    if "reflection" not in cell.metadata["tags"]:
        cell.metadata["tags"].append("reflection")
    activity_cell(cell)


def is_activity(cell) -> bool:
    return cell.cell_type == "code" and "activity" in cell.metadata.get("tags", [])


def progress_source(notebook: str, cells) -> str:
    """The progress view's call: what this lesson holds, counted from its cells."""
    items = [c.metadata["latsar"]["item"] for c in cells if c.metadata.get("latsar", {}).get("part") == "answer"]
    free_text = [c.metadata["latsar"]["free_text"] for c in cells if "free_text" in c.metadata.get("latsar", {})]
    args = [json.dumps(notebook)]
    if items:
        args.append(f"items={json.dumps(items)}")
    args.append(f"activities={sum(is_practice(c) for c in cells)}")
    if free_text:
        args.append(f"free_text={json.dumps(free_text)}")
    return "from latsar.kernel.progress import progress\nprogress(" + ", ".join(args) + ")"


def sync_notebook(nb, bank: ItemBank, name: str = ""):
    """Return a synced copy of ``nb`` (no outputs, no widget state); ``name`` is its file name,
    which its progress cells read (required when it has one)."""
    nb = copy.deepcopy(nb)
    attempt = attempt_of(nb)
    if attempt == 0:
        _check_pretest(nb, bank, name)
    cells, done = [], set()
    for cell in nb.cells:
        mark = cell.metadata.get("latsar", {})
        if "item" in mark:
            item_id = mark["item"]
            if item_id in done:
                continue
            done.add(item_id)
            cells.extend(item_cells(bank[item_id], bank, Path(name).stem if name else None, attempt))
            continue
        if "free_text" in mark:
            free_text_cell(cell)
        elif "reflection" in mark and cell.cell_type == "code":
            reflection_cell(cell)
        elif is_activity(cell):
            activity_cell(cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    for cell in cells:
        if cell.metadata.get("latsar", {}).get("progress"):
            if not name:
                raise ValueError("sync_notebook: a notebook with a progress cell needs its file name")
            cell.source = progress_source(name, cells)
            cell.metadata.setdefault("tags", [])
            if "activity" not in cell.metadata["tags"]:
                cell.metadata["tags"].append("activity")
            activity_cell(cell)
    add_link(cells)  # before pace(): the estimate counts the link line's words too
    pace(cells)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    # the lesson extension (labextension/) runs these notebooks on open and hides their code
    nb.metadata["latsar"] = {"lesson": True}
    if attempt != DEFAULT_ATTEMPT:
        nb.metadata["latsar"]["attempt"] = attempt
    nbformat.validate(nb)
    return nb


def _check_pretest(nb, bank: ItemBank, name: str) -> None:
    """A pre-test notebook (``latsar.attempt = 0``) marks exactly the bank's pre-test slots, in order."""
    from latsar.course import PRETEST_ASSIGNMENT

    marked = list(dict.fromkeys(c.metadata["latsar"]["item"] for c in nb.cells if "item" in c.metadata.get("latsar", {})))
    wanted = [i.id for i in bank.for_assignment(PRETEST_ASSIGNMENT)]
    if name and Path(name).stem != PRETEST_ASSIGNMENT:
        raise ValueError(f"{name}: latsar.attempt = 0 hanya untuk pra-tes {PRETEST_ASSIGNMENT}.ipynb")
    if marked != wanted:
        raise ValueError(f"{name or 'pra-tes'}: soal pra-tes harus {wanted} (bank soal: ItemBank.pretest), "
                         f"bukan {marked}")


def sync_file(path: Path, bank: ItemBank, *, check: bool = False) -> bool:
    """Sync one notebook in place; return True when it changed (or would, with ``check``)."""
    original = path.read_text(encoding="utf-8")
    nb = nbformat.reads(original, as_version=4)
    synced = nbformat.writes(sync_notebook(nb, bank, path.name)) + "\n"
    if synced == original:
        return False
    if not check:
        atomic_write(path, synced)
    return True


def items_in(nb) -> list[str]:
    return [
        c.metadata["latsar"]["item"]
        for c in nb.cells
        if c.metadata.get("latsar", {}).get("part") == "answer"
    ]


def retake_notebook(bank: ItemBank, materi_pokok: int, attempt: int):
    """The source notebook of a retake (:func:`latsar.course.retake_assignment`): a heading, who
    takes it and what to re-read first, then the Materi Pokok's graded items as marks that
    :func:`sync_notebook` turns into the evaluation's cells, with ``latsar.attempt`` = ``attempt``
    (each participant meets variants they have not seen, where the bank has enough)."""
    from latsar.course import MATERI_POKOK_ASSIGNMENT

    evaluation = MATERI_POKOK_ASSIGNMENT[materi_pokok]
    heading = nbformat.v4.new_markdown_cell(
        f"# Evaluasi ulang Materi Pokok {materi_pokok} (percobaan {attempt})\n\n"
        f"Notebook ini untuk peserta yang nilainya **di bawah 80 %** pada evaluasi Materi Pokok {materi_pokok} "
        f"(notebook `{evaluation}.ipynb`). Sebelum menjawab, baca ulang bagian yang disebut dalam umpan balik "
        "evaluasi Anda. Soal-soal di bawah menguji hal yang sama dengan soal yang belum pernah Anda lihat "
        "(bila bank soal memilikinya). Peserta yang sudah tuntas tidak perlu mengerjakannya.")
    heading.id = f"ulang{attempt - 1}-pengantar"
    heading.metadata = {"deletable": False, "editable": False}
    progress = []
    for where in ("atas", "bawah"):  # written by sync_notebook; at the top and the end, as in the lessons
        cell = nbformat.v4.new_code_cell("")
        cell.id = f"ulang{attempt - 1}-kemajuan-{where}"
        cell.metadata = {"latsar": {"progress": True}}
        progress.append(cell)
    section = nbformat.v4.new_markdown_cell(f"## Soal evaluasi Materi Pokok {materi_pokok}")
    section.id = f"ulang{attempt - 1}-soal"
    section.metadata = {"deletable": False, "editable": False}
    marks = []
    for item in bank.for_materi_pokok(materi_pokok):
        cell = nbformat.v4.new_markdown_cell(stem_source(item))
        cell.metadata = {"latsar": {"item": item.id, "part": "stem"}}
        cell.id = f"{item.id.lower()}-soal"
        marks.append(cell)
    nb = nbformat.v4.new_notebook(cells=[heading, progress[0], section, *marks, progress[1]])
    nb.metadata["latsar"] = {"attempt": attempt}
    return nb


def sync_retake(path: Path, bank: ItemBank, materi_pokok: int, attempt: int, *, check: bool = False) -> bool:
    """Write a retake's source notebook (:func:`retake_notebook`, synced); True when it changed."""
    synced = nbformat.writes(sync_notebook(retake_notebook(bank, materi_pokok, attempt), bank, path.name)) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == synced:
        return False
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, synced)
    return True
