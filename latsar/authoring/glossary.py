"""The glossary (``course_data/glosarium.yaml``): every foreign term of the lessons, explained in Indonesian.

One source of truth: ``latsar sync`` renders it to ``glosarium.md`` in each assignment's source
folder (nbgrader's ``generate_assignment`` copies it into the release, beside the notebook), and
writes a line under each lesson's title that points to it.  That line holds no link: grading
escapes ``[`` in every markdown cell (latsar/grading/safehtml.py), so a link would read as
``&#91;Glosarium]…`` in the formgrader and feedback.  The link itself is shown by the lesson's
progress cells (:func:`latsar.kernel.progress.progress`), as a Markdown output, which
JupyterLab opens in its Markdown viewer.  ``latsar sync --check`` notices a stale ``glosarium.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


from latsar.authoring.itembank import read_yaml
from latsar.course import GLOSSARY_MD, LatsarError

GLOSSARY = Path("course_data") / "glosarium.yaml"
#: The rendered file beside each lesson notebook.
#: The line ``latsar sync`` writes under each lesson's title (after the time estimate).
LINK_LINE = ("*📖 Istilah asing dijelaskan di Glosarium: klik tautan **Glosarium** di bawah kotak "
             f"Kemajuan, atau buka berkas {GLOSSARY_MD} di panel berkas.*")


class GlossaryError(LatsarError, ValueError):
    """The glossary file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class Term:
    term: str
    explanation: str


def load(path: str | Path) -> list[Term]:
    """The validated entries, in alphabetical order (case-insensitive), whatever the file's order."""
    path = Path(path)
    raw = read_yaml(path, GlossaryError, "glosarium")
    entries = raw.get("terms") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise GlossaryError(f"{path}: field 'terms' harus berupa daftar yang tidak kosong")
    terms, seen = [], set()
    for n, entry in enumerate(entries, 1):
        label = f"{path}: istilah ke-{n}"
        if not isinstance(entry, dict) or set(entry) != {"term", "explanation"}:
            raise GlossaryError(f"{label}: harus tepat berisi field 'term' dan 'explanation'")
        for name in ("term", "explanation"):
            if not isinstance(entry[name], str) or not entry[name].strip():
                raise GlossaryError(f"{label}: field '{name}' wajib diisi (teks)")
        term = Term(" ".join(entry["term"].split()), " ".join(entry["explanation"].split()))
        if term.term.lower() in seen:
            raise GlossaryError(f"{label}: istilah {term.term!r} ganda")
        seen.add(term.term.lower())
        terms.append(term)
    return sorted(terms, key=lambda t: t.term.casefold())


def render(terms: list[Term]) -> str:
    """``glosarium.md``: a title, a short note, then one entry per term."""
    lines = [
        "# Glosarium",
        "",
        "Istilah asing (kebanyakan bahasa Inggris) yang muncul dalam paket pelajaran "
        "*Berorientasi Pelayanan*, diurutkan menurut abjad. Tutup tab ini untuk kembali ke notebook.",
        "",
        "<!-- Dibuat oleh `latsar sync` dari course_data/glosarium.yaml; jangan disunting di sini. -->",
        "",
    ]
    for term in terms:
        lines += [f"**{term.term}** — {term.explanation}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


_EARLIER_LINE = re.compile(r"\n\n\*📖 Istilah asing dijelaskan di [^\n]*")


def add_link(cells) -> None:
    """Write :data:`LINK_LINE` under the title's time estimate (or the title), once, in place."""
    title = next((c for c in cells if c.cell_type == "markdown" and c.source.startswith("# ")), None)
    if title is None:
        return
    source = _EARLIER_LINE.sub("", title.source)  # this line, or an earlier wording of it
    head, sep, rest = source.partition("\n\n")
    if rest.startswith("*⏱"):
        estimate, sep2, rest = rest.partition("\n\n")
        head, rest = f"{head}\n\n{estimate}", rest if sep2 else ""
    title.source = f"{head}\n\n{LINK_LINE}" + (f"\n\n{rest}" if rest else "")
