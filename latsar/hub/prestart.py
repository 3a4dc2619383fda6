"""Start every participant's server before class, and cull servers left idle for hours.

One participant's JupyterLab server needs about 1.4 s of CPU before it answers
(``bench/server_start.py``); forty participants logging in together at 09:00 on
two cores wait for forty starts at once.  Started ahead, each log-in finds its
server ready (``bench/class_start.py``).

The starts go through the hub's REST API with the token of the hub service
:data:`SERVICE`.  The token lives in ``<state>/start-servers.token`` (``0600``,
in the hub state participants cannot read); its role may only start and read
the servers of the participant group: not stop one, not touch an instructor's.

Idle servers are stopped by ``jupyterhub-idle-culler`` (a hub service) so that
memory stays bounded; its timeout is hours, so that servers started ahead of a
session are still there when the class logs in.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Callable

from latsar.course import LatsarError, participant_group

#: the hub service whose token starts participants' servers
SERVICE = "latsar-start-servers"
TOKEN_FILE = "start-servers.token"
CULLER = "latsar-idle-culler"
#: hours of inactivity before a server is stopped: servers started early in the morning survive
#: until a class after lunch (docs/hub.md)
DEFAULT_CULL_HOURS = 4.0


class StartError(LatsarError):
    """Servers could not be started ahead."""


def token_file(state: str | Path) -> Path:
    return Path(state) / TOKEN_FILE


def ensure_token(state: str | Path) -> str:
    """The service's token, created once (``0600``); the hub reads it from its config."""
    from latsar.course.files import atomic_write

    path = token_file(state)
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_hex(32)
    atomic_write(path, token + "\n", mode=0o600)
    return token


def read_token(state: str | Path) -> str:
    path = token_file(state)
    try:
        return path.read_text().strip()
    except PermissionError:
        raise StartError(f"Token {path} hanya bisa dibaca root; jalankan perintah ini dengan sudo.") from None
    except FileNotFoundError:
        raise StartError(f"Token {path} tidak ada; hub ini tidak dijalankan dengan `latsar hub`.") from None


def services(state: str | Path, python_bin: str, cull_hours: float) -> tuple[list[dict], list[dict]]:
    """The start service (when its token exists) and the idle culler (unless ``cull_hours`` is 0)."""
    group = participant_group()
    found, roles = [], []
    path = token_file(state)
    if path.exists():
        found.append({"name": SERVICE, "api_token": path.read_text().strip()})
        roles.append({"name": SERVICE, "services": [SERVICE],
                      "description": "Menyalakan server peserta sebelum kelas",
                      "scopes": [f"start:servers!group={group}", f"read:servers!group={group}"]})
    if cull_hours > 0:
        found.append({"name": CULLER, "command": [
            str(Path(python_bin) / "python"), "-m", "jupyterhub_idle_culler",
            f"--timeout={round(cull_hours * 3600)}", f"--cull-every={culler_interval(cull_hours)}"]})
        roles.append({"name": CULLER, "services": [CULLER],
                      "description": "Menghentikan server yang lama menganggur",
                      "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
    return found, roles


def culler_interval(cull_hours: float) -> int:
    """How often the culler looks: a tenth of the timeout, between 1 and 10 minutes."""
    return max(60, min(600, round(cull_hours * 360)))


def start_servers(url: str, token: str, users: list[str], *, concurrency: int | None = None,
                  timeout: float = 300, on_ready: Callable[[str], None] = lambda user: None) -> dict[str, str]:
    """Start each user's default server, ``concurrency`` at a time; returns user → why it failed.

    A server already running counts as started.  The hub answers a start request only when the
    server is up (or after 10 s), so requests are made from ``concurrency`` threads: one after
    the other, 40 starts took 137 s on two cores, each waiting for the one before.  Two per core,
    not forty: they share the same cores anyway, and this way each server answers well within
    the hub's start timeout.  ``on_ready`` is called from those threads."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    headers = {"Authorization": f"token {token}"}
    api = url.rstrip("/") + "/hub/api"

    def start(user: str) -> str | None:
        with httpx.Client(base_url=api, headers=headers, timeout=120) as client:
            reply = client.post(f"/users/{user}/server", json={})
            started = reply.status_code == 201 or (reply.status_code == 400 and "already running" in reply.text)
            if not started and not (reply.status_code == 202 or (reply.status_code == 400 and "is pending" in reply.text)):
                return _why(reply)
            deadline = time.monotonic() + timeout
            while not started:
                if time.monotonic() > deadline:
                    return f"belum siap setelah {timeout:.0f} detik"
                time.sleep(0.5)
                reply = client.get(f"/users/{user}")
                if reply.status_code != 200:
                    return _why(reply)
                server = reply.json().get("servers", {}).get("")
                if not server:
                    return "server berhenti saat dinyalakan"
                started = bool(server.get("ready"))
        on_ready(user)
        return None

    def attempt(user: str) -> str | None:
        try:
            return start(user)
        except httpx.HTTPError as exc:  # the hub went away or did not answer: named, not a traceback
            return f"{type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(concurrency or 2 * (os.cpu_count() or 1)) as pool:
        outcomes = list(pool.map(attempt, users))
    return {user: why for user, why in zip(users, outcomes) if why}


def _why(reply) -> str:
    try:
        message = reply.json().get("message", "")
    except ValueError:
        message = reply.text[:200]
    return f"HTTP {reply.status_code} {message}".strip()
