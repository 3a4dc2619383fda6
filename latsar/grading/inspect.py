"""Why a submission cannot be graded, in words an instructor can act on: before grading (a file
nbgrader cannot read, or too big) and after nbgrader matched no notebook or found foreign items."""

from __future__ import annotations

import json
import re

from latsar.authoring.notebooks import without_option_texts
from latsar.course import ANSWER_FILE, PRACTICE_FILE, REFLECTION_FILE, Course

#: Files a submission may hold besides the release's own (submission_secret.txt: nbgrader's exchange
#: writes it at submit; release_feedback needs it in feedback/; the practice log: the progress view's
#: record of practice attempts, which nothing grades; the reflections, ungraded too).
EXPECTED_FILES = {ANSWER_FILE, PRACTICE_FILE, REFLECTION_FILE, "timestamp.txt", "submission_secret.txt"}


def validate_submission(course: Course, student: str, assignment: str, max_bytes: int) -> str | None:
    """Why the submitted notebook cannot be graded at all (None when it can be handed to nbgrader).

    Checked before nbgrader reads the file, so a huge, empty, undecodable or
    foreign notebook fails with a reason an instructor can act on, at once."""

    name = f"{assignment}.ipynb"
    path = course.submission_dir(student, assignment) / name
    if not path.is_file():
        return f"notebook {name} tidak ada di kiriman"
    size = path.stat().st_size
    if size == 0:
        return f"notebook {name} kosong (0 byte)"
    if max_bytes and size > max_bytes:
        return (f"notebook {name} terlalu besar ({size / 2**20:.1f} MB; batas {max_bytes / 2**20:.0f} MB): "
                "minta peserta mengirim ulang notebook tanpa keluaran besar")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"notebook {name} bukan teks UTF-8 (byte tidak sah pada posisi {exc.start})"
    try:
        nb = json.loads(text)
    except ValueError as exc:
        where = f" (baris {exc.lineno}, kolom {exc.colno})" if hasattr(exc, "lineno") else ""
        return f"notebook rusak: {name} bukan JSON yang sah{where}"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        if version is not None and version != 4:
            return f"format notebook versi {version} tidak didukung: buka dan simpan ulang di JupyterLab (nbformat 4)"
        return f"notebook rusak: {name} tidak berisi daftar sel"
    if nb.get("nbformat") != 4:
        return (f"format notebook versi {nb.get('nbformat')} tidak didukung: "
                "buka dan simpan ulang di JupyterLab (nbformat 4)")
    foreign = _foreign_items(course, assignment, nb)
    if foreign:
        owner, items = sorted(foreign.items())[0]
        return f"notebook ini milik tugas {owner}, bukan {assignment} (berisi soal {', '.join(sorted(items)[:3])}, …)"
    return None


def _foreign_items(course: Course, assignment: str, nb: dict) -> dict[str, list[str]]:
    """Items of other assignments in a notebook that has none of its own: a wrong notebook.

    The pre-test shares its slots with the evaluations: a pre-test notebook is wrong as soon as it holds
    a slot the pre-test has not (an evaluation's notebook submitted as the pre-test)."""
    from latsar.course import PRETEST_ASSIGNMENT

    bank = course.item_bank
    known = {item.id: item.assignment for item in bank}
    own = {item.id for item in bank.for_assignment(assignment)}
    found = {g for g in _grade_ids(nb) if g in known}
    if not found or (found & own and (assignment != PRETEST_ASSIGNMENT or found <= own)):
        return {}
    owners: dict[str, list[str]] = {}
    for g in sorted(found - own):
        owners.setdefault(known[g], []).append(g)
    return owners


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nbg = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return nbg if isinstance(nbg, dict) else {}


def _grade_ids(nb: dict) -> list[str]:
    return [_meta(c)["grade_id"] for c in nb.get("cells", []) if isinstance(_meta(c).get("grade_id"), str)]


