"""Accessibility, measured (issue 12, item 7).

axe-core (pinned in package.json, from npm) checks a rendered lesson, with its widgets, in
Chromium.  Each violation's node is classified by where it sits: inside an output of one of
our cells (``.jp-OutputArea-output``: our practice widgets, answer buttons, progress view,
live quiz) or inside our rendered markdown (``.jp-RenderedMarkdown``) it is *ours*, anything
else (toolbars, the windowed list, the notebook's own nodes) is *JupyterLab's*.  Any violation of
ours fails the test, minor ones included; JupyterLab's are listed in docs/accessibility.md.
The summary and a screenshot go to ``tests/e2e/artifacts/axe-<lesson>.json`` / ``.png``.

A participant who uses no mouse answers a practice quiz (radio buttons) and a matching
activity (drop-downs and *Periksa*) with Tab, the arrow keys, Space and Enter only.
(Graded items by keyboard: ``test_hub_course.click_answers``.)
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from latsar.kernel.activities import display_order

from .conftest import ARTIFACTS, log_in, open_lab, wait_until
from .test_hub_course import BAB2, BAB3, OPTIONS, assignment_list, fetch, open_notebook

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("critical", "serious", "moderate", "minor")  # of ours: every one
IMPACTS = ("critical", "serious", "moderate", "minor")

#: Runs axe on the open notebook panel; returns the violations, each node classified.
#:
#: axe checks colour contrast only for text it deems on screen: a line scrolled out of the
#: notebook, which JupyterLab clips, is skipped, and so is everything while ``<body>`` has no
#: height (JupyterLab's shell is positioned absolutely; CSS hands the body's ``overflow: hidden``
#: to the viewport, axe reads it as a clip of height 0).  So the body gets the window's height
#: while axe runs (nothing drawn changes), and colour contrast is checked screen by screen, the
#: notebook scrolled down each time; a line that fails on any screen fails.
AXE_RUN = """async () => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const outer = panel.querySelector('.jp-WindowedPanel-outer');
  const owner = (target) => {
    const el = typeof target[0] === 'string' ? document.querySelector(target[0]) : null;
    if (!el) return 'jupyterlab';
    return el.closest('.jp-OutputArea-output, .jp-RenderedMarkdown') ? 'ours' : 'jupyterlab';
  };
  const nodes = (list) => list.flatMap(v => v.nodes.map(n => ({
    rule: v.id, impact: n.impact || v.impact, help: v.help, helpUrl: v.helpUrl,
    target: n.target.join(' '), owner: owner(n.target), html: n.html.slice(0, 300),
    summary: (n.failureSummary || '').slice(0, 400)})));
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  document.body.style.height = '100vh';
  try {
    outer.scrollTop = 0;
    await frame();
    const result = await axe.run(panel, {resultTypes: ['violations', 'incomplete', 'passes']});
    const passed = {};  // how many of our nodes each rule checked and found fine
    for (const p of result.passes) {
      const ours = p.nodes.filter(n => owner(n.target) === 'ours').length;
      if (ours) passed[p.id] = ours;
    }
    let violations = nodes(result.violations).filter(n => n.rule !== 'color-contrast');
    const contrast = new Map(), fine = new Set();
    let screens = 0;
    for (let top = 0; ; top += outer.clientHeight - 40) {
      outer.scrollTop = top;
      await frame();
      const r = await axe.run(panel, {runOnly: ['color-contrast'], resultTypes: ['violations', 'passes']});
      screens += 1;
      for (const n of nodes(r.violations)) contrast.set(n.target, n);
      for (const p of r.passes) for (const n of p.nodes) if (owner(n.target) === 'ours') fine.add(n.target.join(' '));
      if (top + outer.clientHeight >= outer.scrollHeight || screens > 200) break;
    }
    for (const t of contrast.keys()) fine.delete(t);
    passed['color-contrast'] = fine.size;
    violations = violations.concat([...contrast.values()]);
    return {version: axe.version, url: location.pathname, contrast_screens: screens, passed_ours: passed,
            violations, incomplete: nodes(result.incomplete)};
  } finally {
    document.body.style.height = '';
    outer.scrollTop = 0;
  }
}"""


def render_every_cell(page) -> int:
    """Scroll the notebook from top to bottom so every cell and widget is rendered; cells in the DOM.

    JupyterLab 4.6's default ``windowingMode`` (``contentVisibility``) keeps every cell in the
    DOM but lets the browser skip those off screen; the other modes (``full``, ``defer``) may
    leave cells out of the DOM until they are scrolled to."""
    return page.evaluate("""async () => {
      const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')];
      for (const cell of cells) {
        cell.scrollIntoView({block: 'center'});
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      }
      cells[0].scrollIntoView({block: 'start'});
      return cells.length;
    }""")


def cell_count(hub, assignment: str) -> int:
    notebook = hub.course.release / assignment / f"{assignment}.ipynb"
    return len(json.loads(notebook.read_text(encoding="utf-8"))["cells"])


def summarize(found: dict) -> dict:
    counts = {owner: {impact: 0 for impact in IMPACTS} for owner in ("ours", "jupyterlab")}
    for node in found["violations"]:
        counts[node["owner"]][node["impact"]] += 1
    rules = {}
    for node in found["violations"]:
        rules.setdefault((node["owner"], node["rule"], node["impact"]), []).append(node["target"])
    return {"counts": counts,
            "rules": [{"owner": o, "rule": r, "impact": i, "nodes": len(t), "targets": t[:5]}
                      for (o, r, i), t in sorted(rules.items())]}


def run_axe(page, hub, assignment: str) -> dict:
    assert AXE.exists(), f"{AXE} tidak ada: jalankan `make install` (npm ci memasang axe-core)"
    assert render_every_cell(page) == cell_count(hub, assignment), "tidak semua sel ada di DOM"
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(AXE_RUN)
    found.update(summarize(found))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{assignment}.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
    page.screenshot(path=str(ARTIFACTS / f"axe-{assignment}.png"), full_page=False)
    return found


def try_every_kind(page) -> None:
    """Put the widgets in their coloured states before axe looks: a chosen answer, a quiz's
    feedback, a checked matching activity with a mark."""
    page.locator(".latsar-opsi").first.click()
    page.get_by_text("Jawaban a tersimpan").wait_for()
    outputs = page.locator(".jp-OutputArea-output")
    quiz = outputs.filter(has=page.locator(".widget-radio-box")).first
    quiz.locator("input[type=radio]").first.check()
    expect(quiz).to_contain_text(re.compile("Tepat|Belum tepat"))
    matching = outputs.filter(has=page.locator(".widget-dropdown")).first
    matching.locator("select").first.select_option(index=1)
    matching.get_by_role("button", name=re.compile("Periksa")).click()
    expect(matching).to_contain_text(re.compile("Benar|Semua benar"))


def ours_failing(found: dict) -> list[str]:
    return [f"{n['rule']} ({n['impact']}) di {n['target']}: {n['help']} — {n['summary']}"
            for n in found["violations"] if n["owner"] == "ours" and n["impact"] in FAILING]


@pytest.fixture(scope="module")
def participant_page(hub, browser):
    user = hub.plan.participants[0]
    page = log_in(browser, hub, user)
    open_lab(page, hub, user)
    assignment_list(page)
    fetch(page, BAB2)
    fetch(page, BAB3)
    yield user, page
    page.context.close()


@pytest.mark.parametrize("assignment", [BAB2, BAB3])
def test_axe_finds_no_serious_problem_in_our_lesson(hub, participant_page, steps, assignment):
    user, page = participant_page
    step = steps(f"axe-{assignment[:4]}")
    with step(page, "buka pelajaran: widget muncul sendiri"):
        open_notebook(page, hub, user, assignment)
        wait_until(lambda: page.locator(OPTIONS).count() == 10, 120, "10 soal tampil")
    if assignment == BAB2:
        with step(page, "jawab satu soal, satu kuis, satu latihan mencocokkan"):
            try_every_kind(page)
    with step(page, "axe pada panel notebook"):
        found = run_axe(page, hub, assignment)
        print(json.dumps(found["counts"]), json.dumps(found["passed_ours"]),
              *(json.dumps(r, ensure_ascii=False) for r in found["rules"]), sep="\n")
        assert found["passed_ours"].get("color-contrast"), "axe tidak memeriksa kontras teks kita"
        assert found["passed_ours"].get("select-name") or assignment != BAB2
        problems = ours_failing(found)
        assert not problems, f"{len(problems)} masalah dari konten atau widget kita:\n" + "\n".join(problems)


# -- keyboard only ---------------------------------------------------------------------------

def practice_calls(hub, assignment: str, name: str) -> list[ast.Call]:
    """The ``quiz(...)``/``match(...)`` calls of the lesson's cells, in order."""
    notebook = hub.course.release / assignment / f"{assignment}.ipynb"
    calls = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                calls.append(node)
    return calls


