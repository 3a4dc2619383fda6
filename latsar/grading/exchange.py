"""Collect that refuses forged submissions: nbgrader's own collect, plus proof of who handed in.

Why: nbgrader's exchange inbound is writable by every account, and the folder name
``<student>+<assignment>+<timestamp>+<random>`` is whatever the writer chose.  A participant
can therefore ``nbgrader submit … --student=peserta02`` or make such a folder by hand, with a
far-future timestamp that beats every genuine submission.  Stock ``nbgrader collect`` only logs
"cheating attempt?" and collects it anyway; one bad name (an unparsable timestamp) even stops
the whole collect.

``OwnerCheckedCollect`` is a subclass of nbgrader's ``ExchangeCollect``, selected in
``nbgrader_config.py`` through nbgrader's ``ExchangeFactory``, so ``nbgrader collect`` and the
formgrader's Collect button (``NbGraderAPI.collect``) both use it:

    c.ExchangeFactory.collect = "latsar.grading.exchange.OwnerCheckedCollect"

For every inbound folder of the assignment it checks, before anything is copied:

* the name parses, names this assignment and a plain student id (``student_id_pattern``);
  its timestamp parses and is not in the future (beyond ``future_tolerance`` seconds,
  measured against the clock *and* against the folder's own change time, which a participant
  cannot set);
* the folder and everything in it belong to the OS account named by the student id
  (its uid), and contain only regular files and folders (no symlink, FIFO, device).

A folder failing any check is skipped and listed, in Indonesian, naming the folder; the
student's newest *genuine* submission is collected instead.  The copy itself re-checks every
entry on the open file descriptor (``O_NOFOLLOW``), so a participant swapping a file for a
symlink between check and copy gets nothing copied, and the copy is written beside the
destination and renamed into place (atomic for the reader).

A student id with no OS account (every server runs as one account, the single-user fallback)
cannot be checked by owner; ``without_account`` decides, see its help and
docs/exchange-and-free-text.md.
"""

from __future__ import annotations

import datetime
import errno
import fnmatch
import os
import pwd
import re
import secrets
import shutil
import stat
from dataclasses import dataclass, field

from dateutil.tz import gettz
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc
from traitlets import Enum, Float, Unicode

from latsar.course.files import swap_in

_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """A submission folder that must not be collected; the message says why (Indonesian)."""


@dataclass
class Candidate:
    path: str
    filename: str
    student: str
    timestamp: datetime.datetime


@dataclass
class _Budget:
    """What the copy may still take (nbgrader's CourseDirectory.max_dir_size, in bytes)."""

    left: float
    ignored: list[str] = field(default_factory=list)


