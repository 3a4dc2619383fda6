"""``latsar hub --start-servers`` on a running hub: every participant's server, only theirs, and its token stays narrow."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import httpx
import psutil
import pytest

from latsar.hub import prestart
from latsar.hub import server as hubmod

from .conftest import copy_course

PARTICIPANTS = ["ani", "budi"]
INSTRUCTOR = "pengampu"


@pytest.fixture(scope="module")
def running():
    """A trial hub (no OS accounts) with one instructor and two participants; no server runs yet."""
    # in /tmp, not pytest's 0700 folders: as root the trial servers' account must reach its home
    root = Path(tempfile.mkdtemp(prefix="latsar-prestart-", dir="/tmp"))
    root.chmod(0o755)
    course = copy_course(root / "course")
    plan = hubmod.make_plan(course, [INSTRUCTOR], PARTICIPANTS, hubmod.free_port(), root / "state", False)
    hubmod.prepare(plan)
    proc = hubmod.start(plan)
    try:
        yield plan, proc
    finally:
        hubmod.stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def servers_running(proc) -> set[str]:
    """Whose single-user server runs among the hub's processes (JUPYTERHUB_USER of each; the formgrader
    service runs jupyterhub-singleuser too, for no user)."""
    users = set()
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if any("jupyterhub-singleuser" in part for part in child.cmdline()) and child.environ().get("JUPYTERHUB_USER"):
                users.add(child.environ()["JUPYTERHUB_USER"])
        except psutil.NoSuchProcess:
            pass
    return users


def hub_api(plan, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{plan.url}/hub/api", headers={"Authorization": f"token {token}"}, timeout=60)


def test_starts_every_participants_server_and_no_one_elses(running):
    plan, proc = running
    assert servers_running(proc) == set()
    ready = []
    failed = prestart.start_servers(plan.url, prestart.read_token(plan.state), plan.participants, on_ready=ready.append)
    assert failed == {}
    assert sorted(ready) == PARTICIPANTS
    assert servers_running(proc) == set(PARTICIPANTS)
    with hub_api(plan, prestart.read_token(plan.state)) as api:
        for user in PARTICIPANTS:
            assert api.get(f"/users/{user}").json()["servers"][""]["ready"] is True
    # a second run (the instructor presses it twice) counts running servers as started
    assert prestart.start_servers(plan.url, prestart.read_token(plan.state), plan.participants) == {}


def test_the_token_reaches_participants_only_and_only_to_start(running):
    plan, proc = running
    token_file = prestart.token_file(plan.state)
    assert token_file.stat().st_mode & 0o777 == 0o600
    failed = prestart.start_servers(plan.url, prestart.read_token(plan.state), [INSTRUCTOR])
    assert set(failed) == {INSTRUCTOR}, "the start token must not reach an instructor's server"
    assert INSTRUCTOR not in servers_running(proc)
    with hub_api(plan, prestart.read_token(plan.state)) as api:
        assert api.delete(f"/users/{PARTICIPANTS[0]}/server").status_code == 403  # cannot stop a class
        assert api.get("/users").status_code == 403
        assert api.post(f"/users/{INSTRUCTOR}/tokens", json={}).status_code in (403, 404)


def test_a_participants_server_token_cannot_start_or_stop_a_peer(running):
    """What a participant holds (their server's JUPYTERHUB_API_TOKEN) does not do what the start token does."""
    plan, proc = running
    prestart.start_servers(plan.url, prestart.read_token(plan.state), plan.participants)
    attacker, peer = PARTICIPANTS
    token = next(child.environ()["JUPYTERHUB_API_TOKEN"] for child in psutil.Process(proc.pid).children(recursive=True)
                 if child.environ().get("JUPYTERHUB_USER") == attacker
                 and any("jupyterhub-singleuser" in part for part in child.cmdline()))
    with hub_api(plan, token) as api:
        assert api.get("/user").json()["name"] == attacker  # the token works, for its owner
        assert api.delete(f"/users/{peer}/server").status_code in (403, 404)
        assert api.post(f"/users/{INSTRUCTOR}/server", json={}).status_code in (403, 404)
        seen = api.get(f"/services/{prestart.SERVICE}")  # a participant may see the service, not its token
        assert prestart.read_token(plan.state) not in seen.text
    assert servers_running(proc) == set(PARTICIPANTS)


def test_idle_servers_are_culled_after_the_configured_hours(running):
    plan, proc = running
    culler = [child.cmdline() for child in psutil.Process(proc.pid).children(recursive=True)
              if "jupyterhub_idle_culler" in child.cmdline()]
    assert culler, "the idle culler service is not running"
    assert f"--timeout={round(hubmod.DEFAULT_CULL_HOURS * 3600)}" in culler[0]
    services, roles = prestart.services(plan.state, plan.python_bin, 0)
    assert [s["name"] for s in services] == [prestart.SERVICE], "--cull-idle-hours 0 runs no culler"
