"""A real JupyterHub with the course, and a real browser (Debian's Chromium driven by Playwright).

The hub is the one ``latsar hub`` starts (same plan, same ``latsar/hub/deploy/`` config):
real OS accounts when the tests run as root (as in CI), the single-user
fallback otherwise.  Every step of a browser test saves a screenshot under
``tests/e2e/artifacts/``; a failing step is named in the assertion message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from latsar.hub import server as hubmod
from latsar.course import Course

from ..conftest import BIN, copy_course

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("LATSAR_CHROMIUM", "/usr/bin/chromium")
# As the probe of this workplace found: without the background-networking flags Chromium
# keeps dialling Google on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Hub:
    def __init__(self, plan: hubmod.HubPlan, course: Course, logins: dict[str, str], proc):
        self.plan, self.course, self.logins, self.proc = plan, course, logins, proc

    @property
    def url(self) -> str:
        return self.plan.url

    def home(self, user: str) -> Path:
        return self.plan.home(user)

    def instructor_run(self, *args: str) -> subprocess.CompletedProcess:
        """A command in the course folder, as the formgrader service runs (the course folder's owner)."""
        env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(self.course.root),
               "LATSAR_EXCHANGE": str(self.plan.exchange)}
        result = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=self.course.root, env=env,
                                capture_output=True, text=True)
        assert result.returncode == 0, f"{' '.join(args)} gagal:\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture(scope="module")
def hub(request):
    """Course, exchange and hub state in folders every OS account can traverse."""
    root = Path(tempfile.mkdtemp(prefix="latsar-e2e-", dir="/tmp"))
    root.chmod(0o755)
    course = copy_course(root / "course")
    tag = f"{os.getpid() % 100000}"
    instructors = [f"e2epengampu{tag}"]
    participants = [f"e2epesertaa{tag}", f"e2epesertab{tag}"]
    plan = hubmod.make_plan(course, instructors, participants, hubmod.free_port(), root / "state", None)
    logins = hubmod.prepare(plan)
    hubmod.publish(course, plan.exchange, ["bab2_konsep_pelayanan_publik", "bab3_berorientasi_pelayanan"])
    proc = hubmod.start(plan)
    try:
        yield Hub(plan, course, logins, proc)
    finally:
        hubmod.stop(proc)
        log = plan.state / "jupyterhub.log"
        if log.exists():
            ARTIFACTS.mkdir(exist_ok=True)
            # one log per module: a failure is read in the log of the hub it happened on
            shutil.copy(log, ARTIFACTS / f"jupyterhub-{request.module.__name__.rsplit('.', 1)[-1]}.log")
        if plan.system_users:
            for user in [*instructors, *participants]:
                subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
                subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Steps:
    """Named steps: a screenshot after each, the step's name in any failure."""

    def __init__(self, prefix: str):
        ARTIFACTS.mkdir(exist_ok=True)
        self.prefix = prefix
        self.count = 0

    @contextmanager
    def __call__(self, page, name: str):
        self.count += 1
        shot = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        try:
            yield
        except Exception as exc:
            try:
                page.screenshot(path=str(shot.with_name("GAGAL-" + shot.name)), full_page=False)
            except Exception:
                pass
            raise AssertionError(f"langkah {self.count} '{name}' gagal: {exc}") from exc
        page.screenshot(path=str(shot), full_page=False)


@pytest.fixture(scope="module")
def steps():
    return Steps


