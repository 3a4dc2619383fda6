"""Load check (not a test): 40 participants submit within one minute through the hub's exchange.

Starts the course's hub (``latsar.hub.server``, real OS accounts as root) with N
participants, starts their JupyterLab servers through the hub's REST API, and
has each server fetch ``bab2_konsep_pelayanan_publik``, save a distinct set of
10 answers and submit, via nbgrader's own assignment-list endpoints — the ones
the Assignments tab calls.  The submissions are spread at random over the
window.  The instructor then collects, and every collected submission is
checked against what its participant saved: none lost, none mixed up.

    .venv/bin/python bench/hub_load.py [--participants 40] [--window 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# the course copy has no node_modules: find this checkout's proxy on PATH, as make does
os.environ["PATH"] = f"{REPO / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
from latsar.hub import server as hubmod  # noqa: E402
from latsar.kernel.answers import ANSWER_FILE  # noqa: E402
from latsar.course import Course  # noqa: E402
from latsar.authoring.itembank import LETTERS  # noqa: E402
from latsar.course.nbgrader_api import api, check  # noqa: E402

ASSIGNMENT = "bab2_konsep_pelayanan_publik"


class Client:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None, form: dict | None = None):
        data, headers = None, {"Authorization": f"token {self.token}"}
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                text = reply.read().decode()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read().decode()[:300]}") from None
        return json.loads(text) if text else None


def run_in_kernel(client: Client, user: str, code: str) -> None:
    """Start a kernel on the user's server, run ``code`` over the kernel websocket, stop it."""
    import asyncio
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel = client.call("POST", f"/user/{user}/api/kernels", body={"name": "python3"})

    async def execute():
        url = client.base.replace("http", "ws", 1) + f"/user/{user}/api/kernels/{kernel['id']}/channels"
        conn = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {client.token}"}))
        msg_id = uuid.uuid4().hex
        await conn.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user, "session": msg_id,
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        while True:
            msg = json.loads(await conn.read_message())
            if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
                conn.close()
                if msg["content"]["status"] != "ok":
                    raise RuntimeError(f"{user}: {msg['content'].get('evalue')}")
                return

    try:
        asyncio.run(execute())
    finally:
        client.call("DELETE", f"/user/{user}/api/kernels/{kernel['id']}")


def answers_for(n: int, items) -> dict[str, str]:
    """Participant n's answers: n written in base 4 — distinct for every participant."""
    return {item.id: LETTERS[(n // 4 ** k) % 4] for k, item in enumerate(items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which submits are spread")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="latsar-load-", dir="/tmp"))
    root.chmod(0o755)
    course = Course.at(REPO).copy_to(root / "course")
    people = [f"beban{n:02d}" for n in range(1, args.participants + 1)]
    plan = hubmod.make_plan(course, ["pengampu"], people, hubmod.free_port(), root / "state", None)
    token = secrets.token_hex(32)
    plan.extra_services.append({"name": "latsar-load", "api_token": token})
    plan.extra_roles.append({"name": "latsar-load", "services": ["latsar-load"],
                             "scopes": ["admin:users", "admin:servers", "access:servers"]})
    print(f"{args.participants} participants, {'OS accounts' if plan.system_users else 'single-user fallback'}")
    created = hubmod.absent_accounts([*plan.instructors, *people])  # delete only these afterwards
    hubmod.prepare(plan)
    hubmod.publish(course, plan.exchange, [ASSIGNMENT])
    proc = hubmod.start(plan)
    client = Client(plan.url, token)
    items = course.item_bank.for_assignment(ASSIGNMENT)
    saved = {user: answers_for(n, items) for n, user in enumerate(people)}
    try:
        t0 = time.perf_counter()
        for user in people:
            client.call("POST", f"/hub/api/users/{user}/server", body={})
        while True:
            ready = [client.call("GET", f"/hub/api/users/{user}")["servers"].get("", {}).get("ready") for user in people]
            if all(ready):
                break
            time.sleep(1)
        started = time.perf_counter() - t0
        print(f"servers started: {len(people)} in {started:.1f} s")

        def prepare_one(user):
            client.call("POST", f"/user/{user}/assignments/fetch",
                        form={"course_id": hubmod.COURSE_ID, "assignment_id": ASSIGNMENT})
            # The clicks: the widget's own AnswerStore.set, in a kernel of the participant's server.
            code = (f"import os; os.chdir({ASSIGNMENT!r})\nfrom latsar.kernel.answers import AnswerStore\n"
                    f"store = AnswerStore('.')\nfor item, letter in {saved[user]!r}.items(): store.set(item, letter)")
            run_in_kernel(client, user, code)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(prepare_one, people))

        rng = random.Random(args.seed)
        delays = {user: rng.uniform(0, args.window) for user in people}
        latencies, errors, lock = [], [], threading.Lock()

        def submit(user):
            time.sleep(delays[user])
            start = time.perf_counter()
            try:
                reply = client.call("POST", f"/user/{user}/assignments/submit",
                                    form={"course_id": hubmod.COURSE_ID, "assignment_id": ASSIGNMENT})
                ok = reply.get("success", False) if isinstance(reply, dict) else True
            except Exception as exc:  # noqa: BLE001  (counted and printed)
                ok, reply = False, exc
            with lock:
                latencies.append(time.perf_counter() - start)
                if not ok:
                    errors.append((user, reply))

        t1 = time.perf_counter()
        with ThreadPoolExecutor(len(people)) as pool:
            list(pool.map(submit, people))
        window = time.perf_counter() - t1

        t2 = time.perf_counter()
        overrides = __import__("traitlets.config", fromlist=["Config"]).Config()
        overrides.Exchange.root = str(plan.exchange)
        check(api(course, overrides).collect(ASSIGNMENT), "collect")
        collect = time.perf_counter() - t2

        collected, mixed = 0, []
        for user in people:
            answer_file = course.submission_dir(user, ASSIGNMENT) / ANSWER_FILE
            if answer_file.exists():
                collected += 1
                if json.loads(answer_file.read_text())["answers"] != saved[user]:
                    mixed.append(user)
        inbound = len(list((plan.exchange / hubmod.COURSE_ID / "inbound").iterdir()))
        latencies.sort()
        print(f"submits: {len(people)} within {window:.1f} s (window {args.window:.0f} s); "
              f"request p50 {statistics.median(latencies):.2f} s, p95 {latencies[int(0.95 * (len(latencies) - 1))]:.2f} s, "
              f"max {latencies[-1]:.2f} s; failed {len(errors)}")
        print(f"exchange inbound: {inbound}; collected {collected}/{len(people)} in {collect:.1f} s; "
              f"mixed up: {len(mixed)}; lost: {len(people) - collected}")
        for user, reply in errors[:5]:
            print(f"  failed: {user}: {reply}")
        if errors or mixed or collected != len(people):
            sys.exit(1)
    finally:
        hubmod.stop(proc)
        if plan.system_users:
            for user in created:
                subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
                subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
