"""A sandbox for each autograde kernel: a participant's code runs with no reach beyond its folder.

nbgrader runs every submission with the instructor's permissions (nbgrader
#1386).  Here each kernel the fork server (:mod:`latsar.grading.forkserver`) makes for a
submission is confined before it starts, with only the Linux kernel's own
mechanisms (namespaces, mounts, rlimits, uids; called through ``ctypes``, since
Python 3.11 has no ``os.unshare``):

- **Files.** A private mount namespace.  The whole file tree is read-only; the
  course folder (gradebook, ``source/``, ``course_data/``, every other
  submission), the exchange, the instructor's home and every course folder
  above it are covered by empty read-only tmpfs.  Only what the kernel needs is
  bound back: the Python installation and ``latsar`` (read-only), the kernel's
  own IPC folder, and the submission's working folder — as an *overlay*, so the
  kernel may write there but its writes land in a small private tmpfs and are
  thrown away: the autograded files on disk stay as nbgrader wrote them.
  ``/tmp``, ``/var/tmp`` and ``/dev/shm`` are private, size-limited tmpfs.
- **Network.** A new network namespace with no interface up: no network at all
  (the kernel talks to the grader over Unix sockets, which need none).
- **Processes.** A new PID namespace: the kernel is its init, sees no other
  process, cannot signal one, and everything it started dies with it.
- **Identity.** As root, the kernel drops to an unprivileged uid of its own
  (``uid_base`` + the supervisor's pid, no passwd entry needed), so
  ``RLIMIT_NPROC`` counts only that kernel.  Without root, an unprivileged user
  namespace gives the same mounts; all capabilities are then dropped.
- **Limits.** ``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC`` (processes and
  threads), ``RLIMIT_FSIZE``, ``RLIMIT_NOFILE``, no core files; a supervisor
  process kills the kernel past ``wall_seconds``, and as soon as the fork server
  (or the supervisor itself) dies, so a killed run leaves no kernel behind.
  Output size is capped on the grader's side (:class:`latsar.grading.kernels.ForkingExecute`).

``mode`` "auto" picks "root" as root, else "userns" when the OS allows
unprivileged user namespaces.  **It fails closed**: when the isolation asked
for cannot be built (no root and no user namespaces, no overlayfs, a mount
that fails), grading refuses with a message saying what to do
(:meth:`Sandbox.require` tries a real sandbox once per process before the first
kernel).  Less isolation only when the instructor asks for it by name:
"rlimits" (limits, no isolation) or "none" (no sandbox at all;
``latsar autograde --sandbox none``).  Every world-writable place outside the
kept paths (``/run`` with ``/run/lock``, ``/var``, ``/dev/mqueue``, …) is covered,
so a Unix socket a participant's account left listening there is unreachable.
docs/grading-safety.md lists what holds in each mode.
"""

from __future__ import annotations

import ctypes
import functools
import errno
import json
import os
import resource
import select
import signal
import subprocess
import sys
from pathlib import Path

from traitlets import Bool, Enum, Integer, List, Unicode
from traitlets.config import Configurable

from latsar.course import failpoints

# --- configuration -----------------------------------------------------------------

MODES = ("auto", "root", "userns", "rlimits", "none")
#: What a mode gives, for the summary and the report.
MODE_LABELS = {
    "root": "root (isolasi penuh: namespace, uid sendiri, overlay)",
    "userns": "userns (isolasi penuh lewat user namespace)",
    "rlimits": "rlimits — HANYA batas sumber daya, TANPA isolasi berkas/jaringan (diminta)",
    "none": "none — TANPA sandbox (diminta; hanya untuk notebook tepercaya)",
}


