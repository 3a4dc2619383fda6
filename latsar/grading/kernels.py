"""Fresh grading kernels without the start-up cost, from the fork server (:mod:`.forkserver`).

Starting an IPython kernel costs ~0.3 s of CPU, almost all of it importing IPython and
ipykernel: per submission, on a 2-core machine.  Each grading worker has a fork server that
imports them once and forks a new kernel for each submission.

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
import shutil
import tempfile
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

# the fork server and its handles (imported here too: old imports and tests name them here)
from latsar.grading.forkserver import ForkedProcess, ForkServer, ForkServerError, fork_server, start_time  # noqa: F401


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
