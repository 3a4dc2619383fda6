"""The grading kernels' fork server: a kernel handle signals that kernel and nothing else.

The grader usually runs as root.  A kernel forked by the fork server is reaped the moment it
exits, and its pid (also its process-group id) is then free for the next process; with
``pid_max`` at 32768 a busy machine hands it out again within minutes.  A handle that still
signalled the number would kill whoever holds it: in CI that was once, most likely, the
Chromium of a browser test running beside the grading tests (Playwright starts it as a
process-group leader).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from latsar.grading.kernels import ForkedProcess, ForkingKernelManager, start_time

LAST_PID = Path("/proc/sys/kernel/ns_last_pid")


def process_with_pid(pid: int, attempts: int = 200) -> subprocess.Popen:
    """A new process-group leader (as Playwright starts a browser) that gets exactly ``pid``."""
    for _ in range(attempts):
        LAST_PID.write_text(str(pid - 1))
        victim = subprocess.Popen(["sleep", "60"], start_new_session=True)
        if victim.pid == pid:
            return victim
        victim.kill()  # another process forked in between: try again
        victim.wait()
    raise AssertionError(f"pid {pid} could not be taken in {attempts} attempts")


def gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"process {pid} still there"
        time.sleep(0.01)


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="forcing a pid's reuse (ns_last_pid) needs root, "
                                                          "and only root can signal another user's process")


@root_only
def test_a_dead_kernels_pid_taken_by_another_process_is_never_signalled(tmp_path):
    async def scenario() -> tuple[subprocess.Popen, bool]:
        km = ForkingKernelManager(kernel_name="python3")
        await km.start_kernel(cwd=str(tmp_path))
        pid, handle = km.provisioner.pid, km.provisioner.process
        os.kill(pid, signal.SIGKILL)  # the kernel dies (a participant's os._exit, a CPU limit) …
        gone(pid)  # … and the fork server reaps it at once
        victim = process_with_pid(pid)  # a browser, say, gets its pid and its group id
        # what nbclient does with a kernel at the end of a notebook, and jupyter_client on a restart
        alive = await km.is_alive()
        await km.shutdown_kernel(now=True)
        handle.kill()
        handle.terminate()
        return victim, alive

    victim, alive = asyncio.run(scenario())
    try:
        time.sleep(0.2)
        assert victim.poll() is None, "the grader killed a process that took a dead kernel's pid"
        assert not alive, "the grader took another process for its kernel"
    finally:
        victim.kill()
        victim.wait()


def test_a_handle_to_a_pid_that_changed_hands_before_it_was_made_signals_nothing():
    """Between the fork server's reply and the handle, the kernel died and its pid was reused:
    the start time read by the fork server no longer matches, so the handle says "exited"."""
    other = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        handle = ForkedProcess(other.pid, start_time(other.pid) - 1)
        assert handle.poll() == 0
        handle.kill()
        handle.terminate()
        time.sleep(0.1)
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_live_kernel_is_signalled_and_its_exit_seen():
    kernel = subprocess.Popen(["sleep", "60"], start_new_session=True)
    handle = ForkedProcess(kernel.pid, start_time(kernel.pid))
    assert handle.poll() is None
    handle.terminate()
    kernel.wait(10)  # (here we are the parent and reap it; the fork server does so in grading)
    assert handle.wait(10) == 0 and handle.poll() == 0
