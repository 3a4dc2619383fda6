"""Benchmark (not a test): 40 participants log in within a minute and open bab2; how long until the widgets show.

Starts the course's hub (``latsar.hub.server``, real OS accounts as root) with N
participants and runs two scenarios on it:

- **ahead**: every participant's server is started before class with
  :func:`latsar.hub.prestart.start_servers`, the function behind
  ``latsar hub --start-servers``;
- **cold**: no server runs when the class logs in (servers stopped, fetched
  lessons removed).

In each, every participant logs in at a random moment of the window through the
hub's own log-in form (``POST /hub/login`` with the password ``prepare()``
set), follows the redirects until their JupyterLab answers, fetches
``bab2_konsep_pelayanan_publik`` through nbgrader's assignment-list endpoint,
opens the notebook, starts a kernel as JupyterLab does (``POST api/sessions``)
and runs its code cells over the kernel websocket.  The lesson counts as shown
when the first graded item's widget is displayed (a ``display_data`` with
``application/vnd.jupyter.widget-view+json`` from the cell of ``MP1-01``).
``--browsers`` more participants, logging in within the same window, do the same
in Chromium (Playwright, as the e2e tests): log in, open the notebook and wait
until a graded item's answer buttons are visible (the lesson extension runs the
cells; nobody presses *Run All*).  Their times
are printed apart: a class's browsers run on its participants' own computers,
these run on the hub's two cores (and cost more CPU there than the hub, see the
"CPU during the log-ins" line).  p50, p95 and max are over the N participants.

The CPU of a server start is the CPU time of each ``jupyterhub-singleuser``
process (and its reaped children) at the moment it first answers.  The last
line sums it up, to compare run to run:

    class start: 40 participants, started ahead: p95 4.1 s, cold: p95 95.0 s, server start 2.1 s CPU

    nice -n 10 .venv/bin/python bench/class_start.py [--participants 40] [--window 60] [--browsers 3] [--only ahead|cold]
"""

from __future__ import annotations

import argparse
import functools
import asyncio
import json
import math
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# the course copy has no node_modules: find this checkout's proxy on PATH, as make does
os.environ["PATH"] = f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
from latsar.course import Course  # noqa: E402
from latsar.hub import prestart  # noqa: E402
from latsar.hub import server as hubmod  # noqa: E402