class Sandbox(Configurable):
    """Limits and isolation of every autograde kernel (``c.Sandbox.*`` in nbgrader_config.py)."""

    enabled = Bool(
        True,
        help="Jalankan setiap kernel penilaian di sandbox (run every autograde kernel in a sandbox). "
        "Turn off only for trusted notebooks.",
    ).tag(config=True)
    mode = Enum(
        list(MODES), "auto",
        help="auto: root when run as root, else userns when unprivileged user namespaces work, else grading "
        "refuses. Less only when asked by name: rlimits (limits only, no file/network isolation) or none "
        "(no sandbox at all; same as enabled = False).",
    ).tag(config=True)
    cpu_seconds = Integer(60, help="CPU time of one kernel (RLIMIT_CPU), seconds.").tag(config=True)
    memory_mb = Integer(2048, help="Address space of one kernel (RLIMIT_AS), MiB.").tag(config=True)
    max_processes = Integer(
        64, help="Processes and threads of one kernel (RLIMIT_NPROC; a kernel uses about 10).",
    ).tag(config=True)
    max_file_mb = Integer(16, help="Largest file a kernel may write (RLIMIT_FSIZE), MiB.").tag(config=True)
    max_open_files = Integer(256, help="Open files of one kernel (RLIMIT_NOFILE).").tag(config=True)
    scratch_mb = Integer(
        64, help="Size of each private tmpfs (/tmp, /dev/shm, the working folder's write layer), MiB.",
    ).tag(config=True)
    wall_seconds = Integer(
        0, help="Kill the kernel after this many seconds of wall time (0: notebook_timeout + 60 s).",
    ).tag(config=True)
    max_output_bytes = Integer(
        2_000_000, help="Output a notebook may produce in total; more is dropped and the cell interrupted.",
    ).tag(config=True)
    max_notebook_mb = Integer(
        20, help="A submitted notebook larger than this fails before grading, MiB.",
    ).tag(config=True)
    uid_base = Integer(
        1_900_000_000, help="As root each kernel runs as uid (and gid) uid_base + its supervisor's pid.",
    ).tag(config=True)
    hidden_paths = List(
        Unicode(), [],
        help="More paths to hide from kernels, besides the course folder, the gradebook, the exchange "
        "and the instructor's home.",
    ).tag(config=True)

    def resolved_mode(self) -> str:
        """The mode that will actually run, or :class:`SandboxError` when it cannot be built."""
        if not self.enabled or self.mode == "none":
            return "none"
        if self.mode == "rlimits":
            return "rlimits"
        if self.mode == "root" or (self.mode == "auto" and os.geteuid() == 0):
            if os.geteuid() != 0:
                raise SandboxError(refusal("mode root diminta, tetapi penilai tidak berjalan sebagai root"))
            return "root"
        if not userns_available():
            raise SandboxError(refusal("penilai bukan root dan sistem ini tidak mengizinkan user namespace "
                                       "tanpa hak istimewa (unshare -rmn gagal)"))
        return "userns"

    def require(self, notebook_timeout: int = 600) -> str:
        """The mode, after one real sandbox was built and torn down in this process (cached)."""
        mode = self.resolved_mode()
        if mode in ("root", "userns"):
            key = (mode, tuple(self.hidden_paths))
            if key not in _proven:
                problem = probe(mode, self.limits(notebook_timeout), list(self.hidden_paths), self.uid_base)
                if problem:
                    raise SandboxError(refusal(f"sandbox mode {mode} tidak dapat dibuat: {problem}"))
                _proven.add(key)
        return mode

    def limits(self, notebook_timeout: int) -> dict:
        wall = self.wall_seconds or ((notebook_timeout + 60) if notebook_timeout else 0)
        return {
            "cpu": self.cpu_seconds, "as": self.memory_mb << 20, "nproc": self.max_processes,
            "fsize": self.max_file_mb << 20, "nofile": self.max_open_files, "wall": wall,
            "scratch": self.scratch_mb << 20,
        }


_proven: set = set()


def refusal(why: str) -> str:
    """The Indonesian refusal: what failed and what the instructor can do."""
    return (f"Penilaian ditolak: sandbox kernel tidak dapat dibuat ({why}). Tidak ada kiriman yang dinilai. "
            "Jalankan penilaian sebagai root (mis. sudo), atau aktifkan user namespace dan overlayfs "
            "(sysctl kernel.unprivileged_userns_clone=1, modprobe overlay); hanya untuk notebook tepercaya, "
            "minta penilaian tanpa sandbox dengan `latsar autograde --sandbox none` "
            "atau c.Sandbox.mode = \"none\" di nbgrader_config.py.")


