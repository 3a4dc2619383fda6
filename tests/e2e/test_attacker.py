"""A participant attacks the course on the hub ``latsar hub`` starts (real OS accounts, as in CI).

Every attempt runs as the participant's own OS account (``runuser``) with the
Python their server runs, against the live hub of ``tests/e2e/conftest.py``.
Nothing of the course, the hub state or a peer's home may be read, the
installed package must lead to no key, and a submission forged under a peer's
id must not be collected.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from latsar.hub import security as hub_security
from latsar.kernel.answers import write_answers

from ..conftest import REPO

BAB2 = "bab2_konsep_pelayanan_publik"



def as_user(hub, user: str, code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Python ``code`` run as OS account ``user``, with its server's Python and environment."""
    env = {"HOME": str(hub.home(user)), "PATH": f"{hub.plan.user_bin}:/usr/bin:/bin", "USER": user,
           **{k: v for k, v in hubmod_env(hub).items()}}
    return subprocess.run([hub_security.RUNUSER, "-u", user, "--", str(Path(hub.plan.user_bin) / "python"), "-c",
                           textwrap.dedent(code), *args],
                          capture_output=True, text=True, env=env, cwd=str(cwd or hub.home(user)), timeout=300)


def hubmod_env(hub) -> dict[str, str]:
    from latsar.hub.server import user_environment

    env = user_environment(hub.plan, "participant")
    env.pop("PATH")
    return env


def test_participant_reads_nothing_of_the_course_or_the_hub(hub):
    attacker = hub.plan.participants[0]
    # something of everything worth stealing exists first
    from nbgrader.api import Gradebook

    Gradebook(f"sqlite:///{hub.course.root / 'gradebook.db'}", course_id="latsar-pelayanan").close()
    (hub.course.root / "live_sessions").mkdir(exist_ok=True)
    roots = [str(hub.course.root), str(hub.plan.state), str(REPO / "course_data"), str(REPO / ".git")]
    result = as_user(hub, attacker, """
        import json, os, sys
        exchange = sys.argv[2]
        readable = []
        for top in json.loads(sys.argv[1]):
            for folder, dirs, files in os.walk(top):
                if folder.startswith(exchange):
                    dirs[:] = []
                    continue
                for name in files:
                    path = os.path.join(folder, name)
                    try:
                        with open(path, "rb") as handle:
                            handle.read(1)
                        readable.append(path)
                    except OSError:
                        pass
            try:
                os.listdir(top)
                if not top.startswith(os.path.dirname(exchange)):
                    readable.append(top + "/")
            except OSError:
                pass
        print(json.dumps(readable))
    """, json.dumps(roots), str(hub.plan.exchange))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], "a participant read these"


def test_the_package_leads_to_no_key(hub):
    attacker = hub.plan.participants[0]
    # course paths, a key pinned into a test (as the gradebook holds it), the bank's own text
    stems = [item.stem[:60] for item in hub.course.item_bank]
    secrets = [str(hub.course.root), str(REPO), *stems]
    result = as_user(hub, attacker, """
        import json, os, re, sys
        import latsar, latsar.answers, latsar.hub.server, latsar.course
        package = os.path.dirname(latsar.__file__)
        runtime = sys.prefix
        pinned = re.compile(rb'check\\("MP[12]-[0-9]+", key="[a-d]"\\)')
        hits = []
        for top in (package, os.path.dirname(runtime)):
            for folder, _, files in os.walk(top):
                for name in files:
                    path = os.path.join(folder, name)
                    if name == "item_bank.yaml":
                        hits.append(path)
                    if top != package and not name.endswith((".py", ".json", ".yaml", ".cfg", ".txt")):
                        continue
                    try:
                        data = open(path, "rb").read()
                    except OSError:
                        continue
                    hits += [f"{path}: {s}" for s in json.loads(sys.argv[1]) if s.encode() in data]
                    if pinned.search(data):
                        hits.append(f"{path}: pinned key")
        repo = os.path.dirname(package)  # where a checkout would be, were the package installed from one
        bank = os.path.join(repo, "course_data", "item_bank.yaml")
        print(json.dumps({"package": package, "hits": hits, "bank": os.path.exists(bank),
                          "environ": {k: v for k, v in os.environ.items() if "/" in v}}))
    """, json.dumps(secrets))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert not seen["package"].startswith((str(hub.course.root), str(REPO))), seen["package"]
    assert seen["hits"] == []
    assert not seen["bank"]
    assert not any(str(hub.course.root) in v or str(REPO) in v for v in seen["environ"].values()), seen["environ"]


