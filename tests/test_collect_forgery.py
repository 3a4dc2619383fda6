"""Forged submissions, tried as an attacker with real OS accounts (issue 11, item 4).

Two throw-away participant accounts share an exchange set up like the hub's (mode 777).
Participant A tries to hand in as B: `nbgrader submit --student=B`, the same through
`c.CourseDirectory.student_id`, a hand-made far-future folder, an unparsable timestamp, and a
name with no OS account behind it; A's own newest submission carries a symlink to the item
bank and a FIFO.  Then stock `nbgrader collect` runs as root in the course folder, and the
formgrader's path (NbGraderAPI.collect with the course config) runs on a fresh copy.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from latsar.authoring import release
from latsar.course import Course
from latsar.grading.exchange import OwnerCheckedCollect
from latsar.course.nbgrader_api import api

from .conftest import BIN, clone, copy_course

ASSIGNMENT = "bab2_konsep_pelayanan_publik"
COURSE_ID = "latsar-pelayanan"
FUTURE = "2099-01-01 00:00:00.000000 UTC"


def as_user(user: str, home: Path, exchange: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the venv's command as the OS account `user` (a participant's server would)."""
    env = [f"PATH={BIN}:/usr/bin:/bin", f"HOME={home}", f"USER={user}", f"LOGNAME={user}"]
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *env, str(BIN / args[0]), *args[1:]],
                          cwd=home, capture_output=True, text=True, timeout=300)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


def collect_as_root(course: Course, exchange: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(course.root), "LATSAR_EXCHANGE": str(exchange)}
    return subprocess.run([str(BIN / "nbgrader"), "collect", ASSIGNMENT], cwd=course.root, env=env,
                          capture_output=True, text=True, timeout=300)


def participant_home(root: Path, user: str, exchange: Path, student_id: str | None = None) -> Path:
    home = root / user
    (home / ".jupyter").mkdir(parents=True)
    line = f"c.CourseDirectory.student_id = {student_id!r}\n" if student_id else ""
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n{line}")
    uid = pwd.getpwnam(user).pw_uid
    for path in [home, *home.rglob("*")]:
        os.chown(path, uid, uid)
    home.chmod(0o700)
    return home


def submit_with_note(user: str, home: Path, exchange: Path, note: str, *extra: str) -> str:
    """Write `note` into catatan.txt of the fetched assignment, submit; return the inbound folder name."""
    write_as(user, home, exchange, home / ASSIGNMENT / "catatan.txt", note)
    out = ok(as_user(user, home, exchange, "nbgrader", "submit", ASSIGNMENT, *extra))
    return out.stdout + out.stderr


def write_as(user: str, home: Path, exchange: Path, path: Path, text: str) -> None:
    ok(as_user(user, home, exchange, "python", "-c", f"open({str(path)!r}, 'w').write({text!r})"))


def inbound_of(exchange: Path) -> Path:
    return exchange / COURSE_ID / "inbound"


def owned_by(exchange: Path, user: str) -> set[str]:
    uid = pwd.getpwnam(user).pw_uid
    return {p.name for p in inbound_of(exchange).iterdir() if p.lstat().st_uid == uid}