@functools.lru_cache(maxsize=1)
def userns_available() -> bool:
    """Whether this user may create a user namespace (with mount and network namespaces)."""
    try:
        probe = subprocess.run(["unshare", "-rmn", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


# --- what to hide and what to keep ----------------------------------------------------


def plan(workdir: str, extra_hidden: list[str]) -> dict:
    """Paths for :func:`confine`: hide every course folder around ``workdir``, keep Python."""
    from latsar.course import ITEM_BANK

    work = Path(workdir).resolve()
    hide = {str(Path(p).resolve()) for p in extra_hidden if p}
    for folder in (work, *work.parents):
        if (folder / ITEM_BANK).is_file():  # a course folder (also one holding this course, as in the demo)
            hide.add(str(folder))
    home = os.environ.get("HOME")
    for path in (home, os.path.expanduser("~"), "/root", "/home"):
        if path and path != "/":
            hide.add(str(Path(path).resolve()))
    hide.update(world_writable())
    import latsar

    package = os.path.dirname(os.path.realpath(latsar.__file__))
    if (Path(package).parent / ITEM_BANK).is_file():  # an editable install's checkout holds a bank too
        hide.add(str(Path(package).parent))
    keep = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    keep.update(p for p in sys.path if p and os.path.isdir(p))
    keep.add(package)
    keep = {str(Path(p).resolve()) for p in keep}
    # never keep a folder that holds something hidden (a course root on sys.path, say)
    keep = {k for k in keep if not any(_within(h, k) for h in hide)}
    return {"hide": sorted(hide), "keep": sorted(keep)}


#: Covered whole for every kernel: nothing a kernel needs, and world-writable places where another
#: account could leave a listening Unix socket (``/run/lock`` is 1777; ``/var/lock`` points there).
#: Kept paths below them (a Python under /opt, say) are bound back.
ALWAYS_COVERED = ("/run", "/var", "/srv", "/mnt", "/media", "/opt", "/dev/mqueue")
_SKIP_SCAN = ("/proc", "/sys", "/dev/pts", "/tmp", "/dev/shm")  # pseudo file systems; private tmpfs
_writable: list[str] | None = None


def world_writable(depth: int = 4) -> list[str]:
    """Folders any account may create a socket in: :data:`ALWAYS_COVERED`, and every world-writable
    folder found up to ``depth`` levels below ``/`` elsewhere (scanned once per process, ~0.1 s)."""
    global _writable
    if _writable is None:
        found = {p for p in ALWAYS_COVERED if os.path.isdir(p) and not os.path.islink(p)}
        skip = set(_SKIP_SCAN) | found

        def walk(folder: str, level: int) -> None:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                return
            for entry in entries:
                try:
                    if not entry.is_dir(follow_symlinks=False) or entry.path in skip:
                        continue
                    if entry.stat(follow_symlinks=False).st_mode & 0o002:
                        found.add(entry.path)
                        continue
                except OSError:
                    continue
                if level < depth:
                    walk(entry.path, level + 1)

        walk("/", 1)
        _writable = sorted(found)
    return list(_writable)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# --- libc --------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND = 1, 2, 4, 32, 4096
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 38, 24, 28
AT_RECURSIVE, MOUNT_ATTR_RDONLY = 0x8000, 0x1
M_ARENA_MAX = -8  # mallopt
SYS_MOUNT_SETATTR = {"x86_64": 442, "aarch64": 442}.get(os.uname().machine)


class SandboxError(RuntimeError):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(err)} (errno {err})")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl {option}")


def _readonly_everything() -> None:
    """Make every mount read-only at once (mount_setattr, Linux 5.12+); else each one."""

    class MountAttr(ctypes.Structure):
        _fields_ = [("set", ctypes.c_uint64), ("clr", ctypes.c_uint64),
                    ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]

    if SYS_MOUNT_SETATTR is not None:
        attr = MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
        if _libc.syscall(SYS_MOUNT_SETATTR, -100, b"/", AT_RECURSIVE, ctypes.byref(attr),
                         ctypes.sizeof(attr)) == 0:
            return
    for line in reversed(Path("/proc/self/mountinfo").read_text().splitlines()):
        target = line.split()[4].encode().decode("unicode_escape")
        try:
            mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        except SandboxError:
            pass  # a mount we may not change stays as it is (documented)