def focused(page) -> str:
    """What has keyboard focus: tag, type and accessible text, for messages and waits."""
    return page.evaluate("""() => { const e = document.activeElement;
      return e ? `${e.tagName.toLowerCase()}[${e.type || ''}] ${(e.labels && e.labels[0] ? e.labels[0].innerText
               : e.innerText || e.value || '').slice(0, 60)}` : ''; }""")


def tab_into(page, container, what: str, limit: int = 120) -> int:
    """Press Tab until focus is inside ``container``; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if container.evaluate("el => el.contains(document.activeElement)"):
            return presses
    raise AssertionError(f"{what}: tidak tercapai dengan {limit}× Tab (fokus terakhir: {focused(page)!r})")


def test_practice_activities_by_keyboard_only(hub, browser, steps):
    user = hub.plan.participants[1]
    step = steps("keyboard-latihan")
    page = log_in(browser, hub, user)
    quiz_call = practice_calls(hub, BAB2, "quiz")[0]
    question = ast.literal_eval(quiz_call.args[0])
    options = [ast.literal_eval(o) for o in quiz_call.args[1].elts]
    answer = ast.literal_eval(next(k.value for k in quiz_call.keywords if k.arg == "answer")) \
        if len(quiz_call.args) < 3 else ast.literal_eval(quiz_call.args[2])
    reasons = ast.literal_eval(next(k.value for k in quiz_call.keywords if k.arg == "reasons"))
    # the participant's own order of the options (their kernel's JUPYTERHUB_USER is their hub name)
    order = display_order(question, len(options), user)
    right = order.index(answer)  # positions below are as shown, not as written
    match_call = practice_calls(hub, BAB2, "match")[0]
    pairs = ast.literal_eval(match_call.args[1])
    with step(page, "buka bab2"):
        open_lab(page, hub, user)
        assignment_list(page)
        fetch(page, BAB2)
        open_notebook(page, hub, user, BAB2)
        wait_until(lambda: page.locator(OPTIONS).count() == 10, 120, "10 soal tampil")
    outputs = page.locator(".jp-OutputArea-output")
    matching = outputs.filter(has=page.locator(".widget-dropdown")).first
    quiz = outputs.filter(has=page.locator(".widget-radio-box")).first
    with step(page, "Tab sampai ke latihan mencocokkan"):
        # start from the notebook itself, as after opening it; from there on only keys
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").focus()
        tab_into(page, matching, "latihan mencocokkan")
        assert page.evaluate("document.activeElement.tagName") == "SELECT", focused(page)
    with step(page, "pilih kategori dengan panah, Tab ke baris berikutnya"):
        rows = matching.locator(".widget-hbox").filter(has=page.locator("select"))
        for n in range(rows.count()):
            row = rows.nth(n)
            statement = row.locator(".widget-html-content").first.inner_text().strip()
            select = row.locator("select")
            expect(select).to_be_focused()
            # ipywidgets writes the options' spaces as no-break spaces
            labels = select.evaluate("s => [...s.options].map(o => o.text.replace(/\\u00a0/g, ' '))")
            assert pairs[statement] in labels, (statement, labels)
            target = labels.index(pairs[statement])
            for _ in range(len(labels) + 1):  # from nothing chosen (-1) or "— pilih —" (0), down
                if select.evaluate("s => s.selectedIndex") == target:
                    break
                page.keyboard.press("ArrowDown")
            assert select.evaluate("s => s.selectedIndex") == target, f"baris {n + 1}: {focused(page)!r}"
            page.keyboard.press("Tab")
    with step(page, "Periksa dengan Enter: semua benar"):
        expect(matching.get_by_role("button", name=re.compile("Periksa"))).to_be_focused()
        page.keyboard.press("Enter")
        expect(matching).to_contain_text(f"Semua benar ({len(pairs)}/{len(pairs)})")
    with step(page, "Tab ke kuis latihan, jawab salah dengan panah"):
        tab_into(page, quiz, "kuis latihan")
        radios = quiz.locator("input[type=radio]")
        expect(radios.first).to_be_focused()
        labels = [" ".join(text.split()) for text in quiz.locator(".widget-radio-box label").all_inner_texts()]
        assert labels == [options[i] for i in order], labels
        wrong = 1 if right == 0 else 0
        if wrong == 0:
            page.keyboard.press("Space")
        else:
            page.keyboard.press("ArrowDown")
        expect(radios.nth(wrong)).to_be_checked()
        expect(quiz).to_contain_text("Belum tepat")
        expect(quiz).to_contain_text(reasons[order[wrong]])  # why this option is wrong
    with step(page, "jawab benar dengan panah: umpan balik Tepat"):
        for _ in range(abs(right - wrong)):
            page.keyboard.press("ArrowDown" if right > wrong else "ArrowUp")
        expect(radios.nth(right)).to_be_checked()
        expect(radios.nth(right)).to_be_focused()
        expect(quiz).to_contain_text("Tepat!")
        assert options[answer] in quiz.inner_text()
    with step(page, "kemajuan menghitung dua latihan"):
        view = outputs.filter(has_text="Kemajuan Anda di").first
        expect(view).to_contain_text("Latihan dicoba: 2 dari 16")
    page.context.close()
