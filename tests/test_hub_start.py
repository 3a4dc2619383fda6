"""The hub's ports, and ``latsar hub`` refusing to come up routed to a server that is not its own.

A port from ``bind(0)`` is free only until someone uses it.  Once, in an e2e run, the live-quiz
service's port was taken (by another hub's server, from the same range) before the service bound
it: JupyterHub's own check took any HTTP answer as the service, and an instructor's request got
that server's bare HTML 403."""

from __future__ import annotations

import http.server
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from latsar.hub import server as hubmod
from latsar.live import SERVICE_NAME as LIVE

from .conftest import copy_course


def ephemeral_low() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_ports_are_drawn_outside_the_ephemeral_range_and_never_twice(monkeypatch):
    monkeypatch.delenv(hubmod.PORT_BAND_ENV, raising=False)
    ports = [hubmod.free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(1024 < port < ephemeral_low() for port in ports)


def test_a_band_keeps_parallel_workers_apart(monkeypatch):
    monkeypatch.setenv(hubmod.PORT_BAND_ENV, "23000-23009")
    ports = {hubmod.free_port() for _ in range(5)}
    assert len(ports) == 5 and ports <= set(range(23000, 23010))


class Impostor(http.server.BaseHTTPRequestHandler):
    """Answers as a Jupyter server or a hub answers a stranger: an HTML page, 403."""

    def do_GET(self):
        self.send_response(403)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!DOCTYPE HTML><html><title>Jupyter Server</title></html>")

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def impostor():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", hubmod.free_port()), Impostor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_service_port_taken_by_another_server_stops_the_start(impostor):
    root = Path(tempfile.mkdtemp(prefix="latsar-hubstart-", dir="/tmp"))
    root.chmod(0o755)
    try:
        course = copy_course(root / "course")
        plan = hubmod.make_plan(course, ["pengampu"], ["ani"], hubmod.free_port(), root / "state", False)
        plan.live_port = impostor  # taken between the plan and the service's start
        hubmod.prepare(plan)
        with pytest.raises(hubmod.HubError, match=f"Layanan {LIVE} tidak menjawab sebagai dirinya"):
            proc = hubmod.start(plan)
            hubmod.stop(proc)  # came up routed to the impostor
    finally:
        shutil.rmtree(root, ignore_errors=True)


class HubRedirect(Impostor):
    """What the hub answers for a service path while the proxy's route for it is not in place yet."""

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", "/hub" + self.path)
        self.end_headers()


def test_the_hub_s_own_redirect_means_not_yet_and_anything_else_means_another_server(impostor):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", hubmod.free_port()), HubRedirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert hubmod.answer_of(f"http://127.0.0.1:{server.server_address[1]}/services/{LIVE}/api/health") is None
    finally:
        server.shutdown()
        server.server_close()
    assert hubmod.answer_of(f"http://127.0.0.1:{impostor}/services/{LIVE}/api/health") == {}
    assert hubmod.answer_of(f"http://127.0.0.1:{hubmod.free_port()}/x") is None  # nothing listens yet
