"""Autograde steps that make grading run only the release's code, on every path.

Configured in ``nbgrader_config.py`` (``c.Autograde.sanitize_preprocessors`` and
``c.Autograde.autograde_preprocessors``), so stock ``nbgrader autograde``, the
formgrader's Autograde button and ``latsar autograde`` all go through them.
Participants in this course never write code: graded items are click widgets
whose answers live in ``.jawaban.json``, free text is markdown.  So:

- :class:`NoteTampering` (sanitize) — what the participant changed compared with
  the release (:func:`latsar.grading.inspect.inspect_submission`), as review notes.
- :class:`ReleaseCellsOnly` (sanitize, after nbgrader's ``OverwriteCells``) —
  every code cell that is executed is a release code cell: added code cells are
  removed, edited ones restored from the release; files of the submission other
  than the notebook, ``.jawaban.json`` and ``timestamp.txt`` leave the folder the
  kernel runs in.  Both are kept aside for the instructor under
  ``<course>/disisihkan/<peserta>/<tugas>/`` (the course folder is hidden from
  every sandboxed kernel) and the submission is flagged *perlu diperiksa*.
- :class:`ReconcileClicks` (autograde, after ``SaveAutoGrades``) — each item's
  grade is what the clicks of the submitted ``.jawaban.json`` earn
  (:func:`latsar.grading.reconcile.reconcile`); then the review record
  ``.latsar-periksa.json`` is written beside the autograded notebook, where
  ``latsar autograde``'s summary and ``latsar report`` read it whichever path graded.

Notes found while sanitising travel to the last step inside the sanitised
notebook's metadata: it is read before any kernel starts, so nothing a kernel
does can drop a flag.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from latsar.course import ITEM_BANK, find_course_root
from latsar.course.files import atomic_write
from latsar.grading.inspect import EXPECTED_FILES

#: Review record beside each autograded notebook (both grading paths write it).
RECORD = ".latsar-periksa.json"
#: Where removed cells and files are kept for the instructor, inside the course folder.
ASIDE = "disisihkan"
_NOTES = "latsar_periksa"  # notebook metadata key carrying notes from sanitize to the record


class SanitizeError(RuntimeError):
    pass


def _course_root(resources) -> Path:
    folder = resources.get("metadata", {}).get("path") or "."
    root = find_course_root(folder)
    if root is None:
        raise SanitizeError(f"Tidak menemukan {ITEM_BANK} di atas {Path(folder).resolve()}")
    return Path(root)


def _coursedir(config, root: Path):
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=config)
    coursedir.root = str(root)
    return coursedir


def add_notes(nb, notes: list[str]) -> None:
    if notes:
        nb.metadata.setdefault(_NOTES, [])
        nb.metadata[_NOTES] = list(nb.metadata[_NOTES]) + list(notes)


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


class NoteTampering(NbGraderPreprocessor):
    """Review notes: what the participant changed compared with the release they fetched."""

    def preprocess(self, nb, resources):
        from latsar.course import Course
        from latsar.grading.inspect import inspect_submission

        info = resources["nbgrader"]
        course = Course.at(_course_root(resources))
        add_notes(nb, inspect_submission(course, info["student"], info["assignment"]))
        return nb, resources


class ReleaseCellsOnly(NbGraderPreprocessor):
    """Only the release's code is executed; the rest is kept aside and flagged (module docstring)."""

    def preprocess(self, nb, resources):
        import nbformat

        info = resources["nbgrader"]
        student, assignment, notebook = info["student"], info["assignment"], info["notebook"]
        root = _course_root(resources)
        coursedir = _coursedir(self.config, root)
        release_path = Path(coursedir.format_path(coursedir.release_directory, ".", assignment)) / f"{notebook}.ipynb"
        if not release_path.is_file():
            raise SanitizeError(
                f"Notebook rilis {release_path} tidak ada: kiriman {student}/{assignment} tidak dapat "
                f"dibandingkan dengan rilis, jadi tidak dinilai. Jalankan `latsar release {assignment}` "
                "(atau `nbgrader generate_assignment`) lalu nilai ulang.")
        release = nbformat.read(release_path, as_version=4)
        by_id, by_grade_id, sources, tags = {}, {}, [], {}
        for cell in release.cells:
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            tags[grade_id or cell.get("id")] = list(cell.metadata.get("tags", []))
            if grade_id:
                by_grade_id[grade_id] = _source(cell)
            else:
                by_id[cell.get("id")] = _source(cell)
                sources.append(_source(cell))
        kept, removed, restored = [], [], []
        for cell in nb.cells:
            if cell.cell_type != "code":
                kept.append(cell)
                continue
            marks = cell.metadata.get("nbgrader", {})
            grade_id = marks.get("grade_id")
            if grade_id and marks.get("locked"):
                kept.append(cell)  # nbgrader's OverwriteCells put the gradebook's source back
                continue
            original = by_grade_id.get(grade_id) if grade_id else by_id.get(cell.get("id"))
            if original is None and not grade_id and _source(cell) in sources:
                original = _source(cell)
            if original is None:
                removed.append(cell)
                continue
            if original is not None and _source(cell) != original:
                restored.append((cell.get("id") or grade_id, _source(cell)))
                cell.source = original
            if original in sources:
                sources.remove(original)
            kept.append(cell)
        retagged = []
        for cell in kept:  # tags steer execution (c.Execute.skip_cells_with_tag): the release's, no others
            if cell.cell_type == "code":
                key = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id")
                if list(cell.metadata.get("tags", [])) != tags.get(key, []):
                    retagged.append(str(key))
                if tags.get(key):
                    cell.metadata["tags"] = tags[key]
                else:
                    cell.metadata.pop("tags", None)
        nb.cells = kept
        aside = root / ASIDE / student / assignment
        notes = []
        if removed or restored:
            _keep_cells(aside / f"{notebook}.sel-kode.txt", removed, restored)
            parts = []
            if removed:
                parts.append(f"{len(removed)} sel kode tambahan dihapus")
            if restored:
                parts.append(f"{len(restored)} sel kode diubah dikembalikan ke versi rilis "
                             f"({', '.join(str(i) for i, _ in restored)[:120]})")
            notes.append(f"{' dan '.join(parts)} sebelum dijalankan; kodenya tidak dijalankan "
                         f"(salinan: {ASIDE}/{student}/{assignment}/{notebook}.sel-kode.txt)")
        if retagged:
            notes.append(f"tag sel diubah peserta (dikembalikan ke versi rilis): {', '.join(retagged)[:120]}")
        moved = self._remove_stray_files(coursedir, root, student, assignment, aside)
        if moved:
            notes.append(f"berkas tambahan dipindahkan dari folder penilaian ke {ASIDE}/{student}/{assignment}/berkas/: "
                         f"{', '.join(moved)[:160]}")
        add_notes(nb, notes)
        return nb, resources

    def _remove_stray_files(self, coursedir, root, student, assignment, aside) -> list[str]:
        """Move every file nbgrader copied into the kernel's folder that the release does not have."""
        work = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        allowed = set(EXPECTED_FILES)
        if source.is_dir():
            allowed |= {str(p.relative_to(source)) for p in source.rglob("*") if not p.is_dir()}
        moved = []
        if not work.is_dir() or work.is_symlink():
            return moved
        for dirpath, dirnames, filenames in os.walk(work, followlinks=False):
            for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
                path = Path(dirpath, name)
                rel = str(path.relative_to(work))
                if path.suffix == ".ipynb" and Path(rel).parent == Path("."):
                    continue  # the notebooks nbgrader writes itself
                if rel in allowed and not path.is_symlink():
                    continue
                target = aside / "berkas" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)  # a rename: never follows a planted link
                moved.append(rel)
        for dirpath, dirnames, _ in os.walk(work, topdown=False):  # folders left empty
            for name in dirnames:
                try:
                    os.rmdir(os.path.join(dirpath, name))
                except OSError:
                    pass
        return sorted(moved)


