"""Who may read what on a hub with real OS accounts: set up, then proven as a participant.

The model (docs/threat-model.md):

- **Course folder** — item bank, gradebook, autograded notebooks, live store,
  rubrics in ``source/``, everyone's submissions and feedback.  Owned by the
  grader account, group :data:`INSTRUCTOR_OS_GROUP` (the instructors), mode
  ``2770`` at the top (setgid: new files keep the group) and nothing for
  "others" below it, as set up when the hub starts.  The closed top folder is
  what keeps files written later (gradebook, autograded, live store) out of
  reach: no umask is imposed on nbgrader, since ``release_feedback`` copies a
  feedback file's mode into the exchange, where its participant must read it.
- **The checkout ``latsar`` runs from**, when it is a course folder of its own
  (an editable install), gets the same closure for its course data.
- **Hub state** — ``jupyterhub.sqlite``, the cookie secret, the log, the plan:
  ``0700`` folder contents, the folder itself ``0711`` so the exchange inside
  stays reachable as nbgrader intends.
- **Homes** ``0700``; answer files ``0600`` (:mod:`latsar.kernel.answers`).
- **Participants' Python** is the runtime of :mod:`latsar.hub.runtime`, outside
  every course folder.

:func:`verify` then runs as a real participant account and tries to read each
protected path; ``latsar hub`` refuses to start if any read succeeds.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from latsar.course import ITEM_BANK, LatsarError

INSTRUCTOR_OS_GROUP = "latsar-pengampu"


def system_command(name: str) -> str:
    """An administration command (useradd, runuser, …): /usr/sbin is not on every PATH."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])) or name


RUNUSER = system_command("runuser")
#: Big trees without secrets: closed at their top only (the course root closes them anyway).
NOT_WALKED = {".venv", "node_modules"}
#: What a checkout that is not the hub's course keeps secret (closed at the top, not walked).
CHECKOUT_SECRETS = ("course_data", "source", "release", "submitted", "autograded", "feedback",
                    "gradebook.db", "live_sessions", "exchange", "export", "disisihkan", "formulir", ".git", "demo")


class SecurityError(LatsarError):
    """A participant could reach something of the course."""


def ensure_group(members: list[str], name: str = INSTRUCTOR_OS_GROUP) -> int:
    """The instructors' OS group (created if missing); ``members`` are added. Returns its gid."""
    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        subprocess.run([system_command("groupadd"), "--system", name], check=True)
        gid = grp.getgrnam(name).gr_gid
    present = set(grp.getgrnam(name).gr_mem)
    for user in members:
        if user not in present and user != "root":
            subprocess.run([system_command("usermod"), "-a", "-G", name, user], check=True)
    return gid


def _close(path: Path, gid: int, others: int = 0) -> None:
    """Group ``gid`` gets what the owner has; others ``others``; folders keep the group (setgid)."""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return
    os.lchown(path, -1, gid)
    owner = st.st_mode & 0o700
    mode = owner | (owner >> 3) | (st.st_mode & others)
    if stat.S_ISDIR(st.st_mode):
        mode |= stat.S_ISGID
    os.chmod(path, mode | (st.st_mode & stat.S_ISVTX))


def close_course(root: Path, gid: int) -> None:
    """Close the course folder to everyone but its owner and the instructors' group."""
    root = Path(root)
    _close(root, gid)
    feedback = root / "feedback"
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        # nbgrader's release_feedback copies a feedback file's mode into the exchange, where its
        # participant reads it: those keep their read bits (the closed top folder guards them here)
        others = 0o005 if here == feedback or feedback in here.parents else 0
        for name in list(dirs):
            _close(here / name, gid, others)
            if here == root and name in NOT_WALKED:
                dirs.remove(name)
        for name in files:
            _close(here / name, gid, others & 0o004)


def close_checkout(checkout: Path, gid: int) -> list[Path]:
    """The course data of a checkout that also holds a course (an editable install): closed at the top."""
    closed = []
    for name in CHECKOUT_SECRETS:
        path = Path(checkout) / name
        if path.exists() and not path.is_symlink():
            _close(path, gid)
            closed.append(path)
    return closed


