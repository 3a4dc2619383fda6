"""Fresh kernels without the start-up cost: a fork server for autograde workers.

Starting an IPython kernel costs ~0.4 s of CPU, almost all of it importing
IPython and ipykernel — per submission, on a 2-core machine.  A fork server
imports them once, in a clean single-threaded process, and forks a new kernel
for each submission.  Every kernel is still a fresh process used for exactly
one notebook; only the import work is shared.

It plugs into nbgrader without forking it: :class:`ForkingExecute` is
nbgrader's own ``Execute`` preprocessor with a kernel manager whose launch
step asks the fork server instead of ``Popen``; everything else (connection
files, ports, interrupts, timeouts, shutdown) is jupyter_client's own code.

Kernels talk to the grader over IPC sockets in a private folder, so parallel
workers never collide on TCP ports.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import random
import select
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from queue import Empty

import nbformat
import zmq

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import Bool, DottedObjectName, Integer, Type
from nbgrader.preprocessors import Execute


class ForkServerError(RuntimeError):
    pass


#: Marks the exit status of a sandboxed kernel in the error a dead kernel raises (see
#: :meth:`ForkingExecute.preprocess`), so the grader's log tells a participant's kill or a
#: CPU-limit kill from an infrastructure fault, on every grading path.
EXIT_MARK = "latsar-kernel-exit: "


def kernel_exit(text: str) -> dict | None:
    """The last kernel exit status named in nbgrader's error output, if any."""
    found = [line.split(EXIT_MARK, 1)[1] for line in text.splitlines() if EXIT_MARK in line]
    try:
        return json.loads(found[-1]) if found else None
    except ValueError:
        return None


