"""A participant's server forks its lesson kernels (``latsar.hub.kernels``), and they behave as
started ones: in the notebook's folder, as the participant, restarted and interrupted by
JupyterLab, gone when the session or the server ends."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest

from latsar.hub.server import config_path, free_port

FORK_SERVER = "latsar.grading.forkserver"


@pytest.fixture
def server(tmp_path):
    """JupyterLab with the participant role's Jupyter config, as ``latsar hub`` gives a participant."""
    home = tmp_path / "home"
    (home / "pelajaran").mkdir(parents=True)
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_PATH": config_path("participant"),
           "LATSAR_EXCHANGE": str(tmp_path / "exchange"), "JUPYTERHUB_USER": "peserta07",
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
         "--allow-root", f"--notebook-dir={home}"],
        env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
        try:
            if httpx.get(f"{url}/api/status", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not answer"
        time.sleep(0.1)
    yield url, proc, home
    if proc.poll() is None:
        proc.terminate()
        proc.wait(30)
    log.close()


def kernels_of(proc) -> dict[int, psutil.Process]:
    """The server's forked kernels: children of its fork server."""
    forks = [c for c in psutil.Process(proc.pid).children() if FORK_SERVER in " ".join(c.cmdline())]
    return {k.pid: k for f in forks for k in f.children()}


async def run(url: str, kernel: str, code: str) -> str:
    from tornado.websocket import websocket_connect

    conn = await websocket_connect(url.replace("http", "ws", 1) + f"/api/kernels/{kernel}/channels")
    msg_id, out = uuid.uuid4().hex, []
    await conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "peserta07",
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False}}))
    while True:
        msg = json.loads(await asyncio.wait_for(conn.read_message(), 60))
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "error":
            out.append(msg["content"]["evalue"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            conn.close()
            return "".join(out)


def wait_gone(procs, timeout: float = 30) -> list[int]:
    _, alive = psutil.wait_procs(list(procs), timeout=timeout)
    return [p.pid for p in alive]


def test_a_lesson_kernel_is_forked_and_behaves_as_a_started_one(server):
    url, proc, home = server
    session = httpx.post(f"{url}/api/sessions", timeout=60, json={
        "path": "pelajaran/bab.ipynb", "name": "bab.ipynb", "type": "notebook", "kernel": {"name": "python3"}}).json()
    kernel = session["kernel"]["id"]
    first = kernels_of(proc)
    assert len(first) == 1, "the kernel was not forked from the server's fork server"
    said = asyncio.run(run(url, kernel, "import os\nfrom latsar.kernel.forms import participant\n"
                                        "print(os.getcwd(), participant(), os.getpid())"))
    cwd, who, pid = said.split()
    assert (Path(cwd), who, int(pid)) == (home / "pelajaran", "peserta07", next(iter(first)))

    # JupyterLab's restart: a new forked kernel, the old one gone
    assert httpx.post(f"{url}/api/kernels/{kernel}/restart", timeout=60).status_code == 200
    assert wait_gone(first.values()) == []
    second = kernels_of(proc)
    assert len(second) == 1 and second.keys() != first.keys()
    # an interrupt reaches the kernel, which lives on
    assert httpx.post(f"{url}/api/kernels/{kernel}/interrupt", timeout=60).status_code == 204
    assert asyncio.run(run(url, kernel, "print('masih hidup')")).strip() == "masih hidup"

    # closing the session stops the kernel; stopping the server stops the fork server
    assert httpx.delete(f"{url}/api/sessions/{session['id']}", timeout=60).status_code == 204
    assert wait_gone(second.values()) == []
    forks = [c for c in psutil.Process(proc.pid).children() if FORK_SERVER in " ".join(c.cmdline())]
    assert len(forks) == 1
    proc.terminate()
    proc.wait(30)
    assert wait_gone(forks) == []