def test_a_peer_home_and_clicks_are_closed(hub):
    attacker, peer = hub.plan.participants[:2]
    home = hub.home(peer)
    write_answers(home, {"MP1-01": "b"})  # as the widget writes it
    shutil.chown(home / ".jawaban.json", peer, peer)
    assert (home / ".jawaban.json").stat().st_mode & 0o777 == 0o600
    result = as_user(hub, attacker, """
        import os, sys
        out = []
        for attempt in (lambda: os.listdir(sys.argv[1]), lambda: open(sys.argv[1] + "/.jawaban.json").read()):
            try:
                attempt()
                out.append("read")
            except OSError:
                out.append("denied")
        print(",".join(out))
    """, str(home))
    assert result.stdout.strip() == "denied,denied", result.stdout + result.stderr


def test_hub_processes_keep_their_secrets(hub):
    """The hub's and its services' environments (API tokens, the proxy's token) stay closed."""
    import psutil

    pids = [hub.proc.pid] + [p.pid for p in psutil.Process(hub.proc.pid).children(recursive=True)
                             if p.username() == "root"]
    attacker = hub.plan.participants[0]
    result = as_user(hub, attacker, """
        import sys
        read = []
        for pid in sys.argv[1].split(","):
            try:
                open(f"/proc/{pid}/environ", "rb").read()
                read.append(pid)
            except OSError:
                pass
        print(",".join(read))
    """, ",".join(map(str, pids)))
    assert result.stdout.strip() == "", f"environ of {result.stdout} readable"


def test_the_hub_refuses_to_start_when_the_course_is_readable(hub, tmp_path):
    """latsar hub proves the closure as a participant; a folder opened afterwards is reported."""
    participant = hub.plan.participants[0]
    bank = hub.course.root / "course_data" / "item_bank.yaml"
    mode = hub.course.root.stat().st_mode
    try:
        os.chmod(hub.course.root, 0o755)
        os.chmod(bank.parent, 0o755)
        os.chmod(bank, 0o644)
        found = hub_security.verify(participant, Path(hub.plan.user_bin) / "python",
                                    hub_security.protected_paths(hub.course.root, hub.plan.state,
                                                                 hub.plan.exchange, None))
        assert str(bank) in found
        with pytest.raises(hub_security.SecurityError, match="masih dapat membaca"):
            hub_security.refuse_if_readable(found, participant)
    finally:
        hub_security.close_course(hub.course.root, hub.course.root.stat().st_gid)
        os.chmod(hub.course.root, mode)
    assert hub_security.verify(participant, Path(hub.plan.user_bin) / "python",
                               hub_security.protected_paths(hub.course.root, hub.plan.state,
                                                            hub.plan.exchange, None)) == []


def hub_token(hub, user: str) -> str:
    """A token made the way a person makes one: log in with the password, then ask the hub's API."""
    import httpx

    with httpx.Client(base_url=hub.url, follow_redirects=False, timeout=60) as web:
        web.get("/hub/login")
        xsrf = web.cookies.get("_xsrf", path="/hub/") or web.cookies.get("_xsrf")
        reply = web.post("/hub/login", data={"username": user, "password": hub.logins[user], "_xsrf": xsrf})
        assert reply.status_code == 302, reply.text[:300]
        xsrf = web.cookies.get("_xsrf", path="/hub/") or xsrf
        made = web.post(f"/hub/api/users/{user}/tokens", json={"note": "uji penyerang"},
                        headers={"X-XSRFToken": xsrf, "Referer": f"{hub.url}/hub/token"})
        assert made.status_code == 201, made.text[:300]
        return made.json()["token"]


def test_live_answers_carry_only_the_attackers_own_name(hub):
    """On the latsar hub: a participant's answer sent under a peer's name counts as their own."""
    from latsar.live.client import LiveClient, LiveRefused

    attacker, peer = hub.plan.participants[:2]
    url = f"{hub.url}/services/latsar-live/"
    teacher = LiveClient(url, hub_token(hub, hub.plan.instructors[0]))
    me = LiveClient(url, hub_token(hub, attacker))
    with pytest.raises(LiveRefused):
        me.open_item(next(iter(hub.course.item_bank.practice)))  # instructor-only
    teacher.start_session("uji penyerang")
    run = teacher.open_item(next(iter(hub.course.item_bank.practice)))
    run_id = run.get("run_id") or run.get("id") or run["run"]["id"]
    me.http.post("answer", json={"run_id": run_id, "choice": "a", "user": peer, "participant": peer},
                 headers={"X-Forwarded-User": peer, "X-JupyterHub-User": peer})
    answers = teacher.answers(run_id)
    names = json.dumps(answers)
    assert attacker in names and peer not in names, names
    with pytest.raises(LiveRefused):
        me.answers(run_id)