class ForkServer:
    """Client side: one server process per grader worker, started on first use.

    The server reads requests from its stdin and exits at EOF, i.e. when the
    worker that owns the pipe exits (even if it is killed)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one request and its reply at a time (a server warms it in a thread)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "latsar.grading.kernels"],
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


class PromptKernelClient(AsyncKernelClient):
    """Ready as soon as IOPub shows the kernel idle after our kernel_info request.

    jupyter_client's own ``wait_for_ready`` ends by draining IOPub until it has
    been silent for 0.2 s — a fixed wait per kernel.  Seeing the ``idle``
    status whose parent is our own request proves the same thing (IOPub is
    connected and everything before it has arrived) without the wait.

    A new kernel binds its sockets a moment after the client connects.  The
    request waits in the client's queue, but an IOPub message the kernel
    publishes before the subscription reaches it is dropped (ZeroMQ's "slow
    joiner"), so the idle we wait for can be lost: the request is then sent
    again after :data:`RESEND` s instead of after a 1 s timeout, and the client's
    sockets retry a connection every :data:`RECONNECT_MS` ms instead of ZeroMQ's 100.
    """

    #: how long to wait for the idle of one kernel_info request before sending another
    RESEND = 0.05
    RECONNECT_MS = 5

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.context.setsockopt(zmq.RECONNECT_IVL, self.RECONNECT_MS)  # for the sockets made from now on

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else 60)
        pending: set[str] = set()
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
            pending.add(self.kernel_info())
            resend = time.monotonic() + self.RESEND
            while (left := resend - time.monotonic()) > 0:
                try:
                    msg = await self.iopub_channel.get_msg(timeout=left)
                except Empty:
                    break
                if (
                    msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") in pending
                ):
                    await self._take_kernel_info_reply(msg["parent_header"]["msg_id"], deadline)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")

    async def _take_kernel_info_reply(self, msg_id: str, deadline: float) -> None:
        """The reply to the request whose idle we saw (earlier replies to resent requests are dropped)."""
        while True:
            try:
                reply = await self.shell_channel.get_msg(timeout=max(0.1, deadline - time.monotonic()))
            except Empty:
                raise RuntimeError("Kernel didn't reply to kernel_info") from None
            if reply["msg_type"] == "kernel_info_reply" and reply["parent_header"].get("msg_id") == msg_id:
                self._handle_kernel_info_reply(reply)
                return

    wait_for_ready = _async_wait_for_ready  # the base class binds its own coroutine


class ForkLaunch:
    """The launch step of a jupyter_client kernel manager, through the fork server.

    Mixed into grading's :class:`ForkingKernelManager` and into the kernel manager of a
    participant's own JupyterLab server (:mod:`latsar.hub.kernels`); everything else stays
    jupyter_client's (connection files, ports, interrupts, restarts, shutdown)."""

    #: the sandbox the kernel is started in (grading: :meth:`ForkingKernelManager.enter_sandbox`)
    sandbox: dict | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        provisioner = self.provisioner

        async def launch(cmd, **kwargs):
            env = kwargs.get("env") or dict(os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            sandbox = None
            if self.sandbox is not None:
                from latsar.grading.sandbox import kernel_env

                env = kernel_env(env)
                sandbox = {**self.sandbox, "workdir": os.path.realpath(cwd)}
            process = fork_server().spawn(list(cmd), cwd, env, sandbox)
            provisioner.process = process
            provisioner.pid = process.pid
            # jupyter_client would signal ``os.killpg(pgid)`` whether or not the kernel still
            # lives, so a group id freed and reused since (a browser Playwright started is a
            # group leader) would be killed; without a pgid it asks the process, which checks.
            provisioner.pgid = None
            provisioner.cwd = cwd
            return provisioner.connection_info

        provisioner.launch_kernel = launch
        await super()._async_launch_kernel(kernel_cmd, **kw)


class ForkingKernelManager(ForkLaunch, AsyncKernelManager):
    """jupyter_client's kernel manager; only the launch goes through the fork server."""

    client_class = DottedObjectName("latsar.grading.kernels.PromptKernelClient")
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = os.path.join(_ipc_dir(), f"kernel-{os.getpid()}-{id(self)}")
        self.sandbox: dict | None = None
        self.kernel_dir: str | None = None
        #: the sandboxed kernels' exit statuses, newest last (read by the ForkingExecute that made this manager)
        self.exits: list[dict] = []

    def enter_sandbox(self, spec: dict) -> None:
        """Confine the kernel this manager starts (see :mod:`latsar.grading.sandbox`).

        Its sockets and connection file live in a folder of its own (``io/``),
        the only one of the grader's the kernel can reach; the supervisor's
        exit status is written beside it, out of the kernel's reach."""
        self.kernel_dir = tempfile.mkdtemp(prefix="k-", dir=_ipc_dir())
        io = os.path.join(self.kernel_dir, "io")
        os.mkdir(io, 0o700)
        self.ip = os.path.join(io, "s")
        self.connection_file = os.path.join(io, "kernel.json")
        self.sandbox = {**spec, "ipc": io, "status": self.kernel_dir}

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self.kernel_dir and not restart:
            from latsar.grading.sandbox import read_exit

            status = read_exit(self.kernel_dir)
            if status is not None:
                self.exits.append(status)
            shutil.rmtree(self.kernel_dir, ignore_errors=True)
            self.kernel_dir = None

    cleanup_resources = _async_cleanup_resources  # the async manager binds the coroutine itself

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """After a kill, poll every 5 ms, not 100: a killed kernel is gone in milliseconds,
        and jupyter_client's interval alone cost 0.1 s per submission."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))


def _ipc_dir() -> str:
    path = Path(tempfile.gettempdir()) / f"latsar-ipc-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return str(path)


class NotebookTimeout(RuntimeError):
    """The whole notebook ran past ``ForkingExecute.notebook_timeout``."""


class SparePool:
    """One kernel per worker started ahead of need, so it boots while the previous
    notebook runs.  A spare is handed to exactly one notebook, never reused."""

    def __init__(self) -> None:
        self.spare: ForkingKernelManager | None = None
        self.scratch = tempfile.mkdtemp(prefix="latsar-spare-")
        atexit.register(self.close)

    def take(self, kernel_name: str) -> ForkingKernelManager | None:
        spare, self.spare = self.spare, None
        if spare is not None and spare.kernel_name == kernel_name and spare.has_kernel:
            return spare
        if spare is not None:
            _kill(spare)
        return None

    async def refill(self, kernel_name: str, extra_arguments: list[str]) -> None:
        if self.spare is None:
            km = ForkingKernelManager(kernel_name=kernel_name)
            await km.start_kernel(extra_arguments=list(extra_arguments), cwd=self.scratch)
            self.spare = km

    def close(self) -> None:
        if self.spare is not None:
            _kill(self.spare)
            self.spare = None


def _kill(km: ForkingKernelManager) -> None:
    try:
        if km.provisioner is not None and km.provisioner.process is not None:
            km.provisioner.process.kill()
        km.cleanup_connection_file()
        km.cleanup_ipc_files()
    except Exception:  # noqa: BLE001 — best effort at exit
        pass


_pool: SparePool | None = None


def spare_pool() -> SparePool:
    global _pool
    if _pool is None:
        _pool = SparePool()
    return _pool


PLAIN_TRACEBACKS = ("--InteractiveShell.xmode=Plain", "--InteractiveShell.colors=nocolor")

HANDOVER = """import os as _latsar_os, sys as _latsar_sys
_latsar_os.chdir({path!r})
_latsar_sys.path[0] = {path!r}
del _latsar_os, _latsar_sys"""


class ForkingExecute(Execute):
    """nbgrader's ``Execute`` with kernels from the fork server (see module docstring).

    The kernel for a notebook is normally the worker's spare, started while the
    previous notebook ran; at hand-over it is moved into the notebook's folder
    by a silent command (no execution count, no history), exactly where a
    kernel started for that notebook would stand.
    """

    notebook_timeout = Integer(
        600,
        help="Batas waktu seluruh notebook dalam detik (0 = tanpa batas). Wall-time cap for one "
        "whole notebook, on top of the per-cell timeout; past it the submission fails with a reason.",
    ).tag(config=True)
    plain_tracebacks = Bool(
        True,
        help="Tracebacks tanpa warna dan tanpa potongan kode sekitar (IPython xmode Plain). A wrong or "
        "unanswered item raises in its test cell; IPython's default highlighted, in-context traceback "
        "cost about 0.03 s of kernel CPU each, and says nothing the plain one does not.",
    ).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = ForkingKernelManager
        super().__init__(*args, **kwargs)
        from latsar.grading.sandbox import Sandbox

        self._exits: list[dict] = []
        self._from_pool = False
        self._deadline: float | None = None
        self.sandbox = Sandbox(parent=self)
        self._output_bytes = 0
        self._mode = "none"

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if self._deadline is None:
            return timeout
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise NotebookTimeout(f"NotebookTimeout: notebook melebihi {self.notebook_timeout} detik")
        return max(1, int(min(timeout or left, left)))

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if self._deadline is not None and time.monotonic() > self._deadline and cell.cell_type == "code":
            raise NotebookTimeout(f"NotebookTimeout: notebook melebihi {self.notebook_timeout} detik")
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    execute_cell = run_sync(async_execute_cell)

    async def async_start_new_kernel(self, **kwargs):
        if self.plain_tracebacks:
            given = {a.split("=", 1)[0] for a in self.extra_arguments}
            self.extra_arguments = [*self.extra_arguments, *(a for a in PLAIN_TRACEBACKS if a.split("=", 1)[0] not in given)]
        await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    def _kernel_arguments(self) -> list[str]:
        args = list(self.extra_arguments)
        if not any(a.startswith("--HistoryManager.hist_file") for a in args):
            args.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")
        return args

    def create_kernel_manager(self):
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        self._output_bytes = 0
        mode = self.sandbox.require(self.notebook_timeout)  # SandboxError: refuse, never run with less
        grading = self.resources.setdefault("latsar_grading", {})
        grading["sandbox"] = self._mode = mode
        if mode != "none":
            # A sandbox is built around the notebook's own folder, so no spare kernel:
            # each kernel is forked for its notebook.
            self._from_pool = False
            self.km = super().create_kernel_manager()
            self.km.exits = self._exits
            self.km.enter_sandbox(self._sandbox_spec(mode))
            return self.km
        spare = spare_pool().take(self.kernel_name)
        self._from_pool = spare is not None
        self.km = spare if spare is not None else super().create_kernel_manager()
        return self.km

    def _sandbox_spec(self, mode: str) -> dict:
        from latsar.grading.sandbox import plan

        folder = os.path.realpath(self.resources.get("metadata", {}).get("path") or os.getcwd())
        return {"mode": mode, "limits": self.sandbox.limits(self.notebook_timeout),
                **plan(folder, self.hidden_paths(folder)),
                "uid_base": self.sandbox.uid_base}

    def hidden_paths(self, folder: str) -> list[str]:
        """What no kernel may see, derived from this preprocessor's own config, so stock
        ``nbgrader autograde`` and the formgrader hide the same as ``latsar autograde``:
        ``c.Sandbox.hidden_paths``, the course root, the SQLite gradebook file and the exchange."""
        from latsar.course import find_course_root

        hidden = list(self.sandbox.hidden_paths)
        course = self.config.get("CourseDirectory", {})
        root = course.get("root") or find_course_root(folder)
        if root:
            hidden.append(str(root))
        db_url = self.resources.get("nbgrader", {}).get("db_url") or course.get("db_url") or ""
        if db_url.startswith("sqlite:///"):
            hidden.append(db_url[len("sqlite:///"):].split("?")[0])
        exchange = self.config.get("Exchange", {}).get("root") or "/srv/nbgrader/exchange"
        hidden.append(str(exchange))
        return hidden

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handling, with the notebook's total output capped.

        Past ``Sandbox.max_output_bytes`` further output is dropped (the grader's
        memory stays bounded), one line says so, and the cell is interrupted."""
        limit = self.sandbox.max_output_bytes if self._mode != "none" else 0
        if limit and msg["msg_type"] in ("stream", "display_data", "execute_result", "error",
                                         "update_display_data"):
            content = msg["content"]
            size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values()) \
                + sum(len(line) for line in content.get("traceback", []))
            before, self._output_bytes = self._output_bytes, self._output_bytes + size
            if self._output_bytes > limit:
                if before <= limit:
                    note = f"keluaran notebook melebihi batas {limit:,} byte; sisanya dibuang".replace(",", ".")
                    self.resources.setdefault("latsar_grading", {}).setdefault("notes", []).append(note)
                    outs.append(nbformat.v4.new_output(
                        "stream", name="stdout", text=f"\n[keluaran dipotong: melebihi {limit} byte]\n"))
                    if self.km is not None:
                        asyncio.get_running_loop().create_task(self.km.interrupt_kernel())
                return None
        return super().output(outs, msg, display_id, cell_index)

    def preprocess(self, nb, resources=None, km=None):
        """nbgrader's ``Execute``; a kernel that died leaves its exit status in the error raised
        (a note on the exception, in the traceback nbgrader logs) for the grader to read."""
        self._exits.clear()
        try:
            return super().preprocess(nb, resources, km)
        except Exception as exc:
            if self._exits:
                exc.add_note(EXIT_MARK + json.dumps(self._exits[-1]))
            raise

    async def async_start_new_kernel_client(self):
        seen = len(self._exits)
        try:
            kc = await super().async_start_new_kernel_client()
        except Exception as exc:
            failed = [e for e in self._exits[seen:] if str(e.get("error", "")).startswith("sandbox")]
            if failed:  # the sandbox could not be built for this kernel: refuse, do not retry with less
                from latsar.grading.sandbox import SandboxError, refusal

                raise SandboxError(refusal(failed[-1]["error"])) from exc
            raise
        if self._from_pool:
            path = os.path.abspath(self.resources.get("metadata", {}).get("path") or os.getcwd())
            reply = await kc.execute_interactive(HANDOVER.format(path=path), silent=True,
                                                 store_history=False, timeout=30)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"kernel hand-over failed: {reply['content']}")
        if self._mode == "none":
            await spare_pool().refill(self.kernel_name, self._kernel_arguments())
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout else None
        return kc

    # nbclient binds its sync wrappers to the base coroutine; rebind to ours
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


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
