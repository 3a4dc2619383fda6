"""The fork server: fresh kernels without the start-up cost.

Starting an IPython kernel costs about 0.3 s of CPU, almost all of it importing IPython and
ipykernel.  A fork server imports them (and the lesson code) once, in a clean single-threaded
process, and forks a new kernel for each request.  Every kernel is still a fresh process used
for exactly one notebook; only the import work is shared.  Two users:

- grading (:class:`latsar.grading.kernels.ForkingExecute`): a fork server per worker, each
  kernel forked into its sandbox (:mod:`latsar.grading.sandbox`);
- a participant's own JupyterLab server (:mod:`latsar.hub.kernels`): a fork server started with
  the server, so a class logging in at 09:00 does not import ipykernel forty times at once.

This module is the fork server's own process (``python -m latsar.grading.forkserver``) and its
client handle; it imports nothing heavy (not nbgrader), so the server costs only what the kernels
need.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


class ForkServerError(RuntimeError):
    pass


class ForkServer:
    """Client side: one server process per grader worker, started on first use.

    The server reads requests from its stdin and exits at EOF, i.e. when the
    worker that owns the pipe exits (even if it is killed)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one request and its reply at a time (a server warms it in a thread)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "latsar.grading.forkserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        ready = self.proc.stdout.readline()
        if ready.strip() != "ready":
            raise ForkServerError(f"fork server did not start: {ready!r}")

    def spawn(self, argv: list[str], cwd: str, env: dict[str, str], sandbox: dict | None = None) -> "ForkedProcess":
        """Fork a kernel; the handle is pinned to that very process (see :class:`ForkedProcess`)."""
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env, "sandbox": sandbox})
        try:
            with self.lock:
                self.proc.stdin.write(request + "\n")
                self.proc.stdin.flush()
                reply = json.loads(self.proc.stdout.readline())
        except (OSError, ValueError) as exc:
            raise ForkServerError(f"fork server gone: {exc}") from exc
        if "error" in reply:
            raise ForkServerError(reply["error"])
        return ForkedProcess(int(reply["pid"]), reply.get("started"))

    def alive(self) -> bool:
        return self.proc.poll() is None


_server: ForkServer | None = None
_server_lock = threading.Lock()


def fork_server() -> ForkServer:
    """This process's fork server, started on first use (or again, if it died)."""
    global _server
    with _server_lock:
        if _server is None or not _server.alive():
            _server = ForkServer()
        return _server


def start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, ``/proc/PID/stat`` field 22), or
    None if there is no such process: with the pid, it names one process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[19])


class ForkedProcess:
    """Just enough of ``Popen`` for jupyter_client's LocalProvisioner.

    The kernel is the fork server's child (or a sandbox supervisor's), which
    reaps it the moment it exits; its pid is then free, and the grader, often
    root, could signal whatever process gets that pid next (on a busy machine
    with ``pid_max`` 32768 that happens within minutes: a browser, a database,
    another grader).  So the handle holds a pidfd opened while the kernel is
    alive and checked against the start time the fork server read: exit and
    signals go through the pidfd, which can only ever mean this kernel.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, started: int | None) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd: int | None = None
        try:
            self._fd = os.pidfd_open(pid)
        except ProcessLookupError:
            self.returncode = 0
            return
        if started is None or start_time(pid) != started:  # gone already, and its pid reused
            self._close()
            self.returncode = 0

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._fd], [], [], 0)[0]:  # readable: exited
            self.returncode = 0
            self._close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            select.select([self._fd], [], [], 0.05 if left is None else min(left, 0.05))
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """The kernel's process group (it called setsid(), so its pgid is its pid), which cannot
        be anyone else's while the pidfd shows the kernel alive; else the kernel alone."""
        if self.poll() is None:
            try:
                os.killpg(self.pid, signum)
            except OSError:
                try:
                    signal.pidfd_send_signal(self._fd, signum)
                except ProcessLookupError:
                    pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)
        # jupyter_client polls every 0.1 s after a kill; a SIGKILLed kernel is
        # gone within milliseconds, so wait briefly here instead.
        try:
            self.wait(0.2)
        except subprocess.TimeoutExpired:
            pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self) -> None:
        self._close()


# --- the server process ------------------------------------------------------------


def _serve() -> None:
    # Everything a kernel imports at start-up, imported once here.
    import IPython  # noqa: F401
    import ipykernel.debugger  # noqa: F401  (imports debugpy: 0.15 s otherwise)
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipykernel.zmqshell  # noqa: F401
    import jupyter_client.session  # noqa: F401

    import latsar.kernel.activities  # noqa: F401
    import latsar.kernel.answers  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel is reaped automatically
    requests, replies = sys.stdin, sys.stdout
    replies.write("ready\n")
    replies.flush()
    for line in requests:
        try:
            request = json.loads(line)
            if request.get("sandbox"):
                replies.write(json.dumps(_spawn_sandboxed(request)) + "\n")
                replies.flush()
                continue
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001 — report, keep serving
            replies.write(json.dumps({"error": repr(exc)}) + "\n")
            replies.flush()
            continue
        if pid == 0:
            _become_kernel(request)  # never returns
        replies.write(json.dumps({"pid": pid, "started": start_time(pid)}) + "\n")
        replies.flush()


def _spawn_sandboxed(request: dict) -> dict:
    """Fork a supervisor that builds the sandbox and forks the kernel inside it."""
    from latsar.grading.sandbox import supervise

    spec = {**request["sandbox"], "parent": os.getpid()}
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        spec["uid"] = spec["uid_base"] + os.getpid()
        supervise(spec, write, lambda: _become_kernel(request))  # never returns
    os.close(write)
    with os.fdopen(read) as pipe:
        line = pipe.readline().strip()
    if not line.isdigit():
        return {"error": f"sandbox gagal dibuat: {line or 'supervisor berhenti'}"}
    return {"pid": int(line), "started": start_time(int(line))}


def _become_kernel(request: dict) -> None:
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # away from the request/reply pipes
            os.dup2(devnull, fd)
        if request.get("sandbox"):
            os.closerange(3, 1 << 16)  # nothing of the server's reaches a sandboxed kernel
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        argv = request["argv"]
        if "-m" in argv:  # python -m ipykernel_launcher -f CONN …
            argv = argv[argv.index("-m") + 1:]
        # ipykernel exits when its parent, the fork server, goes: no orphan kernel after a kill -9
        # (its JPY_PARENT_PID default was read when the server imported kernelapp, so say it here)
        sys.argv = [argv[0], *argv[1:], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.path[0] = os.getcwd()  # as `python -m` would set it
        random.seed()  # do not share the server's random state
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        os._exit(code)


if __name__ == "__main__":
    _serve()
