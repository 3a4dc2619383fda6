"""The glossary: every foreign term of the lessons explained, linked from every notebook, kept in step."""

import json

import pytest

from latsar.authoring import release
from latsar.authoring.glossary import GLOSSARY, GLOSSARY_MD, LINK_LINE, GlossaryError, load, render
from latsar.course import Course

from .conftest import REPO

#: English (and other foreign) terms the lessons use; each one found in a notebook must be in the glossary.
CURATED = [
    "employee value proposition", "code of conduct", "code of ethics", "output", "outcome",
    "do things differently", "internet of things", "customer", "customer needs", "customer satisfaction",
    "synchronous", "asynchronous", "stakeholders", "producer view", "consumer view", "public view",
    "core values", "employer branding", "good governance", "back office", "front liner", "Grand Design",
    "MOOC", "e-learning", "blended learning", "benchmark", "breakthrough", "business as usual",
    "bureaucratic paternalism", "mindset", "public service", "service delivery system",
    "social accountability", "superior customer value", "core public services", "No wrong door policy",
    "World Class Government", "Sustainable Development Goals", "Global Innovation Index",
    "cultural and political development", "economic and social development",
    "doing something better and better", "drop-down", "SOP", "notebook", "kernel", "Submit", "Fetch",
    "Fetch Feedback", "Assignment List", "World Intellectual Property Organization",
]


def lesson_text() -> str:
    parts = []
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        parts += ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    return "\n".join(parts).lower()


def test_every_curated_term_of_the_lessons_is_in_the_glossary():
    text = lesson_text()
    terms = {t.term.lower() for t in load(REPO / GLOSSARY)}
    used = [t for t in CURATED if t.lower() in text]
    assert len(used) >= 40
    assert [t for t in used if t.lower() not in terms] == []


def test_every_notebook_links_the_glossary_under_its_title():
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        title = "".join(cells[0]["source"])
        assert title.startswith("# ") and LINK_LINE in title, path
        assert "[" not in LINK_LINE  # the markdown escape would show it as &#91; in feedback
        assert (path.parent / GLOSSARY_MD).read_text(encoding="utf-8") == render(load(REPO / GLOSSARY))


def test_sync_check_notices_a_stale_or_missing_glossary_page(course: Course):
    assert release.sync(course, check_only=True) == []
    glossary = course.root / GLOSSARY
    glossary.write_text(glossary.read_text(encoding="utf-8").replace(
        "Pemangku kepentingan:", "Para pemangku kepentingan:"), encoding="utf-8")
    stale = release.sync(course, check_only=True)
    assert sorted(p.name for p in stale) == [GLOSSARY_MD] * 6  # four lessons, two retakes
    release.sync(course)
    assert release.sync(course, check_only=True) == []
    assert "Para pemangku kepentingan:" in (course.source / "bab4_penutup" / GLOSSARY_MD).read_text(encoding="utf-8")
    (course.source / "bab1_pendahuluan" / GLOSSARY_MD).unlink()
    assert [p.name for p in release.sync(course, check_only=True)] == [GLOSSARY_MD]


def test_the_release_carries_the_glossary_beside_each_notebook(released: Course):
    for assignment in released.assignments:
        assert (released.release / assignment / GLOSSARY_MD).is_file()


@pytest.mark.parametrize("text, message", [
    ("terms: []\n", "field 'terms'"),
    ("terms:\n  - {term: SOP}\n", "istilah ke-1: harus tepat berisi"),
    ("terms:\n  - {term: SOP, explanation: ' '}\n", "field 'explanation' wajib"),
    ("terms:\n  - {term: SOP, explanation: a}\n  - {term: sop, explanation: b}\n", "ganda"),
])
def test_a_malformed_glossary_is_refused_with_the_entry_named(tmp_path, text, message):
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GlossaryError, match=message):
        load(path)
