"""Which bank items the live quiz may open, and why not.

The live quiz is practice: it opens the bank's practice pool
(:attr:`latsar.authoring.itembank.ItemBank.practice`).  A graded item shown and revealed
in class before its assignment is handed in would give its key away, and the
same bank serves retakes and later cohorts.  So a graded item opens only when
the instructor asks for it explicitly (``allow_graded`` in the request) **and**
its assignment has been collected: submissions of it exist in the course's
``submitted/`` folder or in the gradebook.  Everything else is refused with an
Indonesian message that says what to do instead.
"""

from __future__ import annotations

from latsar.course import Course
from latsar.live.store import LiveError


def collected_count(course: Course, assignment: str) -> int:
    """How many participants' submissions of ``assignment`` have been collected (folder or gradebook)."""
    folder = 0
    if course.submitted.is_dir():
        for student in course.submitted.iterdir():
            target = student / assignment
            if target.is_dir() and any(target.iterdir()):
                folder += 1
    return max(folder, _gradebook_count(course, assignment))


def _gradebook_count(course: Course, assignment: str) -> int:
    """Submissions recorded in nbgrader's gradebook; 0 when there is no gradebook (yet)."""
    try:
        import sqlalchemy as sa

        from latsar.course import gradebook

        if not gradebook.has_tables(course.db_url):
            return 0
        with gradebook.connect(course.db_url) as conn:
            return int(conn.execute(sa.text(
                "SELECT COUNT(*) FROM submitted_assignment s JOIN assignment a ON a.id = s.assignment_id"
                " WHERE a.name = :name"), {"name": assignment}).scalar() or 0)
    except Exception:  # an unreachable gradebook counts as "not collected": refusing is the safe side
        return 0


def resolve(course: Course, item_id: str, *, allow_graded: bool = False):
    """The item to open for ``item_id``, or a :class:`LiveError` (403/404) saying why not."""
    bank = course.item_bank
    if item_id in bank.practice:
        return bank.practice[item_id]
    if item_id not in bank:
        raise LiveError(f"Soal {item_id!r} tidak ada di bank soal.", 404)
    item = bank[item_id]
    if not allow_graded:
        raise LiveError(
            f"Soal {item_id} adalah soal evaluasi yang dinilai (tugas {item.assignment}); kuis langsung memakai "
            "soal latihan (LAT1-…, LAT2-…). Soal yang dinilai hanya boleh dibuka setelah tugasnya dikumpulkan, "
            "dengan izin pengampu yang tegas (allow_graded).", 403)
    if collected_count(course, item.assignment) == 0:
        raise LiveError(
            f"Soal {item_id} belum boleh dibuka: tugas {item.assignment} belum dikumpulkan (tidak ada kiriman di "
            "folder submitted/ maupun di gradebook). Jalankan `nbgrader collect` dulu, atau pakai soal latihan.", 403)
    return item


def listing(course: Course, *, graded: bool = False) -> list[dict]:
    """The instructor's choice of items: the practice pool, and with ``graded`` the graded items too."""
    bank = course.item_bank
    rows = [{"item_id": p.id, "stem": p.stem, "section": p.section.label, "materi_pokok": p.materi_pokok,
             "graded": False} for p in bank.practice.values()]
    if graded:
        counts = {a: collected_count(course, a) for a in {i.assignment for i in bank}}
        rows += [{"item_id": i.id, "stem": i.stem, "section": i.section.label, "materi_pokok": i.materi_pokok,
                  "graded": True, "assignment": i.assignment, "collected": counts[i.assignment]} for i in bank]
    return rows