def _drop_capabilities() -> None:
    """For user-namespace mode: uid 0 inside keeps no capability and cannot regain one."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break
    prctl(PR_SET_SECUREBITS, 0x2F)  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off — all locked

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)()
    _check(_libc.capset(ctypes.byref(Header(0x20080522, 0)), data), "capset")


# --- the two processes of a sandboxed kernel ------------------------------------------


def supervise(spec: dict, report_fd: int, become_kernel) -> None:
    """Run in the fork server's child: make the namespaces, fork the kernel, wait for it.

    Writes the kernel's pid (as seen from outside) to ``report_fd``, then its
    exit status to ``<ipc>/exit.json`` before the kernel is reaped, so the
    grader can tell a CPU-limit kill from a crash.  Never returns.
    """
    code = 1
    try:
        # Out of the run's process group, so that a kill of the group (``kill -9`` of
        # ``latsar autograde``, the OOM killer) cannot take the supervisor before its kernel;
        # when the fork server goes, the supervisor gets SIGTERM and kills the kernel first.
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != spec["parent"]:  # the fork server went before prctl took effect
            raise SandboxError("fork server gone")
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # off the fork server's request/reply pipes
            os.dup2(devnull, fd)
        os.close(devnull)
        mode = spec["mode"]
        status_fd = os.open(spec["status"], os.O_RDONLY | os.O_DIRECTORY)
        proc_fd = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)  # this PID namespace's, before any remount
        if mode in ("root", "userns"):
            uid, gid = os.getuid(), os.getgid()
            flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWUTS
            if mode == "userns":
                unshare(flags | CLONE_NEWUSER)
                Path("/proc/self/setgroups").write_text("deny")
                Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
                Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
            else:
                unshare(flags)
        alive, alive_w = os.pipe()  # EOF on ``alive``: the supervisor is gone
        pid = os.fork()
        if pid == 0:
            os.close(report_fd)
            os.close(alive_w)
            try:
                prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                confine(spec)
                # A change of uid (confine, as root) clears the parent-death signal: set it
                # again, then check that the supervisor did not die in between.
                prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                watch = select.poll()
                watch.register(alive, select.POLLIN)
                if watch.poll(0):
                    os._exit(71)
                os.close(alive)
            except BaseException as exc:  # noqa: BLE001 — reported through the status file
                _status(status_fd, {"error": f"sandbox: {exc}"})
                os._exit(70)
            os.close(status_fd)
            become_kernel()  # never returns
        os.close(alive)
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        os.write(report_fd, f"{pid}\n".encode())
        os.close(report_fd)
        wall = spec["limits"]["wall"]
        if wall:
            signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
            signal.alarm(wall)
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        status = {"signal": info.si_status} if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED) \
            else {"code": info.si_status}
        status["cpu"] = _cpu_seconds(proc_fd, pid)  # a zombie still shows its CPU time
        if not _has_status(status_fd):  # keep the kernel's own report of a failed set-up
            _status(status_fd, status)
        signal.alarm(0)  # the kernel's pid is free after the reap below: no handler may kill it then
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.waitpid(pid, 0)
        code = 0
    except BaseException as exc:  # noqa: BLE001
        try:
            os.write(report_fd, f"error {exc}\n".encode())
        except OSError:
            pass
    finally:
        os._exit(code)


def _cpu_seconds(proc_fd: int, pid: int) -> float | None:
    """CPU time of a process from /proc/<pid>/stat (utime + stime).

    The kernel is its PID namespace's init, and the OS does not deliver
    SIGXCPU to an init that has no handler: the hard limit's SIGKILL ends it.
    Its CPU time tells that kill apart from one from outside."""
    try:
        fd = os.open(f"{pid}/stat", os.O_RDONLY, dir_fd=proc_fd)
        with os.fdopen(fd) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _status(dir_fd: int, status: dict) -> None:
    fd = os.open("exit.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dir_fd)
    with os.fdopen(fd, "w") as handle:
        json.dump(status, handle)


def _has_status(dir_fd: int) -> bool:
    try:
        os.stat("exit.json", dir_fd=dir_fd)
        return True
    except OSError:
        return False


def confine(spec: dict) -> None:
    """In the kernel process, before it starts: mounts, limits, identity (see module docstring)."""
    mode, limits = spec["mode"], spec["limits"]
    work, ipc = spec["workdir"], spec["ipc"]
    if mode in ("root", "userns"):
        _mounts(spec)
    _rlimits(limits, mode)
    if mode == "root":
        uid = spec["uid"]
        # The working folder is the overlay: the kernel owns its private copy of the files (an answer
        # file is 0600), the disk copy is untouched.  lchown: a link is never followed.
        owned = [work, ipc, *[os.path.join(ipc, f) for f in os.listdir(ipc)]]
        for folder, dirs, files in os.walk(work, followlinks=False):
            owned += [os.path.join(folder, name) for name in dirs + files]
        for path in owned:
            os.lchown(path, uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # all capabilities go with uid 0
    elif mode == "userns":
        _drop_capabilities()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    os.chdir(work)


def _rlimits(limits: dict, mode: str) -> None:
    def cap(kind, value, extra=0):
        if value:
            resource.setrlimit(kind, (value, value + extra))

    cap(resource.RLIMIT_CPU, limits["cpu"], 1)  # SIGXCPU at the soft limit, SIGKILL a second later
    cap(resource.RLIMIT_AS, limits["as"])
    if limits["as"] and hasattr(_libc, "mallopt"):  # glibc only
        # glibc gives threads that meet on a locked heap an arena of their own, each reserving
        # 64 MiB of address space: an idle kernel (ten threads) reserved ~500 MiB, so a 512 MiB
        # RLIMIT_AS could fail its start ("can't start new thread", exit code 1) before any cell ran.
        _libc.mallopt(M_ARENA_MAX, 2)
    cap(resource.RLIMIT_FSIZE, limits["fsize"])
    cap(resource.RLIMIT_NOFILE, limits["nofile"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if mode in ("root", "userns"):  # counted per uid (per user namespace): only then is it this kernel's own
        cap(resource.RLIMIT_NPROC, limits["nproc"])


def _mounts(spec: dict) -> None:
    """Every step must succeed: a failed mount raises, and the kernel is never started (fail closed)."""
    work, ipc = spec["workdir"], spec["ipc"]
    scratch = spec["limits"]["scratch"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)  # only this PID namespace's processes
    # Handles on what comes back, taken before anything is covered.
    fds = {path: os.open(path, os.O_PATH) for path in [work, ipc, *spec["keep"]] if os.path.exists(path)}
    hide = [h for h in spec["hide"] if os.path.lexists(h) and not os.path.islink(h)]
    hide = [h for h in hide if not any(_within(h, o) and h != o for o in hide)]  # outermost only
    hidden_dirs = [h for h in hide if os.path.isdir(h)]
    hidden_files = [h for h in hide if not os.path.isdir(h)]
    _readonly_everything()
    tmpfs = f"size={scratch},mode=1777"
    for path in ("/tmp", "/dev/shm"):
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, tmpfs)
    # The working folder: an overlay whose writes go to a private tmpfs.  No overlayfs, no grading:
    # binding the real folder would let a kernel write (and plant links) where root writes later.
    stage = "/tmp/.latsar-sandbox"
    os.mkdir(stage, 0o700)
    mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch},mode=0700")
    for sub in ("upper", "work", "merged"):
        os.mkdir(f"{stage}/{sub}")
    if failpoints.fails("sandbox-overlay"):
        raise SandboxError("mount overlay: overlayfs tidak tersedia (failpoint)")
    mount("overlay", f"{stage}/merged", "overlay", MS_NOSUID | MS_NODEV,
          f"lowerdir=/proc/self/fd/{fds[work]},upperdir={stage}/upper,workdir={stage}/work")
    covers = []
    for path in hidden_dirs:  # one under /tmp is gone already, but gets its read-only cover all the same
        os.makedirs(path, exist_ok=True)
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
        covers.append(path)
    for path in hidden_files:
        mount("/dev/null", path, None, MS_BIND)
    if os.path.isdir("/var") and any(_within("/var/tmp", c) for c in covers):
        os.makedirs("/var/tmp", exist_ok=True)
    if os.path.isdir("/var/tmp"):
        mount("tmpfs", "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmpfs)
    for path in spec["keep"]:  # sorted: an outer folder first, which brings its inner ones along
        covered = any(_within(path, c) for c in covers) or not os.path.exists(path)
        if path in fds and covered and not _bound_under(path, spec["keep"], fds):
            _bind(f"/proc/self/fd/{fds[path]}", path, readonly=True)
    _bind(f"{stage}/merged", work, readonly=False)
    _bind(f"/proc/self/fd/{fds[ipc]}", ipc, readonly=False)
    for path in covers:
        mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for fd in fds.values():
        os.close(fd)


def _bound_under(path: str, keep: list[str], fds: dict) -> bool:
    """Whether an outer kept folder (bound already) holds ``path``."""
    return any(k != path and _within(path, k) and k in fds for k in keep)


def _bind(source: str, target: str, readonly: bool) -> None:
    os.makedirs(target, exist_ok=True)
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
    mount(None, target, None, flags)


SAFE_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "NBGRADER_EXECUTION", "PYTHONHASHSEED")


def kernel_env(env: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: no secrets of the grader's (a database URL, say), a private home."""
    kept = {k: v for k, v in env.items() if k in SAFE_ENV or k.startswith("JPY_")}
    kept.update(HOME="/tmp", TMPDIR="/tmp", IPYTHONDIR="/tmp/.ipython", MPLCONFIGDIR="/tmp/.matplotlib",
                JUPYTER_RUNTIME_DIR="/tmp/.jupyter", JUPYTER_CONFIG_DIR="/tmp/.jupyter",
                JUPYTER_DATA_DIR="/tmp/.jupyter")
    return kept