def test_submissions_under_a_peer_id_are_not_collected(hub):
    """Both ways of submitting as someone else; the instructor's stock ``nbgrader collect`` takes neither."""
    attacker, peer = hub.plan.participants[:2]
    nbgrader = str(Path(hub.plan.user_bin) / "nbgrader")
    home = hub.home(attacker)
    forged = as_user(hub, attacker, f"""
        import os, subprocess, sys, glob
        run = lambda *a: subprocess.run([{nbgrader!r}, *a], capture_output=True, text=True)
        fetched = run("fetch_assignment", "{BAB2}")
        print("fetch", fetched.returncode, fetched.stderr[-300:])
        submitted = run("submit", "{BAB2}", "--student={peer}")
        print("submit", submitted.returncode, submitted.stderr[-300:])
        inbound = os.path.join(os.environ["LATSAR_EXCHANGE"], "latsar-pelayanan", "inbound")
        folder = os.path.join(inbound, "{peer}+{BAB2}+2099-01-01 00:00:00.000000 UTC+tiruan")
        os.makedirs(folder)
        with open(os.path.join(folder, "timestamp.txt"), "w") as handle:
            handle.write("2099-01-01 00:00:00.000000 UTC")
        src = os.path.join("{BAB2}", "{BAB2}.ipynb")
        with open(src) as a, open(os.path.join(folder, "{BAB2}.ipynb"), "w") as b:
            b.write(a.read())
        print("forged", os.path.isdir(folder))
    """, cwd=home)
    assert forged.returncode == 0, forged.stdout + forged.stderr
    assert "fetch 0" in forged.stdout and "forged True" in forged.stdout, forged.stdout
    collected = hub.instructor_run("nbgrader", "collect", BAB2)
    assert not (hub.course.root / "submitted" / peer / BAB2).exists(), collected.stdout + collected.stderr
    log = collected.stdout + collected.stderr
    assert peer in log and attacker in log, f"the refusal must name the folders and the account:\n{log}"


def test_the_hub_refuses_a_state_folder_its_accounts_cannot_enter(hub, tmp_path):
    """A hub whose exchange or homes sit below a closed folder would only fail at log-in: refused first."""
    participant = hub.plan.participants[0]
    python = Path(hub.plan.user_bin) / "python"
    closed = tmp_path / "status" / "exchange"  # pytest's tmp_path is 0700: no other account gets in
    closed.mkdir(parents=True)
    assert hub_security.unreachable(participant, python, [str(hub.plan.exchange), str(closed)]) == [str(closed)]
    with pytest.raises(hub_security.SecurityError, match="tidak dapat masuk"):
        hub_security.refuse_if_unreachable([str(closed)], participant)


def test_the_start_token_is_out_of_a_participants_reach(hub):
    """``latsar hub --start-servers`` starts every participant's server with the hub's start token; a participant,
    as their OS account and with their own server's token, can neither read that token nor start or stop a peer."""
    from latsar.hub import prestart

    attacker, peer = hub.plan.participants[:2]
    failed = prestart.start_servers(hub.url, prestart.read_token(hub.plan.state), hub.plan.participants)
    assert failed == {}
    result = as_user(hub, attacker, """
        import json, os, sys, urllib.request
        url, token_file, peer = sys.argv[1:4]
        out = {}
        try:
            open(token_file).read()
            out["token file"] = "read"
        except OSError:
            out["token file"] = "denied"
        # the attacker's own server runs as the attacker: its environment holds a hub token
        mine = None
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                env = dict(kv.split("=", 1) for kv in open(f"/proc/{pid}/environ").read().split("\\0") if "=" in kv)
            except OSError:
                continue
            mine = mine or env.get("JUPYTERHUB_API_TOKEN")
        out["own token"] = bool(mine)
        for method, path in (("POST", f"/users/{peer}/server"), ("DELETE", f"/users/{peer}/server"),
                             ("POST", f"/users/{peer}/tokens"), ("GET", "/services")):
            request = urllib.request.Request(url + "/hub/api" + path, method=method, data=b"{}" if method == "POST" else None,
                                             headers={"Authorization": f"token {mine}"})
            try:
                with urllib.request.urlopen(request) as reply:
                    out[f"{method} {path}"] = reply.status
                    out["body " + path] = reply.read().decode()
            except urllib.error.HTTPError as exc:
                out[f"{method} {path}"] = exc.code
        print(json.dumps(out))
    """, hub.url, str(prestart.token_file(hub.plan.state)), peer)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen.pop("token file") == "denied"
    assert seen.pop("own token") is True, "the attack needs the participant's own server token"
    services = seen.pop("GET /services")
    listed = seen.pop("body /services", "")
    assert services in (200, 403)  # a participant may list services (nbgrader's course list does)
    assert prestart.read_token(hub.plan.state) not in listed
    assert all(code in (403, 404) for code in seen.values()), seen
