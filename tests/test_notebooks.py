"""Lesson notebooks: committed clean, in sync with the bank, complete, and runnable."""

import ast
import json
import re
import shutil
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from latsar.kernel.answers import write_answers
from latsar.course import ASSIGNMENTS, PRETEST_ASSIGNMENT
from latsar.authoring.notebooks import answer_source, is_activity, item_forms, item_keys, item_options, items_in, stem_source, sync_notebook

from .conftest import REPO


def tracked_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True).stdout.split()
    return [REPO / p for p in out] or sorted(REPO.glob("source/*/*.ipynb"))


def test_every_assignment_has_its_notebook():
    for assignment in ASSIGNMENTS:
        assert (REPO / "source" / assignment / f"{assignment}.ipynb").is_file()


@pytest.mark.parametrize("path", tracked_notebooks(), ids=lambda p: p.name)
def test_committed_without_outputs_or_widget_state(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert "widgets" not in nb["metadata"]
    dirty = [c.get("id") for c in nb["cells"] if c.get("outputs") or c.get("execution_count")]
    assert dirty == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_is_in_sync_with_the_item_bank(assignment, released):
    nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    assert nbformat.writes(sync_notebook(nb, released.item_bank, f"{assignment}.ipynb")) == nbformat.writes(nb)


def test_each_evaluation_holds_its_ten_items_in_order(released):
    bank = released.item_bank
    for mp, assignment in ((1, ASSIGNMENTS[1]), (2, ASSIGNMENTS[2])):
        nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        assert items_in(nb) == [i.id for i in bank.for_materi_pokok(mp)]


ITEM_ID = re.compile(r"\b(MP|LAT)[12]-\d{2}\b")


def test_stem_cell_is_the_heading_only_no_id_no_stem_no_options(released):
    item = released.item_bank["MP1-01"]
    source = stem_source(item)
    assert source == "**Soal 1**"  # the participant's own variant is shown by the answer cell
    assert not ITEM_ID.search(source) and item.stem not in source
    assert not any(text in source for text in item.options.values())  # they are the buttons


def choose_call(source: str) -> ast.Call:
    calls = [n.value for n in ast.parse(source).body
             if isinstance(n, ast.Expr) and getattr(n.value.func, "id", None) == "choose"]
    assert len(calls) == 1
    return calls[0]


def test_answer_cell_carries_the_option_texts_and_no_key(released):
    bank = released.item_bank
    for item in bank:
        source = answer_source(item.id, item_options(item))
        call = choose_call(source)
        assert [ast.literal_eval(a) for a in call.args] == [item.id, [item.options[k] for k in "abcd"]]
        assert "key=" not in source
        pinned = answer_source(item.id, item_options(item), key=item.key)
        assert pinned.replace(f'check("{item.id}", key="{item.key}")', f'check("{item.id}")') == source
    # quotes and backslashes in an option stay text
    odd = ['kata "kutip"', "garis \\ miring", "baris\nbaru", "\u2019"]
    assert ast.literal_eval(ast.unparse(choose_call(answer_source("MP1-01", odd)).args[1])) == odd
    assert choose_call(answer_source("MP1-01")).args[1:] == []  # no options: bare letters


def test_answer_cell_carries_every_variant_and_no_key(released):
    bank = released.item_bank
    for item in bank:
        forms = item_forms(bank, item.id)
        assert list(forms) == [v.id for v in bank.slots[item.id]] and len(forms) == 3
        source = answer_source(item.id, forms=forms, assignment=item.assignment)
        call = choose_call(source)
        given = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        assert given["assignment"] == item.assignment and given["attempt"] == 1
        assert {v: (stem, list(texts)) for v, (stem, texts) in given["forms"].items()} == \
            {v.id: (v.stem, [v.options[k] for k in "abcd"]) for v in bank.slots[item.id]}
        assert "key" not in source
        pinned = answer_source(item.id, forms=forms, assignment=item.assignment, keys=item_keys(bank, item.id))
        keys = ", ".join(f'"{v.id}": "{v.key}"' for v in bank.slots[item.id])
        assert pinned.replace(f'check("{item.id}", keys={{{keys}}}, attempt=1)', f'check("{item.id}")') == source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_participants_see_no_item_id(assignment, released):
    """Ids stay in cell metadata and code (hidden); markdown shows "Soal N" only."""
    nb = nbformat.read(released.release_notebook(assignment), as_version=4)
    assert [c.id for c in nb.cells if c.cell_type == "markdown" and ITEM_ID.search(c.source)] == []


def free_text_ids(assignment):
    nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "markdown"]


def test_free_text_is_manually_graded_in_bab3_and_bab4():
    assert free_text_ids("bab3_berorientasi_pelayanan") == ["bab3_analisis_kasus"]
    assert free_text_ids("bab4_penutup") == ["bab4_rencana_aktualisasi"]


SECTION = re.compile(r"^(## |### \d+\.[a-z] )")  # module sub-sections: "## 2. …", "### 1.a …"