def _reachable_by_others(path: Path) -> None:
    """Participant accounts run the venv's python: every folder above it must be o+x."""
    for folder in [path, *path.parents]:
        if not folder.stat().st_mode & 0o001:
            pytest.fail(f"{folder} is not o+x: participant accounts cannot run {path}; chmod o+x it")


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    _reachable_by_others(BIN)
    tag = "lxc" + secrets.token_hex(3)
    a, b = f"{tag}a", f"{tag}b"
    ghost = f"{tag}hantu"  # a student id with no OS account
    root = Path(tempfile.mkdtemp(prefix="latsar-collect-", dir="/tmp"))
    root.chmod(0o711)
    created = []
    try:
        exchange = root / "exchange"
        exchange.mkdir()
        exchange.chmod(0o777)  # as latsar.hub.server.prepare
        for user in (a, b):
            subprocess.run(["useradd", "-M", "-d", str(root / user), "-s", "/bin/sh", user],
                           check=True, capture_output=True)
            created.append(user)
        course = copy_course(tmp_path_factory.mktemp("collect") / "course")
        release.generate(course, [ASSIGNMENT])
        env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(course.root), "LATSAR_EXCHANGE": str(exchange)}
        subprocess.run([str(BIN / "nbgrader"), "release_assignment", ASSIGNMENT], cwd=course.root, env=env,
                       check=True, capture_output=True, text=True)
        home_a = participant_home(root, a, exchange)
        home_b = participant_home(root, b, exchange)
        for user, home in ((a, home_a), (b, home_b)):
            ok(as_user(user, home, exchange, "nbgrader", "fetch_assignment", ASSIGNMENT))

        # B hands in, honestly; so does A (their own genuine submission, older than their attacks)
        submit_with_note(b, home_b, exchange, "asli dari B")
        genuine_b = owned_by(exchange, b)
        submit_with_note(a, home_a, exchange, "asli dari A")
        genuine_a = owned_by(exchange, a)

        # (a) A submits under B's id, on the command line and through the config file
        submit_with_note(a, home_a, exchange, "palsu: --student", f"--student={b}")
        config_a = home_a / ".jupyter" / "nbgrader_config.py"
        honest_config = config_a.read_text()
        write_as(a, home_a, exchange, config_a, honest_config + f"c.CourseDirectory.student_id = {b!r}\n")
        submit_with_note(a, home_a, exchange, "palsu: config")
        write_as(a, home_a, exchange, config_a, honest_config)
        # a student id nobody has an account for
        submit_with_note(a, home_a, exchange, "palsu: hantu", f"--student={ghost}")
        # (b) hand-made folders in the inbound (A can write there, not list it): a far-future and an
        # unparsable timestamp under B's id; A's own "newest" ones carry a symlink to the item
        # bank, or a FIFO that would block a naive copy
        bank = course.root / "course_data" / "item_bank.yaml"
        ok(as_user(a, home_a, exchange, "python", "-c", f"""
import datetime, os, shutil
src, inbound = {str(home_a / ASSIGNMENT)!r}, {str(inbound_of(exchange))!r}
now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%f UTC')
def forge(student, stamp, rand, note):
    dest = shutil.copytree(src, inbound + '/' + '+'.join([student, {ASSIGNMENT!r}, stamp, rand]))
    open(dest + '/catatan.txt', 'w').write(note)
    open(dest + '/timestamp.txt', 'w').write(stamp)
    return dest
forge({b!r}, {FUTURE!r}, 'AAAAAAAAAAAA', 'palsu: masa depan')
forge({b!r}, 'bukan-waktu', 'BBBBBBBBBBBB', 'palsu: waktu rusak')
os.symlink({str(bank)!r}, forge({a!r}, now, 'SYMLINKSYMLK', 'tautan') + '/kunci.yaml')
os.mkfifo(forge({a!r}, now, 'FIFOFIFOFIFO', 'fifo') + '/tunggu')
"""))
        forged_for_b = (owned_by(exchange, a) - genuine_a)
        result = collect_as_root(course, exchange)
        yield dict(course=course, exchange=exchange, result=result, a=a, b=b, ghost=ghost,
                   genuine_a=genuine_a, genuine_b=genuine_b, forged=forged_for_b, bank=bank)
    finally:
        for user in created:
            subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_collect_finishes_and_lists_every_forgery(attack):
    result = attack["result"]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert len(attack["forged"]) == 7, attack["forged"]  # 2 by id, 1 ghost, 2 hand-made, symlink, FIFO
    for name in attack["forged"]:
        assert f"{name} — " in output, f"{name} not listed as refused:\n{output}"
    assert "7 folder kiriman" in output and "DITOLAK" in output
    assert "waktu dipalsukan" in output or "masa depan" in output
    assert "tidak terbaca" in output and "tautan simbolik" in output and "berkas khusus" in output
    for name in attack["genuine_a"] | attack["genuine_b"]:
        assert f"{name} — " not in output