def _source(cell) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def inspect_submission(course: Course, student: str, assignment: str) -> list[str]:
    """What a participant changed that grading repairs but an instructor should know about.

    Compared with the release the participant fetched: graded cells deleted,
    edited, duplicated, re-typed or re-pointed (``points``, ``grade_id``,
    ``locked``), code added, files added.  nbgrader's ``DeduplicateIds`` and
    ``OverwriteCells`` (with ``add_missing_cells``) put the graded cells back
    from the gradebook, :class:`RepairGradeIds` drops unknown ids, and
    :func:`reconcile` makes each item's score what the clicks earn."""

    released = course.release_notebook(assignment)
    folder = course.submission_dir(student, assignment)
    submitted = folder / released.name
    if not submitted.exists():
        return [f"notebook {released.name} tidak ada di kiriman"]
    try:
        theirs = json.loads(submitted.read_text(encoding="utf-8"))
        ours = json.loads(released.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # unreadable: validate_submission fails it with a reason
    if not isinstance(theirs, dict) or not isinstance(theirs.get("cells"), list):
        return []
    given = {_meta(c)["grade_id"]: c for c in ours["cells"] if _meta(c).get("grade_id")}
    mine: dict[str, list] = {}
    for cell in theirs["cells"]:
        grade_id = _meta(cell).get("grade_id")
        if isinstance(grade_id, str):
            mine.setdefault(grade_id, []).append(cell)
    notes = []
    by_cell_id = {c.get("id"): c for c in theirs["cells"] if isinstance(c, dict) and c.get("id")}
    deleted, edited, renamed = [], [], []
    for grade_id, cell in given.items():
        if grade_id in mine:
            continue
        twin = by_cell_id.get(cell.get("id"))
        if twin is not None and _meta(twin).get("grade_id"):
            renamed.append(f"{grade_id} → {_meta(twin)['grade_id']!r}")
        elif twin is not None:
            notes.append(f"metadata nbgrader sel {grade_id} dihapus peserta (sel dipulihkan)")
        else:
            deleted.append(grade_id)
    if deleted:
        notes.append(f"sel terkunci dihapus peserta (dipulihkan): {', '.join(sorted(deleted))}")
    if renamed:
        notes.append(f"grade_id sel diubah peserta (dipulihkan): {', '.join(sorted(renamed))}")
    unknown = sorted(set(mine) - set(given))
    if unknown:
        notes.append(f"grade_id tak dikenal di kiriman (diabaikan): {', '.join(unknown)[:120]}")
    for grade_id, cells in sorted(mine.items()):
        if grade_id not in given:
            continue
        if len(cells) > 1:
            notes.append(f"sel {grade_id} digandakan ({len(cells)} kali); hanya satu yang dinilai")
        original, cell = _meta(given[grade_id]), _meta(cells[0])
        # the option texts in an answer cell follow the bank, not the participant (without_option_texts)
        if without_option_texts(_source(cells[0])) != without_option_texts(_source(given[grade_id])) \
                and original.get("locked"):
            edited.append(grade_id)
        for field in ("points", "locked", "grade", "solution"):
            if cell.get(field) != original.get(field):
                notes.append(f"metadata '{field}' sel {grade_id} diubah ({original.get(field)!r} → "
                             f"{cell.get(field)!r}); dipulihkan dari gradebook")
    if edited:
        notes.append(f"sel terkunci diubah peserta (dipulihkan): {', '.join(sorted(edited))}")
    released_code = {_source(c) for c in ours["cells"] if c.get("cell_type") == "code"}
    extra = [c for c in theirs["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"
             and not _meta(c).get("grade_id") and _source(c) not in released_code]
    if extra:
        notes.append(f"{len(extra)} sel kode tambahan atau diubah di luar sel nilai")
    notes += form_notes(course, student, assignment, folder)
    allowed = EXPECTED_FILES | {str(p.relative_to(released.parent)) for p in released.parent.rglob("*") if p.is_file()}
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                   if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    stray = [f for f in files if f not in allowed]
    if stray:
        notes.append(f"berkas tambahan di kiriman: {', '.join(stray)[:160]}")
    return notes




def form_notes(course: Course, student: str, assignment: str, folder: Path) -> list[str]:
    """Answers saved on another form than the participant's: another variant (scored 0, it
    answered a question they were not given) or another option order (scored on the choice)."""
    from latsar.grading.forms import assigned_form, pinned
    from latsar.kernel.answers import AnswerStore

    records = AnswerStore(folder).records()
    if not records:
        return []
    attempt = 1
    try:
        nb = json.loads(course.release_notebook(assignment).read_text(encoding="utf-8"))
        attempt = int(nb.get("metadata", {}).get("latsar", {}).get("attempt", 1))
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    form = assigned_form(course.root, course.item_bank, student, assignment, attempt)
    variants, orders = [], []
    for slot, (variant, order) in form.items():
        record = records.get(slot)
        if record is None:
            continue
        if record.variant != variant:
            variants.append(f"{slot} ({record.variant[:40]!r}, bukan {variant})")
        elif record.order != order:
            orders.append(f"{slot} ({record.order[:8]!r}, bukan {order})")
    notes = []
    if variants:
        notes.append("berkas jawaban mengaku varian soal lain (dinilai 0 pada varian yang diberikan): "
                     + ", ".join(variants)[:240])
    if orders:
        notes.append("berkas jawaban mengaku urutan pilihan lain (dinilai pada varian yang diberikan): "
                     + ", ".join(orders)[:240])
    return notes
