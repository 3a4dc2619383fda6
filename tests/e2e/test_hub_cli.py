"""``latsar hub`` as a newcomer runs it: log-ins printed, roles enforced, Ctrl-C stops everything."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from latsar.hub.server import free_port

from ..conftest import BIN, REPO, copy_course
from .conftest import log_in, open_lab


@pytest.fixture(scope="module")
def cli_hub():
    """``latsar hub --single-user``: the fallback that needs no root and no OS accounts."""
    # in /tmp, not pytest's 0700 folders: the trial servers' account must reach its home and the
    # exchange in the state folder (latsar hub checks that as that account, and refuses otherwise)
    root = Path(tempfile.mkdtemp(prefix="latsar-hubcli-", dir="/tmp"))
    root.chmod(0o755)
    course = copy_course(root / "course")
    port = free_port()
    # every signal as in a terminal's foreground: a run started in the background (``cmd &`` in a
    # script, cron) hands SIGINT down ignored, and Python then keeps ignoring it
    proc = subprocess.Popen(
        ["env", "--default-signal", str(BIN / "latsar"), "hub", "--course", str(course.root), "--single-user", "--participants", "1",
         "--port", str(port), "--state", str(root / "state"), "--start-servers"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={"PATH": f"{BIN}:{REPO / 'node_modules' / '.bin'}:/usr/bin:/bin",
                                                                          "HOME": str(root), "COLUMNS": "200"})
    lines = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl-C" in line:
            break
    output = "".join(lines)
    assert "Ctrl-C" in output, f"latsar hub tidak siap:\n{output}"
    logins = dict(re.findall(r"│ (?:pengampu|peserta)\s*│ (\S+)\s*│ (\S+)\s*│", output))
    yield proc, output, logins, port
    if proc.poll() is None:  # as Ctrl-C: a SIGKILL would orphan the hub it started
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
    shutil.rmtree(root, ignore_errors=True)


def test_prints_url_and_logins(cli_hub):
    _, output, logins, port = cli_hub
    assert f"http://127.0.0.1:{port}/hub/login" in output
    assert set(logins) == {"pengampu", "peserta01"}
    assert "dirilis ke exchange: bab1_pendahuluan" in output.replace("\n", " ")
    assert "server peserta siap: 1/1" in output  # --start-servers: before the log-ins are printed
    assert output.index("server peserta siap") < output.index("Akun untuk masuk")


def test_participant_and_instructor_log_in_with_their_roles(cli_hub, browser):
    proc, _, logins, port = cli_hub
    hub = type("CliHub", (), {"url": f"http://127.0.0.1:{port}", "logins": logins})()
    participant = log_in(browser, hub, "peserta01")
    open_lab(participant, hub, "peserta01")
    participant.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    labels = participant.locator(".lm-Menu-itemLabel").all_inner_texts()
    assert "Assignment List" in labels
    assert not any("Formgrader" in label or "Course List" in label for label in labels)
    reply = participant.goto(f"{hub.url}/services/latsar-pelayanan/formgrader")
    assert reply.status == 403, "a participant must not reach the formgrader"

    instructor = log_in(browser, hub, "pengampu")
    instructor.goto(f"{hub.url}/services/latsar-pelayanan/formgrader")
    instructor.get_by_text("Manage Assignments").first.wait_for()
    instructor.get_by_text("bab2_konsep_pelayanan_publik").first.wait_for()


def test_ctrl_c_stops_hub_servers_and_proxy(cli_hub, browser):
    proc, _, _, port = cli_hub
    family = psutil.Process(proc.pid).children(recursive=True)
    assert any("configurable-http-proxy" in " ".join(p.cmdline()) for p in family)
    assert any("jupyterhub-singleuser" in " ".join(p.cmdline()) for p in family)  # started ahead: stopped too
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=90)[0]
    assert proc.returncode == 0, rest
    assert "JupyterHub berhenti." in rest
    time.sleep(1)
    assert not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("hup", ["SIG_IGN", "SIG_DFL"])
def test_a_closed_terminal_stops_the_hub_unless_it_was_started_with_nohup(hup):
    """SIGTERM always stops it cleanly; SIGHUP too, unless nohup made the hub outlive its terminal."""
    code = ("import signal; signal.signal(signal.SIGHUP, signal.%s); from latsar.cli import stop_on_signals; "
            "stop_on_signals(); print(signal.getsignal(signal.SIGHUP) is signal.default_int_handler, "
            "signal.getsignal(signal.SIGTERM) is signal.default_int_handler)" % hup)
    result = subprocess.run([str(BIN / "python"), "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False" if hup == "SIG_IGN" else "True", "True"]