def test_participant_can_write_the_inbound_but_not_list_it(attack):
    """The premise of the hand-made attacks: -wx for others, as nbgrader creates the inbound."""
    a, exchange = attack["a"], attack["exchange"]
    home = exchange.parent / a
    listing = as_user(a, home, exchange, "python", "-c", f"import os; os.listdir({str(inbound_of(exchange))!r})")
    assert listing.returncode != 0 and "PermissionError" in listing.stderr


def test_b_gets_their_own_genuine_submission(attack):
    course, b = attack["course"], attack["b"]
    folder = course.submission_dir(b, ASSIGNMENT)
    assert (folder / "catatan.txt").read_text() == "asli dari B"
    (genuine,) = attack["genuine_b"]
    assert (folder / "timestamp.txt").read_text() == genuine.split("+")[2]


def test_a_gets_their_older_genuine_submission_and_no_key(attack):
    course, a = attack["course"], attack["a"]
    folder = course.submission_dir(a, ASSIGNMENT)
    assert (folder / "catatan.txt").read_text() == "asli dari A"
    assert not (folder / "kunci.yaml").exists() and not (folder / "tunggu").exists()
    collected = b"".join(p.read_bytes() for p in course.submitted.rglob("*") if p.is_file())
    assert attack["bank"].read_bytes()[:200] not in collected


def test_no_submission_for_an_id_without_account(attack):
    course = attack["course"]
    assert not (course.submitted / attack["ghost"]).exists()
    assert sorted(p.name for p in course.submitted.iterdir()) == sorted([attack["a"], attack["b"]])


def test_formgrader_collect_uses_the_same_class(attack, tmp_path):
    """The formgrader's Collect button calls NbGraderAPI.collect, configured from nbgrader_config.py."""
    from traitlets.config import Config

    course = clone(attack["course"], tmp_path / "course")
    shutil.rmtree(course.submitted)
    overrides = Config()
    overrides.Exchange.root = str(attack["exchange"])
    nbapi = api(course, overrides)
    assert isinstance(nbapi.exchange.Collect(coursedir=nbapi.coursedir, authenticator=nbapi.authenticator,
                                             parent=nbapi), OwnerCheckedCollect)
    result = nbapi.collect(ASSIGNMENT)
    assert result["success"], result
    for name in attack["forged"]:
        assert f"{name} — " in result["log"]
    assert (course.submission_dir(attack["b"], ASSIGNMENT) / "catatan.txt").read_text() == "asli dari B"
    assert (course.submission_dir(attack["a"], ASSIGNMENT) / "catatan.txt").read_text() == "asli dari A"
    assert not (course.submitted / attack["ghost"]).exists()


def test_stock_collect_is_what_we_replace(attack, tmp_path):
    """Control: nbgrader's own collect on the same inbound does not survive the attack."""
    course = clone(attack["course"], tmp_path / "course")
    shutil.rmtree(course.submitted)
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(course.root), "LATSAR_EXCHANGE": str(attack["exchange"])}
    stock = subprocess.run([str(BIN / "nbgrader"), "collect", ASSIGNMENT,
                            "--ExchangeFactory.collect=nbgrader.exchange.default.collect.ExchangeCollect"],
                           cwd=course.root, env=env, capture_output=True, text=True, timeout=300)
    # one unparsable name stops the whole stock collect: nobody's work is collected
    assert stock.returncode != 0 and "bukan-waktu" in stock.stdout + stock.stderr
    assert not course.submitted.exists() or not any(course.submitted.iterdir())


# --- one OS account for every server (single-user fallback; no participant accounts) ---------


def _single_account_inbound(course: Course, exchange: Path, student: str, stamp: str, rand: str, note: str) -> Path:
    folder = exchange / COURSE_ID / "inbound" / f"{student}+{ASSIGNMENT}+{stamp}+{rand}"
    shutil.copytree(course.release / ASSIGNMENT, folder)
    (folder / "catatan.txt").write_text(note)
    (folder / "timestamp.txt").write_text(stamp)
    return folder