def _owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class OwnerCheckedCollect(ExchangeCollect):
    """nbgrader's collect that skips and lists forged inbound folders (see the module docstring)."""

    without_account = Enum(
        ["collector", "refuse", "accept"],
        default_value="collector",
        help=(
            "A student id that names no OS account cannot be checked against the folder's owner. "
            "'collector' (default): collect it only when the folder and everything in it belong to "
            "the account running collect, which is the case exactly when every notebook server runs "
            "as that one account (single-user hub, one machine); a folder made by any other account "
            "is refused. 'refuse': never collect such a submission (every participant has an OS "
            "account). 'accept': collect it whoever made it, as stock nbgrader does (logged)."
        ),
    ).tag(config=True)

    future_tolerance = Float(
        300.0,
        help=(
            "Seconds a submission's timestamp may lie after the collector's clock, or after the "
            "folder's own change time, before it is refused as forged (clock skew between servers)."
        ),
    ).tag(config=True)

    student_id_pattern = Unicode(
        r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}",
        help=(
            "A student id in an inbound folder name must match this (whole) regular expression; "
            "a name like '<img src=x onerror=…>' would otherwise reach the gradebook and the "
            "formgrader's pages, which are not all escaped."
        ),
    ).tag(config=True)

    # --- finding candidates -------------------------------------------------------------

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail("Course not found: {}".format(self.inbound_path))
        if not os.access(self.inbound_path, os.R_OK | os.X_OK):
            self.fail("You don't have read permissions for the directory: {}".format(self.inbound_path))
        self.refused: list[tuple[str, str]] = []
        self.unverified: list[str] = []
        wanted = self.coursedir.student_id if self.coursedir.student_id else "*"
        assignment = self.coursedir.assignment_id
        by_student: dict[str, list[Candidate]] = {}
        for filename in sorted(os.listdir(self.inbound_path)):
            if not fnmatch.fnmatchcase(filename, "{}+{}+*".format(wanted, assignment)):
                continue
            path = os.path.join(self.inbound_path, filename)
            try:
                candidate = self._candidate(path, filename, assignment)
            except Refused as why:
                self._refuse(path, str(why))
                continue
            except OSError as exc:  # e.g. removed meanwhile: one folder never stops the collect
                self._refuse(path, "tidak bisa dibaca ({})".format(exc))
                continue
            by_student.setdefault(candidate.student, []).append(candidate)

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(assignment).duedate
            except MissingEntry:
                self.duedate = None
        # Per student, the order nbgrader would choose in: newest first, or (before_duedate) the
        # newest before the due date first.  copy_files takes the first genuine one.
        self.src_records = []
        self.choices: dict[str, list[Candidate]] = {}
        for student, found in sorted(by_student.items()):
            found.sort(key=lambda c: c.timestamp, reverse=True)
            if self.duedate is not None and self.before_duedate:
                on_time = [c for c in found if c.timestamp <= self.duedate]
                found = on_time + [c for c in found if c.timestamp > self.duedate]
            self.choices[student] = found
            self.src_records.append({"username": student, "filename": found[0].filename,
                                     "timestamp": found[0].timestamp})

    def _candidate(self, path: str, filename: str, assignment: str) -> Candidate:
        parts = filename.rsplit("+", 3)
        if len(parts) < 3 or parts[1] != assignment or not parts[0]:
            raise Refused("nama folder tidak berbentuk <peserta>+{}+<waktu>+<acak>".format(assignment))
        if not re.fullmatch(self.student_id_pattern, parts[0]):
            raise Refused("nama peserta {!r} memuat karakter yang tidak diizinkan "
                          "(OwnerCheckedCollect.student_id_pattern)".format(parts[0]))
        try:
            timestamp = parse_utc(parts[2])
        except (ValueError, OverflowError, TypeError) as exc:
            raise Refused("waktu dalam nama folder tidak terbaca ({!r}: {})".format(parts[2], exc))
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            raise Refused("bukan folder biasa (tautan simbolik atau berkas khusus)")
        tolerance = datetime.timedelta(seconds=self.future_tolerance)
        utc, slack = self.true_utc(parts[2], timestamp)
        tolerance += slack
        if utc > _utcnow() + tolerance:
            raise Refused("waktu kiriman {} UTC ada di masa depan; waktu itu dipalsukan".format(utc))
        changed = datetime.datetime.fromtimestamp(st.st_ctime, datetime.timezone.utc).replace(tzinfo=None)
        if utc > changed + tolerance:
            raise Refused("waktu kiriman {} UTC lebih baru daripada folder itu sendiri (dibuat/diubah "
                          "{} UTC); waktu itu dipalsukan".format(utc, changed.replace(microsecond=0)))
        # ordering and --update comparisons keep nbgrader's own reading (parse_utc), as stock does
        return Candidate(path, filename, parts[0], timestamp)

    def true_utc(self, text: str, parsed: datetime.datetime) -> tuple[datetime.datetime, datetime.timedelta]:
        """The UTC time of a name's timestamp for the future check, and the uncertainty left.

        nbgrader writes the zone as an abbreviation (``%Z``) and reads it back with ``gettz``,
        which does not know most abbreviations: with ``c.Exchange.timezone = "Asia/Jakarta"``
        a timestamp ``… WIB`` is read as if it were UTC, 7 hours ahead.  An unknown abbreviation
        that is the configured zone's own is read in that zone; any other unknown one may be up
        to 14 hours ahead of UTC (the largest offset), which is allowed as slack."""
        pieces = text.split(" ")
        none = datetime.timedelta(0)
        if len(pieces) != 3 or pieces[2].lstrip("+-").isdigit() or gettz(pieces[2]) is not None:
            return parsed, none
        zone = gettz(self.timezone)
        if zone is not None:
            local = parsed.replace(tzinfo=zone)
            if local.strftime("%Z") == pieces[2]:
                return (local - local.utcoffset()).replace(tzinfo=None), none
        return parsed, datetime.timedelta(hours=14)

    def _refuse(self, path: str, reason: str) -> None:
        self.refused.append((path, reason))
        self.log.warning("Kiriman DITOLAK, tidak dikumpulkan: %s — %s.", path, reason)

    # --- who must own it ------------------------------------------------------------------

    def expected_uid(self, student: str, path: str) -> int | None:
        """The uid every entry of `student`'s folder must have; None = not checkable (accepted)."""
        try:
            return pwd.getpwnam(student).pw_uid
        except KeyError:
            pass
        me = os.geteuid()
        if self.without_account == "refuse":
            raise Refused("tidak ada akun sistem bernama '{}', jadi pengirimnya tidak bisa dipastikan "
                          "(OwnerCheckedCollect.without_account = 'refuse')".format(student))
        if self.without_account == "collector":
            owner = os.lstat(path).st_uid
            if owner != me:
                raise Refused("tidak ada akun sistem bernama '{}', dan folder ini dibuat oleh akun '{}', "
                              "bukan oleh akun yang menjalankan collect ('{}')".format(
                                  student, _owner_name(owner), _owner_name(me)))
            self.unverified.append(path)
            self.log.warning(
                "Tanpa akun sistem bernama '%s': semua server berjalan sebagai satu akun ('%s'), jadi asal "
                "kiriman %s tidak bisa dibuktikan; dikumpulkan seperti adanya.", student, _owner_name(me), path)
            return me
        self.unverified.append(path)
        self.log.warning("Tanpa akun sistem bernama '%s': asal kiriman %s TIDAK diperiksa "
                         "(OwnerCheckedCollect.without_account = 'accept').", student, path)
        return None

    # --- checking and copying, on file descriptors ------------------------------------------

    def _walk(self, dir_fd: int, rel: str, uid: int | None, dest: str | None, budget: _Budget,
              ignore) -> None:
        """Check (and, with `dest`, copy) the folder open as `dir_fd`; raise Refused on the first problem."""
        st = os.fstat(dir_fd)
        self._check_owner(st, rel or ".", uid)
        names = sorted(os.listdir(dir_fd))
        skipped = set(ignore(rel, names)) if ignore else set()
        if dest is not None:
            os.mkdir(dest, 0o700)
        for name in names:
            entry = os.path.join(rel, name) if rel else name
            lst = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISDIR(lst.st_mode):
                fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=dir_fd)
                try:
                    self._walk(fd, entry, uid, None if dest is None or name in skipped
                               else os.path.join(dest, name), budget, ignore)
                finally:
                    os.close(fd)
            elif stat.S_ISREG(lst.st_mode):
                self._check_owner(lst, entry, uid)
                if dest is None or name in skipped:
                    continue
                self._copy_file(dir_fd, name, entry, uid, os.path.join(dest, name), budget)
            else:
                kind = "tautan simbolik" if stat.S_ISLNK(lst.st_mode) else "berkas khusus (bukan berkas biasa)"
                raise Refused("berisi {} '{}'".format(kind, entry))

    def _check_owner(self, st: os.stat_result, entry: str, uid: int | None) -> None:
        if uid is None or st.st_uid == uid:
            return
        if entry == ".":
            raise Refused("folder ini dibuat oleh akun '{}', bukan oleh akun peserta '{}'".format(
                _owner_name(st.st_uid), _owner_name(uid)))
        raise Refused("'{}' di dalamnya milik akun '{}', bukan milik akun peserta '{}'".format(
            entry, _owner_name(st.st_uid), _owner_name(uid)))

    def _copy_file(self, dir_fd: int, name: str, entry: str, uid: int | None, dest: str,
                   budget: _Budget) -> None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Refused("berisi tautan simbolik '{}'".format(entry))
            raise
        try:
            st = os.fstat(fd)  # the very file we read: no swap between check and copy
            if not stat.S_ISREG(st.st_mode):
                raise Refused("berisi berkas khusus (bukan berkas biasa) '{}'".format(entry))
            self._check_owner(st, entry, uid)
            budget.left -= st.st_size
            if budget.left < 0:
                raise Refused("isinya melebihi batas ukuran folder (CourseDirectory.max_dir_size)")
            with os.fdopen(os.dup(fd), "rb") as src, open(dest, "xb") as out:
                shutil.copyfileobj(src, out)
            os.chmod(dest, stat.S_IMODE(st.st_mode) & 0o755 | 0o600)
        finally:
            os.close(fd)

    def _ignore(self):
        """nbgrader's own ignore/include/max_file_size rules, on names relative to the folder."""
        exclude, include = self.coursedir.ignore, self.coursedir.include
        max_kb = self.coursedir.max_file_size

        def ignore(rel, names):
            skipped = []
            base = os.path.join(self._current_src, rel)
            for name in names:
                full = os.path.join(base, name)
                if exclude and any(fnmatch.fnmatch(name, g) for g in exclude):
                    skipped.append(name)
                elif os.path.isfile(full) and not os.path.islink(full):
                    if include and not any(fnmatch.fnmatch(name, g) for g in include):
                        skipped.append(name)
                    elif max_kb and os.path.getsize(full) > 1000 * max_kb:
                        self.log.warning("Ignoring file too large '%s' (see config option "
                                         "CourseDirectory.max_file_size)", full)
                        skipped.append(name)
            return skipped

        return ignore

    def check_folder(self, candidate: Candidate) -> int | None:
        """Raise Refused unless `candidate` is genuine; return the uid its entries have."""
        uid = self.expected_uid(candidate.student, candidate.path)
        # the owner first, from lstat: a forged folder the collector may not even read (mode 0700)
        # is still reported with the account that made it
        self._check_owner(os.lstat(candidate.path), ".", uid)
        self._current_src = candidate.path
        fd = os.open(candidate.path, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
        try:
            self._walk(fd, "", uid, None, _Budget(float("inf")), None)
        finally:
            os.close(fd)
        return uid

    def secure_copy(self, candidate: Candidate, uid: int | None, dest_path: str) -> None:
        """Copy into a fresh folder beside `dest_path`, re-checking each entry; then rename into place."""
        parent = os.path.dirname(dest_path)
        os.makedirs(parent, exist_ok=True)
        staging = os.path.join(parent, ".{}.collect-{}".format(os.path.basename(dest_path), secrets.token_hex(4)))
        self._current_src = candidate.path
        fd = os.open(candidate.path, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
        try:
            self._walk(fd, "", uid, staging, _Budget(1000.0 * self.coursedir.max_dir_size), self._ignore())
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            os.close(fd)
        for dirname, _, _ in os.walk(staging):
            os.chmod(dirname, 0o755)
        if self.coursedir.groupshared:
            for dirname, _, files in os.walk(staging):
                os.chmod(dirname, 0o2770 | 0o755)
                for name in files:
                    path = os.path.join(dirname, name)
                    os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) | 0o660)
        swap_in(staging, dest_path)

    # --- choosing and collecting ------------------------------------------------------------

    def copy_files(self):
        assignment = self.coursedir.assignment_id
        if not self.choices:
            self.log.warning("No submissions of '{}' for course '{}' to collect".format(
                assignment, self.coursedir.course_id))
        else:
            self.log.info("Processing {} submissions of '{}' for course '{}'".format(
                len(self.choices), assignment, self.coursedir.course_id))
        for student, candidates in self.choices.items():
            for candidate in candidates:
                try:
                    uid = self.check_folder(candidate)
                    self._collect_one(candidate, uid)
                except Refused as why:
                    self._refuse(candidate.path, str(why))
                    continue
                except OSError as exc:
                    # a participant can delete or change their own folder mid-copy; that must not
                    # stop everyone else's collect (a full disk shows here too, with its reason)
                    self._refuse(candidate.path, "gagal dibaca atau disalin ({})".format(exc))
                    continue
                break
            else:
                self.log.warning("Tidak ada kiriman asli dari '%s' untuk '%s'; tidak ada yang dikumpulkan "
                                 "untuk peserta ini.", student, assignment)
        if self.refused:
            lines = "\n".join("  - {} — {}".format(path, why) for path, why in self.refused)
            self.log.warning(
                "%d folder kiriman '%s' DITOLAK (kemungkinan dipalsukan) dan tidak dikumpulkan:\n%s\n"
                "Periksa folder-folder itu di %s; kiriman asli setiap peserta tetap dikumpulkan.",
                len(self.refused), assignment, lines, self.inbound_path)

    def _collect_one(self, candidate: Candidate, uid: int | None) -> None:
        student, assignment = candidate.student, self.coursedir.assignment_id
        dest_path = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
        copy, updating = True, False
        if os.path.isdir(dest_path):
            existing = self.coursedir.get_existing_timestamp(dest_path)
            copy = False
            if self.update and (existing is None or candidate.timestamp > existing):
                copy = updating = True
            elif self.before_duedate and existing != candidate.timestamp:
                copy = updating = True
        if not copy:
            if self.update:
                self.log.info("No newer submission to collect: {} {}".format(student, assignment))
            else:
                self.log.info("Submission already exists, use --update to update: {} {}".format(
                    student, assignment))
            return
        self.log.info("{} submission: {} {} ({})".format(
            "Updating" if updating else "Collecting", student, assignment, candidate.filename))
        self.secure_copy(candidate, uid, dest_path)