ASSIGNMENT = "bab2_konsep_pelayanan_publik"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"
CHROMIUM = os.environ.get("LATSAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 300.0
print = functools.partial(print, flush=True)  # noqa: A001 (progress while it runs)
FORK_SERVER = "latsar.grading.forkserver"


def server_cpu(user: str) -> float | None:
    """CPU seconds of ``user``'s single-user server so far: itself, its reaped children, and its
    kernels' fork server (:mod:`latsar.hub.kernels`), which it starts as it starts."""
    for proc in psutil.process_iter(["username", "cmdline"]):
        try:
            if proc.info["username"] == user and any("jupyterhub-singleuser" in part for part in proc.info["cmdline"] or []):
                t = proc.cpu_times()
                forks = sum(sum(c.cpu_times()[:2]) for c in proc.children() if FORK_SERVER in " ".join(c.cmdline()))
                return t.user + t.system + t.children_user + t.children_system + forks
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


def parent_cmdline(proc: psutil.Process) -> list[str]:
    try:
        parent = proc.parent()
        return parent.cmdline() if parent else []
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def kernel_cpu(user: str) -> float | None:
    """CPU seconds of ``user``'s kernel so far (one kernel per participant here)."""
    for proc in psutil.process_iter(["username"]):
        try:
            if proc.info["username"] == user and kind(proc.cmdline(), parent_cmdline(proc)) == "kernels":
                t = proc.cpu_times()
                return t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


def kind(cmdline: list[str], parent: list[str] = ()) -> str | None:
    """What a process is, by its command line and its parent's: a kernel started by exec
    (``ipykernel_launcher``) or forked from a server's fork server (:mod:`latsar.hub.kernels`: its
    command line is the fork server's, and so is its parent's), a server, the proxy, …"""
    line = " ".join(cmdline)
    if FORK_SERVER in line:
        return "kernels" if FORK_SERVER in " ".join(parent) else "fork servers"
    for name, marks in (("kernels", ("ipykernel_launcher",)), ("servers", ("jupyterhub-singleuser",)),
                        ("proxy", ("configurable-http-proxy",)), ("hub", ("bin/jupyterhub ",)),
                        ("chromium", ("chromium", "playwright")), ("this script", ("class_start.py",))):
        if any(mark in line + " " for mark in marks):
            return name
    return None


def cpu_by_kind() -> dict[int, tuple[str, float]]:
    """pid → (kind, CPU seconds) of the processes a class start involves; the rest is "other"."""
    seen = {}
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        times = proc.info["cpu_times"]
        if times is None:
            continue
        seen[proc.pid] = (kind(proc.info["cmdline"] or [], parent_cmdline(proc)) or "other", times.user + times.system)
    return seen


def cpu_spent(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> str:
    """Where the machine's CPU went between two snapshots (processes that ended in between are missed)."""
    spent: dict[str, float] = {}
    for pid, (name, cpu) in after.items():
        spent[name] = spent.get(name, 0.0) + cpu - (before[pid][1] if pid in before and before[pid][0] == name else 0.0)
    return ", ".join(f"{name} {cpu:.0f} s" for name, cpu in sorted(spent.items(), key=lambda kv: -kv[1]))


class Result:
    def __init__(self, user: str, how: str):
        self.user, self.how = user, how
        self.seconds: float | None = None
        self.lab: float | None = None  # log-in → JupyterLab answers
        self.start_cpu: float | None = None
        self.error: str | None = None
        self.fetched: float | None = None  # log-in → assignment fetched
        self.kernel: float | None = None  # log-in → the kernel's first reply
        self.kernel_cpu: float | None = None  # the kernel's CPU when the widget showed


# -- one participant through the API ------------------------------------------

async def log_in(http: httpx.AsyncClient, user: str, password: str, result: Result, t0: float) -> None:
    """The hub's log-in form, then the redirects (spawn, OAuth) until the user's JupyterLab answers."""
    reply = await http.post("/hub/login", data={"username": user, "password": password,
                                                "_xsrf": _cookie(http, "_xsrf", "/hub/")})
    lab = f"/user/{user}/lab"
    while not (reply.status_code == 200 and reply.url.path.startswith(lab)):
        if reply.status_code >= 400 and reply.status_code not in (424, 503):
            raise RuntimeError(f"log-in: {reply.status_code} {reply.url.path}")
        if time.perf_counter() - t0 > TIMEOUT:
            raise RuntimeError(f"JupyterLab did not answer in {TIMEOUT:.0f} s (last {reply.url.path})")
        await asyncio.sleep(0.5)
        reply = await http.get(lab)
    result.lab = time.perf_counter() - t0
    result.start_cpu = server_cpu(user)


async def api_participant(url: str, user: str, password: str, delay: float, result: Result) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async with httpx.AsyncClient(base_url=url, follow_redirects=True, timeout=TIMEOUT) as http:
        await http.get("/hub/login")  # the form, and its _xsrf cookie
        await asyncio.sleep(delay)
        t0 = time.perf_counter()
        await log_in(http, user, password, result, t0)
        base = f"/user/{user}"
        xsrf = {"X-XSRFToken": _cookie(http, "_xsrf", f"{base}/")}
        reply = await http.post(f"{base}/assignments/fetch", headers=xsrf,
                                data={"course_id": hubmod.COURSE_ID, "assignment_id": ASSIGNMENT})
        if reply.status_code != 200 or not reply.json().get("success", True):
            raise RuntimeError(f"fetch: {reply.status_code} {reply.text[:200]}")
        result.fetched = time.perf_counter() - t0
        notebook = (await http.get(f"{base}/api/contents/{NOTEBOOK}")).json()["content"]
        session = (await http.post(f"{base}/api/sessions", headers=xsrf, json={
            "path": NOTEBOOK, "name": NOTEBOOK.rsplit("/", 1)[-1], "type": "notebook",
            "kernel": {"name": "python3"}})).json()
        kernel, session_id = session["kernel"]["id"], uuid.uuid4().hex
        cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies.jar if base in c.path or c.path == "/")
        ws_url = url.replace("http", "ws", 1) + f"{base}/api/kernels/{kernel}/channels?session_id={session_id}"
        conn = await websocket_connect(HTTPRequest(ws_url, headers={"Cookie": cookie, **xsrf},
                                                 connect_timeout=TIMEOUT, request_timeout=TIMEOUT))
        cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        graded = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade"))
        ids = []
        for cell in cells:  # as Run All Cells: every cell queued at once
            msg_id = uuid.uuid4().hex
            ids.append(msg_id)
            if cell is graded:
                graded_id = msg_id
            await conn.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                           "session": session_id, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": "".join(cell["source"]), "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        last = ids[-1]
        while True:
            raw = await asyncio.wait_for(conn.read_message(), TIMEOUT)
            if raw is None:
                raise RuntimeError("kernel websocket closed")
            msg = json.loads(raw)
            parent = msg.get("parent_header", {}).get("msg_id")
            if result.kernel is None and msg["msg_type"] == "status":
                result.kernel = time.perf_counter() - t0
            if (result.seconds is None and parent == graded_id and msg["msg_type"] == "display_data"
                    and WIDGET in msg["content"].get("data", {})):
                result.seconds = time.perf_counter() - t0
                result.kernel_cpu = kernel_cpu(user)
            if msg["msg_type"] == "execute_reply" and msg["content"]["status"] != "ok":
                raise RuntimeError(f"cell failed: {msg['content'].get('ename')}: {msg['content'].get('evalue')}")
            if parent == last and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break  # iopub is not ordered with the shell reply: wait for the last cell's idle
        conn.close()
        if result.seconds is None:
            raise RuntimeError("no widget from the first graded cell")


def _cookie(http: httpx.AsyncClient, name: str, path: str) -> str:
    for c in http.cookies.jar:
        if c.name == name and path.startswith(c.path):
            return c.value
    return ""


# -- one participant in Chromium ------------------------------------------------

async def browser_participant(browser, url: str, user: str, password: str, delay: float, result: Result) -> None:

    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT * 1000)
    page = await context.new_page()
    try:
        await page.goto(f"{url}/hub/login")
        await page.fill("input[name=username]", user)
        await page.fill("input[name=password]", password)
        await asyncio.sleep(delay)
        t0 = time.perf_counter()
        await page.click("input[type=submit], button[type=submit]")
        await page.wait_for_url(re.compile(rf".*/user/{user}/lab.*"))  # cold: via the hub's spawn-pending page
        result.lab = time.perf_counter() - t0
        result.start_cpu = server_cpu(user)
        xsrf = next((c["value"] for c in await context.cookies() if c["name"] == "_xsrf"
                     and c["path"].startswith(f"/user/{user}")), "")
        reply = await page.request.post(f"{url}/user/{user}/assignments/fetch", headers={"X-XSRFToken": xsrf},
                                        form={"course_id": hubmod.COURSE_ID, "assignment_id": ASSIGNMENT})
        if not reply.ok:
            raise RuntimeError(f"fetch: {reply.status} {(await reply.text())[:200]}")
        await page.goto(f"{url}/user/{user}/lab/tree/{NOTEBOOK}")
        await page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                                     ":text('Python 3 (ipykernel) | Idle')")
        widget = page.locator(".latsar-opsi").first  # an answer button (latsar/kernel/answers.py)
        # nobody presses Run All: the lesson extension (labextension/) runs the cells on open
        await widget.wait_for(state="visible", timeout=TIMEOUT * 1000)
        result.seconds = time.perf_counter() - t0
    except Exception:
        await page.screenshot(path=f"/tmp/class_start-{user}.png")  # what the participant saw
        raise
    # the tab stays open, as a participant's does (and its renderer's CPU is counted at the end)