def checkout_of_package() -> Path | None:
    """The checkout ``latsar`` is imported from, when it holds an item bank (editable install)."""
    import latsar

    root = Path(latsar.__file__).resolve().parents[1]
    return root if (root / ITEM_BANK).is_file() else None


def close_home(user: str) -> Path:
    home = Path(pwd.getpwnam(user).pw_dir)
    if home.is_dir():
        os.chmod(home, 0o700)
    return home


def close_state(state: Path, exchange: Path) -> None:
    """Hub state readable by root only; the exchange inside stays reachable (``0711`` on the way),
    and so do the trial hub's homes (each ``0700`` itself)."""
    os.chmod(state, 0o711)
    for path in state.iterdir():
        if path == exchange or path.is_symlink():
            continue
        if path.name == "home" and path.is_dir():
            os.chmod(path, 0o711)
            continue
        if path.is_dir():
            os.chmod(path, 0o700)
        else:
            os.chmod(path, 0o600)


PROBE = r"""
import json, os, sys
found = []
for target in json.loads(sys.argv[1]):
    if os.path.isdir(target):
        try:
            os.listdir(target)
            found.append(target + " (isi folder terbaca)")
        except OSError:
            pass
    else:
        try:
            with open(target, "rb") as handle:
                handle.read(1)
            found.append(target)
        except OSError:
            pass
print(json.dumps(found))
"""


def protected_paths(course_root: Path, state: Path, exchange: Path, checkout: Path | None) -> list[str]:
    """Paths a participant must not read: the course folder and its secrets, hub state, a checkout's bank."""
    course_root = Path(course_root)
    paths = [course_root, course_root / ITEM_BANK, course_root / "gradebook.db", course_root / "source",
             course_root / "submitted", course_root / "autograded", course_root / "live_sessions",
             course_root / "feedback"]
    paths += [p for p in Path(state).iterdir() if p != exchange and p.name != "home"]
    if checkout is not None and checkout != course_root:
        paths += [checkout / ITEM_BANK, checkout / "course_data", checkout / ".git"]
    return [str(p) for p in paths if p.exists()]


def _probe(participant: str, python: Path, code: str, paths: list[str]) -> list[str]:
    """Run ``code`` as the OS account ``participant`` on ``paths``; it prints a JSON list."""
    probe = subprocess.run([RUNUSER, "-u", participant, "--", str(python), "-I", "-c", code, json.dumps(paths)],
                           capture_output=True, text=True, cwd="/", timeout=120)
    if probe.returncode != 0:
        raise SecurityError(f"Pemeriksaan sebagai {participant} gagal: {probe.stderr.strip()[-300:]}")
    return json.loads(probe.stdout)


def verify(participant: str, python: Path, paths: list[str]) -> list[str]:
    """Try, as the OS account ``participant``, to read each path; return what it could read."""
    return _probe(participant, python, PROBE, paths)


REACH = r"""
import json, os, sys
print(json.dumps([p for p in json.loads(sys.argv[1]) if not os.access(p, os.X_OK)]))
"""


def unreachable(participant: str, python: Path, folders: list[str]) -> list[str]:
    """The folders (own home, the exchange) the OS account ``participant`` cannot enter."""
    return _probe(participant, python, REACH, folders)


def refuse_if_unreachable(missing: list[str], participant: str) -> None:
    if missing:
        listing = "\n".join(f"  - {p}" for p in missing)
        raise SecurityError(
            f"Hub tidak dinyalakan: akun peserta {participant} tidak dapat masuk ke:\n{listing}\n"
            "Setiap folder di atasnya harus bisa dilewati semua akun (`chmod o+x <folder>`), "
            "atau pilih --state di folder lain (bawaan: /srv/latsar-hub).")


def refuse_if_readable(found: list[str], participant: str) -> None:
    if found:
        listing = "\n".join(f"  - {p}" for p in found)
        raise SecurityError(
            f"Hub tidak dinyalakan: akun peserta {participant} masih dapat membaca:\n{listing}\n"
            f"Tutup dengan `chmod -R o-rwx <folder>` (folder kursus, lalu `chgrp -R {INSTRUCTOR_OS_GROUP}`), "
            "dan `chmod 600` untuk berkas status hub, lalu jalankan `latsar hub` lagi.")