@pytest.fixture
def single_account(released, tmp_path):
    import datetime

    course = clone(released, tmp_path / "course")
    exchange = tmp_path / "exchange"
    (exchange / COURSE_ID / "inbound").mkdir(parents=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    fmt = "%Y-%m-%d %H:%M:%S.%f UTC"
    ghost = "peserta" + secrets.token_hex(3)  # no OS account by that name
    _single_account_inbound(course, exchange, ghost, (now - datetime.timedelta(minutes=5)).strftime(fmt),
                            "AAAAAAAAAAAA", "asli")
    # ten minutes ahead: beyond the 5-minute tolerance
    _single_account_inbound(course, exchange, ghost, (now + datetime.timedelta(minutes=10)).strftime(fmt),
                            "BBBBBBBBBBBB", "masa depan")
    # a student id that would be markup in the formgrader's pages
    _single_account_inbound(course, exchange, "<img src=x onerror=alert(1)>", now.strftime(fmt),
                            "EEEEEEEEEEEE", "nama berbahaya")
    return course, exchange, ghost


def _collect(course: Course, exchange: Path, **collect_config):
    from traitlets.config import Config

    overrides = Config()
    overrides.Exchange.root = str(exchange)
    for name, value in collect_config.items():
        setattr(overrides.OwnerCheckedCollect, name, value)
    return api(course, overrides).collect(ASSIGNMENT)


def test_single_account_collects_what_the_collector_owns_and_says_so(single_account):
    course, exchange, ghost = single_account
    result = _collect(course, exchange)
    assert result["success"], result
    assert (course.submission_dir(ghost, ASSIGNMENT) / "catatan.txt").read_text() == "asli"
    assert "tidak bisa dibuktikan" in result["log"]
    assert "masa depan" in result["log"] and "BBBBBBBBBBBB — " in result["log"]
    assert "EEEEEEEEEEEE — nama peserta '<img src=x onerror=alert(1)>' memuat karakter" in result["log"]
    assert sorted(p.name for p in course.submitted.iterdir()) == [ghost]


def test_single_account_refuses_everything_when_owners_are_required(single_account):
    course, exchange, ghost = single_account
    result = _collect(course, exchange, without_account="refuse")
    assert result["success"], result
    assert not (course.submitted / ghost).exists()
    assert f"tidak ada akun sistem bernama '{ghost}'" in result["log"]
    assert "AAAAAAAAAAAA — " in result["log"]


def test_a_local_timezone_is_not_mistaken_for_the_future(single_account):
    """nbgrader names folders '… WIB' with c.Exchange.timezone = 'Asia/Jakarta' and reads WIB as UTC."""
    import datetime

    from dateutil.tz import gettz
    from traitlets.config import Config

    course, exchange, ghost = single_account
    jakarta = gettz("Asia/Jakarta")
    stamp = datetime.datetime.now(jakarta).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    assert stamp.endswith(" WIB")
    _single_account_inbound(course, exchange, ghost, stamp, "CCCCCCCCCCCC", "jakarta")
    far = (datetime.datetime.now(jakarta) + datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    _single_account_inbound(course, exchange, ghost, far, "DDDDDDDDDDDD", "lusa")
    for timezone in ("Asia/Jakarta", "UTC"):  # the collector configured like the hub, or not
        shutil.rmtree(course.submitted, ignore_errors=True)
        config = Config()
        config.Exchange.root = str(exchange)
        config.Exchange.timezone = timezone
        result = api(course, config).collect(ASSIGNMENT)
        assert result["success"] and "CCCCCCCCCCCC — " not in result["log"], result["log"]
        assert "DDDDDDDDDDDD — " in result["log"]
        assert (course.submission_dir(ghost, ASSIGNMENT) / "catatan.txt").read_text() == "jakarta"


def test_an_oversized_folder_is_refused_not_fatal(single_account):
    from traitlets.config import Config

    course, exchange, ghost = single_account
    config = Config()
    config.Exchange.root = str(exchange)
    config.CourseDirectory.max_dir_size = 1  # kB: smaller than any notebook
    result = api(course, config).collect(ASSIGNMENT)
    assert result["success"], result
    assert "AAAAAAAAAAAA — isinya melebihi batas ukuran folder" in result["log"]
    assert not course.submission_dir(ghost, ASSIGNMENT).exists()
    assert not any(p.name.startswith(".") for p in (course.submitted / ghost).iterdir())  # no staging left