def sections(nb):
    """(heading, cells) for every module sub-section heading."""
    out, current = [], None
    for cell in nb.cells:
        heading = next((line for line in cell.source.splitlines() if SECTION.match(line)), None) \
            if cell.cell_type == "markdown" else None
        if heading:
            current = (heading, [])
            out.append(current)
        elif current:
            current[1].append(cell)
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_sub_section_has_a_practice_activity(assignment):
    nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    exempt = ("Rangkuman", "Evaluasi", "Analisis Kasus", "Pra-tes")  # the pre-test is graded items only
    missing = [h for h, cells in sections(nb)
               if not any(word in h for word in exempt) and not any(is_activity(c) for c in cells)]
    assert missing == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_code_is_out_of_sight(assignment):
    nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.metadata.get("jupyter", {}).get("source_hidden"), cell.source[:60]
            if is_activity(cell) or "reflection" in cell.metadata.get("latsar", {}):
                assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
            else:
                assert cell.metadata["nbgrader"]["locked"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_lesson_is_marked_for_the_lesson_extension(assignment, released):
    """labextension/ runs and hides only notebooks that say so; the release keeps the mark."""
    nb = nbformat.read(released.release / assignment / f"{assignment}.ipynb", as_version=4)
    expected = {"lesson": True, "attempt": 0} if assignment == PRETEST_ASSIGNMENT else {"lesson": True}
    assert nb.metadata["latsar"] == expected
    bare = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")])
    assert sync_notebook(bare, released.item_bank).metadata["latsar"] == {"lesson": True}


#: What participants no longer do or see: a lesson runs itself (labextension/), and nbgrader's
#: panel is reached from its menu, not a notebook-server tab.
OUTDATED_INSTRUCTIONS = re.compile(r"Run All|Run ▸|tab \*\*Assignments")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_instructions_name_what_participants_see(assignment):
    nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    stale = [f"sel {n}: {m.group(0)!r}" for n, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
             for m in OUTDATED_INSTRUCTIONS.finditer(cell.source)]
    assert stale == []


def execute(path, cwd):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_notebook_runs_top_to_bottom_for_a_participant(assignment, released, tmp_path):
    """In a participant's folder (outside the course), unanswered: no error, widgets render."""
    home = tmp_path / assignment
    shutil.copytree(released.release / assignment, home)
    nb = execute(home / f"{assignment}.ipynb", home)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    widgets = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == sum(1 for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("assignment", ["bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"])
def test_a_cell_s_widgets_share_looks_made_by_that_cell_only(assignment, released, tmp_path):
    """latsar.kernel.look: the widgets of one cell run share their Layout and style models, so a
    lesson sends far fewer models; and a widget never names a model an earlier run made, which
    a browser meeting the kernel anew (a page reload) does not have."""
    from jupyter_client.manager import start_new_kernel

    home = tmp_path / assignment
    shutil.copytree(released.release / assignment, home)
    cells = [c for c in nbformat.read(home / f"{assignment}.ipynb", as_version=4).cells if c.cell_type == "code"]
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(home))
    opened: dict[str, str] = {}  # model id -> the run that opened it
    names: dict[str, str] = {}
    foreign = []
    try:
        for cell in cells:
            def seen(msg):
                if msg["msg_type"] != "comm_open":
                    return
                run = msg["parent_header"].get("msg_id")
                opened[msg["content"]["comm_id"]] = run
                state = msg["content"]["data"]["state"]
                names[msg["content"]["comm_id"]] = state["_model_name"]
                for ref in re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state)):
                    if opened.get(ref) != run:
                        foreign.append((state["_model_name"], names.get(ref)))
            kc.execute_interactive(cell.source, timeout=60, output_hook=seen)
    finally:
        km.shutdown_kernel(now=True)
    assert foreign == []
    looks = sum(1 for name in names.values() if name.endswith(("LayoutModel", "StyleModel")))
    assert looks * 2 < len(names) - looks, (looks, len(names))  # unshared, each control brings two


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_runs_top_to_bottom_for_the_instructor(assignment, course):
    """In the course, answered with the key: every hidden test passes."""
    folder = course.source / assignment
    write_answers(folder, {i.id: i.key for i in course.item_bank.for_assignment(assignment)})
    nb = execute(folder / f"{assignment}.ipynb", folder)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []


def markdown_headings(nb):
    """(cell index, level, text) of every heading in the notebook's markdown, quoted ones included."""
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            line = re.sub(r"^(>\s?)+", "", line)
            fenced = fenced != line.startswith("```")
            found = re.match(r"^(#{1,6})\s+(.*)", line)
            if found and not fenced:
                yield n, len(found.group(1)), found.group(2)


@pytest.mark.parametrize("path", sorted((REPO / "source").glob("*/*.ipynb")), ids=lambda p: p.stem)
def test_headings_go_down_one_level_at_a_time_and_table_headers_say_something(path):
    """What a screen reader navigates by (axe's heading-order and empty-table-header rules, which
    the browser test also runs on bab2 and bab3)."""
    nb = nbformat.read(path, as_version=4)
    skips, previous = [], 0
    for n, level, text in markdown_headings(nb):
        if previous and level > previous + 1:
            skips.append(f"sel {n}: h{previous} lalu h{level} '{text[:50]}'")
        previous = level
    assert skips == []
    empty = [f"sel {n}: {header.strip()[:60]}" for n, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
             for header in re.findall(r"^(\|.*\|)[ \t]*\n\|[-:| \t]+\|", cell.source, re.M)
             if any(not part.strip() for part in header.strip().strip("|").split("|"))]
    assert empty == []
