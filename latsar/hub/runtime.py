"""The Python environment participants' servers run on a hub: outside every course folder.

A participant's JupyterLab and kernel need Python, JupyterLab, nbgrader's
assignment list and the part of ``latsar`` that runs in kernels.  They must not
need the course folder: that folder holds the item bank (every key), the
gradebook, the live store and everyone's submissions, and is closed to
participants (:mod:`latsar.hub.security`).  The checkout's ``.venv`` lives
inside it and installs ``latsar`` *editable* (its path leads back to the
course), so the hub builds a runtime of its own:

- ``venv/`` — a copy of the running virtual environment with the ``latsar``
  package copied in as plain files (a non-editable install: no path back to the
  checkout, no item bank, no key) and the scripts' ``#!`` lines pointing at the
  copy;
- ``jupyter/`` — the per-role Jupyter configuration of ``latsar/hub/deploy/jupyter``.

It is built once per content (a digest of the environment's package list, the
``latsar`` package and ``latsar/hub/deploy/jupyter``) into a fresh folder and renamed into
place, under a lock, so parallel hubs share it and a crash leaves no half-built
runtime.  Older builds are removed, except those a running hub still uses: each hub holds a
shared lock on its runtime's ``.in-use`` file (:func:`hold`) for as long as it runs.  The venv's files are hard-linked where the file system allows (else
copied): seconds, where a new ``pip install`` takes minutes.
"""

from __future__ import annotations

import compileall
import fcntl
import hashlib
import os
import shutil
import sys
from pathlib import Path

import latsar
from latsar.course import COURSE_ID
from latsar.course.files import swap_in

PACKAGE = Path(latsar.__file__).resolve().parent
#: The per-role Jupyter configuration, shipped as package data.
DEPLOY_JUPYTER = PACKAGE / "hub" / "deploy" / "jupyter"
STAMP = ".latsar-runtime"
#: Shared-locked (flock) by every process that runs servers on this runtime; removed only when free.
IN_USE = ".in-use"
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
#: The venv is copied with its bytecode: the runtime is read-only to its users, who could not
#: write it, and compiling on every import made a server start several seconds slower.
KEEP_BYTECODE = shutil.ignore_patterns(".ipynb_checkpoints")


def default_root() -> Path:
    """Shared by every hub of this machine (root) or of this user."""
    if os.geteuid() == 0:
        return Path("/opt") / COURSE_ID / "runtime"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / COURSE_ID / "runtime"


def _site_packages(prefix: Path) -> Path:
    return prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def _editable_traces(site: Path) -> list[Path]:
    """Files that make ``latsar`` an editable install (they name the checkout)."""
    return [p for p in site.iterdir()
            if p.name.startswith(("__editable__", "latsar_pelayanan-")) or p.name in ("latsar", "latsar.egg-link")]


def digest(prefix: Path = Path(sys.prefix)) -> str:
    """What the runtime is made of: installed distributions, the package's files, the Jupyter config."""
    h = hashlib.sha256(sys.version.encode())
    site = _site_packages(prefix)
    for entry in sorted(p.name for p in site.iterdir() if p.name.endswith(".dist-info")):
        h.update(entry.encode() + b"\0")
    for folder in (PACKAGE, DEPLOY_JUPYTER):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def ensure(root: Path | None = None) -> Path:
    """The runtime folder for this environment and code, built if missing; returns it."""
    root = Path(root or default_root())
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    target = root / digest()
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / STAMP).is_file():  # else built already, maybe by another hub
            tmp = root / f".{target.name}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                _build(tmp, final=target)
                swap_in(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        hold(target)  # before the lock is released: no other hub's collect() can take it now
        collect(root, keep=target)
    return target


#: Runtime → the descriptor holding its shared lock, for this process's lifetime.
_held: dict[Path, int] = {}


def hold(runtime: Path) -> int:
    """Mark ``runtime`` in use by this process (and by children given the descriptor) until it exits."""
    runtime = Path(runtime)
    if runtime not in _held:
        if not (runtime / IN_USE).exists():  # a build from before runs were marked
            (runtime / IN_USE).touch(mode=0o444)
        fd = os.open(runtime / IN_USE, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_SH)
        _held[runtime] = fd
    return _held[runtime]


def held_fds() -> list[int]:
    """Descriptors to pass to a hub process, so its runtime stays marked in use as long as it runs."""
    return list(_held.values())


def collect(root: Path, keep: Path) -> list[Path]:
    """Remove earlier builds no process holds (:func:`hold`); call with ``root/.lock`` held.

    A build another hub still runs its servers on is kept: removing it under them broke their
    kernels ("Unexpected exception formatting exception" as IPython's files vanished)."""
    removed = []
    for old in sorted(Path(root).iterdir()):
        if old == keep or old.name.startswith(".") or not old.is_dir():
            continue
        try:
            fd = os.open(old / IN_USE, os.O_RDONLY)
        except FileNotFoundError:
            fd = None  # built before runs were marked: nothing can say it is in use
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a running hub uses it
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
        finally:
            if fd is not None:
                os.close(fd)
    return removed


def _build(dest: Path, final: Path) -> None:
    """Build in ``dest``; scripts name ``final``, where ``dest`` is renamed to."""
    source = Path(sys.prefix)
    venv = dest / "venv"
    shutil.copytree(source, venv, symlinks=True, ignore=KEEP_BYTECODE, copy_function=_link_or_copy)
    site = _site_packages(venv)
    for trace in _editable_traces(site):
        if trace.is_dir() and not trace.is_symlink():
            shutil.rmtree(trace)
        else:
            trace.unlink()
    shutil.copytree(PACKAGE, site / "latsar", ignore=SKIP)
    compileall.compile_dir(site / "latsar", quiet=1, ddir=str(final / "venv" / site.relative_to(venv) / "latsar"))
    _repoint_scripts(venv / "bin", str(source), str(final / "venv"))
    shutil.copytree(DEPLOY_JUPYTER, dest / "jupyter", ignore=SKIP)
    for path in [dest, *dest.rglob("*")]:  # readable and runnable by every account, writable by none
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        os.chmod(path, (mode | 0o444 | (0o111 if path.is_dir() or mode & 0o100 else 0)) & ~0o022)
    (dest / IN_USE).write_text("")
    os.chmod(dest / IN_USE, 0o444)
    (dest / STAMP).write_text(f"built from {sys.prefix}\n")


def _link_or_copy(src: str, dst: str) -> None:
    """A hard link where the file system allows (seconds for a 1 GB venv), else a copy.

    Only the venv's own files are linked: they hold no secret, and what the build rewrites
    (scripts, ``pyvenv.cfg``) is replaced by a new file, never written through the link."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _repoint_scripts(bin_dir: Path, old: str, new: str) -> None:
    """Scripts name the old venv (``#!<old>/bin/python``, ``VIRTUAL_ENV=…``): point them at the copy,
    so that nothing in the runtime leads back to the checkout."""
    for script in [*bin_dir.iterdir(), bin_dir.parent / "pyvenv.cfg"]:
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        if old.encode() in data and b"\0" not in data[:4096]:
            mode = script.stat().st_mode
            script.unlink()  # a hard link to the source venv's file: never write through it
            script.write_bytes(data.replace(old.encode(), new.encode()))
            os.chmod(script, mode)


def python_bin(runtime: Path) -> Path:
    return runtime / "venv" / "bin"


def config_dir(runtime: Path, role: str) -> Path:
    return runtime / "jupyter" / role
