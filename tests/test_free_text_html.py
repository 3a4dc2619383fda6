"""Free-text answers cannot run script in a grader's browser (issue 11, item 5).

A participant's free-text answer carries `<script>`, `<img onerror>`, `javascript:` links, an
`<iframe>` and `<svg onload>`.  After stock `nbgrader autograde`, the real formgrader page
(a jupyter server with nbgrader's formgrader extension, fetched over HTTP) and the feedback
HTML from stock `nbgrader generate_feedback` must hold no executable payload, while the
participant's text still reads as typed.  Each layer is also tried alone: the autograded
notebook with the payload put back raw (as a notebook autograded before the preprocessor
existed) must still render safely.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter

from latsar.grading.safehtml import EscapeAnswerHTML, escape_markdown_html
from latsar.hub.server import free_port

from .conftest import BIN, clone, nbgrader

ASSIGNMENT = "bab3_berorientasi_pelayanan"
ANSWER_CELL = "bab3_analisis_kasus"
PAYLOAD = "\n".join([
    "Jawaban saya: pelayanan harus **cepat** dan <b>ramah</b>, nilai < 5 itu buruk.",
    "",
    '<script>alert("XSS-SCRIPT")</script>',
    "",
    '<img src="x" onerror="alert(\'XSS-IMG\')">',
    "",
    '[klik di sini](javascript:alert("XSS-LINK")) dan <a href="javascript:alert(\'XSS-A\')">tautan</a>',
    "",
    "[ref]: javascript:alert('XSS-REF')",
    "",
    "Lihat [ref] dan <javascript:alert('XSS-AUTO')>",
    "",
    '<iframe src="javascript:alert(\'XSS-IFRAME\')"></iframe>',
    "",
    '<svg onload="alert(\'XSS-SVG\')"></svg>',
])
# What a grader must still be able to read, as text.
READABLE = ['<script>alert("XSS-SCRIPT")</script>', '<img src="x" onerror="alert(\'XSS-IMG\')">',
            '<iframe src="javascript:alert(\'XSS-IFRAME\')"></iframe>', "nilai < 5 itu buruk"]
ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "svg", "math", "base", "form", "meta", "link"}


class Scan(HTMLParser):
    """Everything in a page that a browser would execute or load, and the visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.script_text if self._in_script else self.text).append(data)

    def dangers(self) -> list[str]:
        found = []
        for tag, attrs in self.tags:
            for name, value in attrs.items():
                value = value or ""
                if "XSS" in value:
                    found.append(f"<{tag} {name}={value!r}>")
                if name.startswith("on") and "XSS" in value:
                    found.append(f"event handler <{tag} {name}>")
                if name in ("href", "src", "action", "formaction", "xlink:href") and \
                        value.strip().lower().startswith(("javascript:", "vbscript:", "data:text")):
                    found.append(f"<{tag} {name}={value!r}>")
            if tag in ACTIVE_TAGS and any("XSS" in (v or "") for v in attrs.values()):
                found.append(f"<{tag}>")
            if tag in ("iframe", "frame", "object", "embed", "svg"):
                found.append(f"<{tag}> element")
        found += [f"script text {t.strip()[:60]!r}" for t in self.script_text if "XSS" in t]
        return found


def scan(html: str) -> Scan:
    parser = Scan()
    parser.feed(html)
    return parser


def put_answer(path: Path, text: str) -> None:
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == ANSWER_CELL]
    cell.source = text
    nbformat.write(nb, path)


def answer_of(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == ANSWER_CELL]
    return cell.source