def _keep_cells(path: Path, removed, restored) -> None:
    """Plain text, never a notebook: set aside code is not run by accident."""
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = []
    for cell in removed:
        blocks.append(f"# --- sel kode tambahan (id {cell.get('id')}), dihapus sebelum penilaian ---\n{_source(cell)}\n")
    for cell_id, source in restored:
        blocks.append(f"# --- sel {cell_id} versi peserta, diganti versi rilis ---\n{source}\n")
    write_private(path, "\n".join(blocks).encode())


class ReconcileClicks(NbGraderPreprocessor):
    """After ``SaveAutoGrades``: grades from the clicks, then the review record (module docstring)."""

    def preprocess(self, nb, resources):
        from latsar.course import Course
        from latsar.grading.reconcile import reconcile

        info = resources["nbgrader"]
        root = _course_root(resources)
        course = Course.at(root, info["db_url"])
        notes = list(nb.metadata.pop(_NOTES, []))
        grading = resources.get("latsar_grading", {})
        notes += grading.get("notes", [])
        notes += reconcile(course, info["db_url"], info["student"], info["assignment"])
        mode = grading.get("sandbox", "none")  # named in the summary and the report, not a flag
        coursedir = _coursedir(self.config, root)
        folder = Path(coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"]))
        write_record(folder, {"status": "flagged" if notes else "graded", "reason": "; ".join(notes),
                              "notes": notes, "sandbox": mode, "graded_at": time.time()})
        return nb, resources


def write_private(path: Path, data: bytes) -> None:
    """Atomic write that never follows a link planted by a kernel (0640: the grader and its group)."""
    atomic_write(path, data, mode=0o640)


def write_record(folder: Path, record: dict) -> None:
    write_private(Path(folder) / RECORD, json.dumps(record, ensure_ascii=False).encode())


def read_record(folder: Path) -> dict | None:
    try:
        return json.loads((Path(folder) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