def log_in(browser, hub: Hub, user: str):
    """A fresh browser context (own cookies) logged in to the hub; returns the page."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", hub.logins[user])
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(re.compile(r".*/hub/(home|spawn.*|user/.*)|.*/user/.*"))
    return page


def open_lab(page, hub: Hub, user: str) -> None:
    page.goto(f"{hub.url}/user/{user}/lab?reset")
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=120_000)
    dismiss_toasts(page)


def dismiss_toasts(page) -> None:
    for button in page.locator(".jp-toast-button:text-is('No')").all():
        button.click()


def scroll_to(locator, timeout: float = 60) -> None:
    """Scroll ``locator``'s element into view, again if JupyterLab replaced it meanwhile.

    JupyterLab's windowed notebook takes a cell out of ``.jp-WindowedPanel-viewport`` and
    puts it back while it lays a newly opened notebook out (a MutationObserver saw it in
    every one of ten openings, 0.7-1 s before the kernel went idle).  Playwright's
    ``scroll_into_view_if_needed`` holds the node it found, waits for it to be stable and
    fails, instead of looking again, when the node leaves the DOM in that wait.  Here
    each try finds the element afresh and only a node still in the DOM counts."""
    wait_until(lambda: locator.evaluate("e => { e.scrollIntoView({block: 'center'}); return e.isConnected; }"),
               timeout, "elemen tampil di layar")


def menu(page, top: str, item: str) -> None:
    page.click(f".lm-MenuBar-itemLabel:text-is('{top}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


def wait_until(predicate, timeout: float = 60, what: str = "kondisi") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"menunggu {what} lebih dari {timeout:.0f} detik")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"live_{name}.png"), full_page=True)


def run_first_cell(page, shows, attempts: int = 3) -> list[str]:
    """Run the notebook's first cell until ``shows`` is visible; return what got in the way.

    Stock JupyterLab sometimes asks which kernel to use although the notebook names
    python3 (the test hub of tests/livehub.py has stock settings; ``latsar hub``
    turns the question off): the dialog is accepted and noted as ``dialog``.  On a
    loaded machine a Shift+Enter pressed while the notebook is still settling can be
    lost (the prompt stays ``[ ]``): it is pressed again.  A cell the kernel did
    take is given time (a fresh kernel imports slowly) rather than run again.  A
    failure quotes the cell's prompt and output, which say why.
    """
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status=idle]")
    # the dialog's accept button is labelled "Select" but named "Select Kernel" (aria-label)
    choose = page.locator(".jp-Dialog").get_by_role("button", name="Select Kernel", exact=True)
    cell = page.locator(".jp-Cell").first
    prompt = cell.locator(".jp-InputPrompt")
    seen: list[str] = []
    # ``a.or_(b)`` matches both when the idle indicator and the dialog show at once;
    # ``.first`` keeps Playwright's strict mode from calling that an error (CI, stop 19)
    for attempt in range(1, attempts + 1):
        expect(idle.or_(choose).first).to_be_visible(timeout=120_000)
        if choose.is_visible():
            choose.click()
            seen.append(f"{attempt}: dialog pilih kernel")
            continue
        try:  # the kernel dialog can still pop up between the check above and this click
            cell.click(timeout=5_000)
        except PlaywrightTimeout:
            seen.append(f"{attempt}: sel tidak bisa diklik")
            continue
        page.keyboard.press("Shift+Enter")
        try:  # the kernel took the cell: [*] or [n]
            expect(prompt.or_(choose).filter(has_text=re.compile(r"\[(\*|\d+)\]|Select")).first).to_be_visible(timeout=15_000)
        except AssertionError:
            seen.append(f"{attempt}: Shift+Enter tidak sampai (prompt {_text(prompt)!r})")
            continue
        try:
            expect(shows.or_(choose).first).to_be_visible(timeout=90_000)
        except AssertionError:
            seen.append(f"{attempt}: prompt {_text(prompt)!r}, output {_text(cell.locator('.jp-OutputArea'))!r}")
            continue
        if shows.is_visible():
            return seen
        seen.append(f"{attempt}: dialog pilih kernel setelah Shift+Enter")
    shot(page, "lab_cell_did_not_run")
    raise AssertionError(f"the live-quiz cell did not show its widget after {attempts} attempts: {'; '.join(seen)}")


def _text(locator) -> str:
    try:
        return locator.inner_text(timeout=2_000)[:600]
    except Exception as exc:  # noqa: BLE001 - a diagnostic only
        return f"<{type(exc).__name__}>"