# -- a scenario -----------------------------------------------------------------

async def class_logs_in(url: str, logins: dict[str, str], people: list[str], window: float, browsers: int,
                        rng: random.Random, ended: dict) -> list[Result]:
    in_browser = set(people[len(people) - browsers:]) if browsers else set()  # the extra accounts
    results = [Result(user, "browser" if user in in_browser else "api") for user in people]
    delays = {user: rng.uniform(0, window) for user in people}

    async def guarded(coro, result):
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 (counted and printed)
            result.error = f"{type(exc).__name__}: {exc}"[:300]

    if in_browser:
        from playwright.async_api import async_playwright

        playwright = await async_playwright().start()
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        tasks = []
        for result in results:
            user = result.user
            if result.how == "browser":
                coro = browser_participant(browser, url, user, logins[user], delays[user], result)
            else:
                coro = api_participant(url, user, logins[user], delays[user], result)
            tasks.append(guarded(coro, result))
        await asyncio.gather(*tasks)
        ended.update(cpu_by_kind())  # before the browsers close, so that their CPU is counted
    finally:
        if in_browser:
            await browser.close()
            await playwright.stop()
    return results


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[math.ceil(0.95 * len(values)) - 1]  # nearest rank: the 38th of 40


def report(name: str, results: list[Result], window: float) -> float | None:
    done = [r for r in results if r.seconds is not None and r.error is None]
    failed = [r for r in results if r.error is not None]
    if not done:
        print(f"{name}: all {len(results)} failed")
        for r in failed[:5]:
            print(f"  failed: {r.user} ({r.how}): {r.error}")
        return None
    times = [r.seconds for r in done if r.how == "api"]
    browser = [r.seconds for r in done if r.how == "browser"]
    api = [r.seconds for r in done if r.how == "api"]
    if not times:
        print(f"{name}: no participant through the API saw the widgets")
        return None
    print(f"{name}: {len(done)}/{len(results)} saw the widgets (log-ins within {window:.0f} s); log-in → widgets "
          f"of the {len(times)} through the API p50 {statistics.median(times):.1f} s, p95 {p95(times):.1f} s, "
          f"max {max(times):.1f} s; in Chromium ({len(browser)}): {', '.join(f'{s:.1f}' for s in sorted(browser))} s; "
          f"failed {len(failed)}")
    phases = [("JupyterLab answers", "lab"), ("assignment fetched", "fetched"), ("kernel's first message", "kernel")]
    parts = []
    for label, name in phases:
        values = [getattr(r, name) for r in done if getattr(r, name) is not None and r.how == "api"]
        if values:
            parts.append(f"{label} p50 {statistics.median(values):.1f} s, p95 {p95(values):.1f} s")
    cpu = [r.kernel_cpu for r in done if r.kernel_cpu is not None]
    if cpu:
        parts.append(f"kernel CPU until the widget median {statistics.median(cpu):.2f} s")
    print("  from log-in: " + "; ".join(parts))
    for r in failed[:5]:
        print(f"  failed: {r.user} ({r.how}): {r.error}")
    return p95(times)