def probe(mode: str, limits: dict, hidden: list[str], uid_base: int) -> str | None:
    """Build one real sandbox around an empty folder and tear it down: None when it works, else why.

    The same :func:`supervise` and :func:`confine` a kernel goes through, in a fresh
    single-threaded process (``python -m latsar.grading.sandbox``); the "kernel" exits at once."""
    import shutil
    import tempfile

    base = Path(tempfile.gettempdir()) / f"latsar-ipc-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="probe-", dir=base)
    try:
        work, io = os.path.join(folder, "work"), os.path.join(folder, "io")
        os.mkdir(work)
        os.mkdir(io, 0o700)
        spec = {"mode": mode, "limits": limits, **plan(work, hidden), "uid_base": uid_base,
                "ipc": io, "status": folder, "workdir": work}
        try:
            run = subprocess.run([sys.executable, "-m", "latsar.grading.sandbox"], input=json.dumps(spec),
                                 capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"proses uji sandbox gagal: {exc}"
        status = read_exit(folder)
        if status is None:
            return (run.stdout + run.stderr).strip()[-300:] or f"proses uji sandbox keluar dengan kode {run.returncode}"
        if "error" in status:
            return str(status["error"])
        if status.get("code") != 0:
            return f"kernel uji berhenti ({status})"
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _probe_main() -> None:
    spec = json.loads(sys.stdin.read())
    spec["parent"] = os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        spec["uid"] = spec["uid_base"] + os.getpid()
        supervise(spec, write, lambda: os._exit(0))  # never returns
    os.close(write)
    with os.fdopen(read) as pipe:
        line = pipe.readline().strip()
    os.waitpid(pid, 0)
    if not line.isdigit():
        print(f"sandbox gagal dibuat: {line or 'supervisor berhenti'}")
        sys.exit(1)


def read_exit(ipc: str) -> dict | None:
    """The status the supervisor wrote for a kernel that has ended (None when it has not)."""
    try:
        return json.loads(Path(ipc, "exit.json").read_text())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    _probe_main()
