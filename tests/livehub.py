"""A real JupyterHub (subprocess) running the live service as a managed service.

Users, groups and tokens are made through the hub's REST API with an admin
service token, as an operator would; a participant's token has the scopes of
a single-user server's ``JUPYTERHUB_API_TOKEN`` (plus the live service's access).
Used by ``tests/test_live_hub.py``, ``tests/e2e/test_live_browser.py`` and
``bench/live.py``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from latsar.hub.server import free_port, proxy_command  # proxy: this repo's `npm ci`, else PATH
from latsar.course import instructor_group, participant_group
from latsar.live import SERVICE_NAME
from latsar.live.service import PREFIX

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "latihan-langsung"
SERVER_SCOPES = ["users:activity!user", f"access:services!service={SERVICE_NAME}"]


CONFIG = """\
from latsar.live.service import configure_hub
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.JupyterHub.db_url = "sqlite:///{root}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{root}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{root}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "test-admin", "api_token": {admin_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["test-admin"]}}]
# participants' single-user servers (JupyterLab), run as this OS user with homes under the test folder
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{root}/home/{{username}}"
c.Spawner.args = ["--allow-root"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
configure_hub(c, {course!r}, port={service_port})
"""


def _pid_in(path: Path) -> list[int]:
    try:
        return [int(path.read_text().strip())]
    except (OSError, ValueError):
        return []


def _process(pid: int | None) -> psutil.Process | None:
    try:
        return psutil.Process(pid) if pid else None
    except psutil.NoSuchProcess:
        return None


class LiveHub:
    """Start with :meth:`start`, always :meth:`stop` (the fixture does)."""

    def __init__(self, root: Path, course_root: Path):
        self.root = Path(root)
        self.course_root = Path(course_root)
        self.port, self.hub_port, self.proxy_api_port, self.service_port = (free_port() for _ in range(4))
        self.admin_token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"http://127.0.0.1:{self.hub_port}/hub/api/"
        #: the service straight (as a kernel on the hub host reaches it, ``LATSAR_LIVE_URL``)
        self.service_url = f"http://127.0.0.1:{self.service_port}{PREFIX}"
        #: the service through the hub's proxy (as a browser reaches it)
        self.public_service_url = f"{self.url}{PREFIX}"
        self.proc: subprocess.Popen | None = None
        self.admin = httpx.Client(base_url=self.api, headers={"Authorization": f"token {self.admin_token}"},
                                  timeout=30)

    def start(self, timeout: float = 60) -> "LiveHub":
        config = self.root / "jupyterhub_config.py"
        config.write_text(CONFIG.format(
            port=self.port, hub_port=self.hub_port, proxy_api_port=self.proxy_api_port, proxy=proxy_command(Path(__file__).resolve().parents[1]),
            proxy_token=secrets.token_hex(16), root=self.root, password=PASSWORD, admin_token=self.admin_token,
            course=str(self.course_root), service_port=self.service_port), encoding="utf-8")
        bindir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        self.log = open(self.root / "jupyterhub.log", "wb")
        self.proc = subprocess.Popen([str(Path(bindir) / "jupyterhub"), "-f", str(config)], cwd=self.root,
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited ({self.proc.returncode}):\n{self.log_text()[-3000:]}")
            try:
                if self.admin.get("").is_success and self.service_pid():
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyterhub or {SERVICE_NAME} not ready in {timeout} s:\n{self.log_text()[-3000:]}")

    def home(self, user: str) -> Path:
        """The single-user server's folder of ``user`` (made before the server starts)."""
        path = self.root / "home" / user
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log_text(self) -> str:
        return (self.root / "jupyterhub.log").read_text(errors="replace")

    def service_pid(self) -> int | None:
        try:
            r = httpx.get(self.service_url + "api/health", timeout=2)
        except httpx.HTTPError:
            return None
        return r.json()["pid"] if r.is_success else None

    def stop(self) -> None:
        """Stop the hub; then make sure its proxy and the service are gone too, even if the hub died."""
        if self.proc is not None:
            # Held as psutil handles, taken while they run: a pid freed since is not signalled
            # (is_running() compares start times), whoever holds the number now.
            leftovers = [_process(pid) for pid in [self.service_pid(), *_pid_in(self.root / "jupyterhub-proxy.pid")]]
            if self.proc.poll() is None:
                self.proc.terminate()  # the hub stops its proxy and managed service on the way out
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            for leftover in filter(None, leftovers):
                try:
                    if leftover.is_running():
                        leftover.kill()
                except psutil.NoSuchProcess:
                    pass
        self.admin.close()
        if getattr(self, "log", None):
            self.log.close()

    # -- people ------------------------------------------------------------------------
    def add_users(self, names: list[str], group: str | None = None) -> None:
        r = self.admin.post("users", json={"usernames": names})
        assert r.status_code in (201, 409), r.text
        if group:
            if self.admin.get(f"groups/{group}").status_code == 404:
                self.admin.post(f"groups/{group}", json={"users": []}).raise_for_status()
            self.admin.post(f"groups/{group}/users", json={"users": names}).raise_for_status()

    def token(self, name: str, scopes: list[str] | None = None) -> str:
        r = self.admin.post(f"users/{name}/tokens", json={"scopes": scopes or SERVER_SCOPES,
                                                          "note": "latsar live test"})
        r.raise_for_status()
        return r.json()["token"]

    def participants(self, n: int, prefix: str = "peserta") -> dict[str, str]:
        names = [f"{prefix}{i:03d}" for i in range(1, n + 1)]
        self.add_users(names, participant_group())
        return {name: self.token(name) for name in names}

    def instructor(self, name: str = "pengampu") -> str:
        self.add_users([name], instructor_group())
        return self.token(name)