def stop_servers(url: str, token: str, people: list[str], homes) -> None:
    """Back to a cold class: servers stopped, fetched lessons gone."""
    with httpx.Client(base_url=url + "/hub/api", headers={"Authorization": f"token {token}"}, timeout=120) as http:
        for user in people:
            http.delete(f"/users/{user}/server")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not any(http.get(f"/users/{u}").json()["servers"] for u in people):
                break
            time.sleep(1)
    for user in people:
        shutil.rmtree(homes(user) / ASSIGNMENT, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which log-ins are spread")
    parser.add_argument("--browsers", type=int, default=3, help="more participants, in Chromium")
    parser.add_argument("--only", choices=["ahead", "cold"], help="run one scenario")
    parser.add_argument("--seed", type=int, default=900)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("class_start.py makes real OS accounts: run it as root.")

    root = Path(tempfile.mkdtemp(prefix="latsar-class-", dir="/tmp"))
    root.chmod(0o755)
    course = Course.at(REPO).copy_to(root / "course")
    people = [f"kelas{n:02d}" for n in range(1, args.participants + args.browsers + 1)]
    plan = hubmod.make_plan(course, ["kelaspengampu"], people, hubmod.free_port(), root / "state", True)
    created = hubmod.absent_accounts([*plan.instructors, *people])  # delete only these afterwards
    admin = secrets.token_hex(32)
    plan.extra_services.append({"name": "latsar-bench", "api_token": admin})
    plan.extra_roles.append({"name": "latsar-bench", "services": ["latsar-bench"],
                             "scopes": ["admin:users", "admin:servers"]})
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
          f"{args.participants} participants (OS accounts) through the API, {args.browsers} more in Chromium")
    logins = hubmod.prepare(plan)
    hubmod.publish(course, plan.exchange, [ASSIGNMENT])
    proc = hubmod.start(plan)
    rng = random.Random(args.seed)
    summary: dict[str, float | None] = {}
    cpus: list[float] = []
    try:
        if args.only in (None, "ahead"):
            ahead_cpu: list[float] = []

            def ready(user):
                cpu = server_cpu(user)
                if cpu is not None:
                    ahead_cpu.append(cpu)

            t = time.perf_counter()
            failed = prestart.start_servers(plan.url, prestart.read_token(plan.state), people, on_ready=ready)
            print(f"started ahead (latsar hub --start-servers): {len(people) - len(failed)}/{len(people)} in "
                  f"{time.perf_counter() - t:.1f} s; CPU per server start median "
                  f"{statistics.median(ahead_cpu or [0]):.2f} s (max {max(ahead_cpu or [0]):.2f}; "
                  f"read for {len(ahead_cpu)})")
            for user, why in list(failed.items())[:5]:
                print(f"  not started: {user}: {why}")
            cpus += ahead_cpu
            time.sleep(5)  # let the last starts settle, as they would before class
            before, wall, ended = cpu_by_kind(), time.perf_counter(), {}
            results = asyncio.run(class_logs_in(plan.url, logins, people, args.window, args.browsers, rng, ended))
            summary["started ahead"] = report("started ahead", results, args.window)
            print(f"  CPU during the {time.perf_counter() - wall:.0f} s of log-ins: {cpu_spent(before, ended)}")
        if args.only in (None, "cold"):
            if args.only is None:
                stop_servers(plan.url, admin, people, plan.home)
            before, wall, ended = cpu_by_kind(), time.perf_counter(), {}
            results = asyncio.run(class_logs_in(plan.url, logins, people, args.window, args.browsers, rng, ended))
            summary["cold"] = report("cold", results, args.window)
            print(f"  CPU during the {time.perf_counter() - wall:.0f} s of log-ins: {cpu_spent(before, ended)}")
            cold_cpu = [r.start_cpu for r in results if r.start_cpu is not None]
            if cold_cpu:
                print(f"cold: CPU per server start median {statistics.median(cold_cpu):.2f} s (max {max(cold_cpu):.2f}), "
                      "read when its JupyterLab first answered a participant")
            if not cpus:
                cpus = cold_cpu
    finally:
        hubmod.stop(proc)
        for user in created:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    parts = [f"{name}: " + (f"p95 {value:.1f} s" if value is not None else "failed") for name, value in summary.items()]
    cpu = f"server start {statistics.median(cpus):.1f} s CPU" if cpus else "server start n/a"
    print(f"class start: {args.participants} participants, {', '.join(parts)}, {cpu}")


if __name__ == "__main__":
    main()