@pytest.fixture(scope="module")
def xss(released, tmp_path_factory):
    """`penyerang` went through stock autograde; `lama` has the raw payload in its autograded copy."""
    root = tmp_path_factory.mktemp("xss")
    course = clone(released, root / "course")
    notebook = f"{ASSIGNMENT}.ipynb"
    for student in ("penyerang", "lama"):
        folder = course.submission_dir(student, ASSIGNMENT)
        shutil.copytree(course.release / ASSIGNMENT, folder)
        put_answer(folder / notebook, PAYLOAD)
        nbgrader(course, "autograde", ASSIGNMENT, f"--student={student}", "--create", "--force")
    # a notebook autograded before EscapeAnswerHTML was configured: layer 2 alone must hold;
    # and an output a participant's code could have displayed (HTML and JavaScript)
    autograded = course.root / "autograded" / "lama" / ASSIGNMENT / notebook
    put_answer(autograded, PAYLOAD)
    nb = nbformat.read(autograded, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs.append(nbformat.v4.new_output("display_data", data={
        "text/html": '<img src="x" onerror="alert(\'XSS-OUT\')"><b>keluaran peserta</b>', "text/plain": "k"}))
    code.outputs.append(nbformat.v4.new_output("display_data", data={
        "application/javascript": "alert('XSS-JS')", "text/plain": "k"}))
    nbformat.write(nb, autograded)
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    pages = {s: (course.root / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text() for s in ("penyerang", "lama")}
    return course, pages


def test_autograde_escapes_the_answer_cell(xss):
    course, _ = xss
    text = answer_of(course.root / "autograded" / "penyerang" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert "<" not in text and "[" not in text
    assert text == escape_markdown_html(PAYLOAD)
    assert escape_markdown_html(text) == text  # idempotent


def test_release_markdown_is_unchanged_by_the_escape(released):
    """Every markdown cell is escaped; the course's own markdown has nothing to escape."""
    for notebook in released.release.rglob("*.ipynb"):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert escape_markdown_html(cell.source) == cell.source, (notebook.name, cell.source[:80])


def test_the_scanner_sees_stock_rendering_as_dangerous():
    """Control: nbconvert's own markdown2html turns this payload into live markup."""
    html = HTMLExporter().markdown2html({}, PAYLOAD)
    found = scan(html).dangers()
    assert any("onerror" in d for d in found) and any("javascript:" in d for d in found), found
    assert any("script text" in d for d in found) and any("iframe" in d for d in found), found


@pytest.mark.parametrize("student", ["penyerang", "lama"])
def test_feedback_has_no_payload_and_reads_as_text(xss, student):
    _, pages = xss
    page = scan(pages[student])
    assert page.dangers() == []
    visible = "".join(page.text)
    for text in READABLE:
        assert text in visible, text
    # our own markup in outputs (ItemFeedback's coloured verdicts) is still markup, not text
    assert "<p style" not in visible
    assert any(tag == "p" and "color" in (attrs.get("style") or "") for tag, attrs in page.tags)


@pytest.fixture(scope="module")
def formgrader(xss, tmp_path_factory):
    """A jupyter server with nbgrader's formgrader extension in the course folder."""
    course, _ = xss
    home = tmp_path_factory.mktemp("fg-home")
    port, token = free_port(), "xss-test-token"
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / "cfg"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "run")}
    (home / "cfg").mkdir()
    (home / "cfg" / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": True}}}))
    proc = subprocess.Popen(
        [str(BIN / "jupyter-server"), "--allow-root", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={course.root}"],
        cwd=course.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"jupyter server exited: {proc.stdout.read()}")
                time.sleep(0.1)
        else:
            pytest.fail("jupyter server did not answer in 60 s")
        yield course, base, token
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("student", ["penyerang", "lama"])
def test_formgrader_page_has_no_payload_and_reads_as_text(formgrader, student):
    from nbgrader.api import Gradebook

    course, base, token = formgrader
    with Gradebook(course.db_url, "latsar-pelayanan") as gb:
        submission_id = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).id
    with urllib.request.urlopen(f"{base}/formgrader/submissions/{submission_id}/?token={token}", timeout=60) as r:
        html = r.read().decode()
    assert "Student's answer" in html  # the grading page itself, not an error page
    page = scan(html)
    assert page.dangers() == []
    visible = "".join(page.text)
    for text in READABLE:
        assert text in visible, text
    if student == "lama":  # the participant's HTML output is shown, cleaned
        assert "keluaran peserta" in visible


def test_escape_preprocessor_leaves_code_cells_alone():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = '<b>' if a[0] else 1"),
                                         nbformat.v4.new_markdown_cell("<b>a</b> [x](y)")])
    out, _ = EscapeAnswerHTML().preprocess(nb, {})
    assert out.cells[0].source == "x = '<b>' if a[0] else 1"
    assert out.cells[1].source == "&lt;b>a&lt;/b> &#91;x](y)"


def test_honest_feedback_is_unchanged_by_the_safe_config(released, tmp_path):
    """The sanitising block changes nothing an honest participant sees (bar CSS ';')."""
    from latsar.course.nbgrader_api import api, check

    from .conftest import grade

    course = clone(released, tmp_path / "course")
    grade(course, {"jujur": {i.id: (i.key if n % 2 else "A") for n, i in enumerate(course.item_bank)}}, tmp_path)
    graded = ("bab2_konsep_pelayanan_publik", ASSIGNMENT)

    def pages(overrides=None):
        shutil.rmtree(course.feedback, ignore_errors=True)
        for assignment in graded:
            check(api(course, overrides).generate_feedback(assignment, "jujur"), "generate_feedback")
        return {p.name: p.read_text() for p in course.feedback.rglob("*.html")}

    from traitlets.config import Config

    safe = pages()
    stock = Config()
    stock.HTMLExporter.filters = {}  # nbconvert's own markdown2html and clean_html
    stock.HTMLExporter.sanitize_html = False
    plain = pages(stock)
    assert sorted(safe) == sorted(plain) and len(safe) == 2
    assert safe != plain  # the override did switch the sanitiser off (CSS ';' differs)
    for name in safe:
        assert safe[name].replace(';"', '"') == plain[name], name
