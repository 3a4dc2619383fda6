"""The live quiz, attacked: a real `latsar live` process with a token file, driven over HTTP.

A participant holds a real participant token and tries everything an
instructor may do, posts answers in someone else's name, and reads what
should stay hidden before the reveal; a real OS account tries to read the
token file; the instructor tries to open graded items before their
assignment is collected.  See docs/live-quiz-safety.md.
"""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from latsar.hub.server import free_port
from latsar.grading.import_answers import import_answers
from latsar.live import policy
from latsar.live.client import LiveClient, LiveRefused
from latsar.live.service import make_token_file
from latsar.live.store import LiveError
from latsar.simulate import write_sheet

from .conftest import BIN, clone

GRADED_BAB2 = "MP1-03"  # a graded item of bab2_konsep_pelayanan_publik
GRADED_BAB3 = "MP2-05"  # a graded item of bab3_berorientasi_pelayanan


class Service:
    def __init__(self, course, tokens: dict[str, str], token_file: Path, proc: subprocess.Popen, url: str):
        self.course, self.tokens, self.token_file, self.proc, self.url = course, tokens, token_file, proc, url

    def client(self, user: str) -> LiveClient:
        return LiveClient(self.url, self.tokens[user])

    def raw(self, method: str, path: str, user: str | None = None, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if user:
            headers["Authorization"] = f"token {self.tokens[user]}"
        return httpx.request(method, self.url + "api/" + path, headers=headers, timeout=10, **kwargs)


@pytest.fixture(scope="module")
def service(released, tmp_path_factory):
    """`latsar live` on a released course; a token file in a folder any account may traverse."""
    course = clone(released, tmp_path_factory.mktemp("livesafety") / "course")
    token_dir = Path(tempfile.mkdtemp(prefix="lp-live-tokens-"))
    token_dir.chmod(0o711)  # traversable: only the file's own mode protects it
    token_file = make_token_file(token_dir / "tokens.csv", ["pengampu"], ["peserta01", "peserta02", "peserta03"])
    tokens = {row["user"]: row["token"] for row in csv.DictReader(token_file.open(encoding="utf-8"))}
    port = free_port()
    url = f"http://127.0.0.1:{port}/services/latsar-live/"
    proc = subprocess.Popen([str(BIN / "latsar"), "live", "--course", str(course.root), "--port", str(port),
                             "--tokens", str(token_file)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "api/health").raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(proc.stdout.read() if proc.poll() is not None else "service did not start")
                time.sleep(0.2)
        yield Service(course, tokens, token_file, proc, url)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(token_dir, ignore_errors=True)


def test_participant_can_neither_steer_the_quiz_nor_read_counts(service):
    teacher, p1 = service.client("pengampu"), service.client("peserta01")
    session = teacher.start_session("Uji serangan peserta")["session_id"]
    run = teacher.open_item("LAT1-02")
    p1.answer(run["run_id"], "a")

    refused = {
        "open a practice item": lambda: p1.open_item("LAT1-03"),
        "open a graded item": lambda: p1.open_item(GRADED_BAB2),
        "open a graded item, 'allowed'": lambda: p1.open_item(GRADED_BAB2, allow_graded=True),
        "open a poll": lambda: p1.open_poll("Siap?", ["ya", "tidak"], key="a"),
        "close": lambda: p1.close(run["run_id"]),
        "reveal": lambda: p1.reveal(run["run_id"]),
        "read counts": lambda: p1.counts(run["run_id"]),
        "read counts, waiting": lambda: p1.counts(run["run_id"], after=0, wait=1),
        "read answers": lambda: p1.answers(run["run_id"]),
        "read the state": lambda: p1.state(),
        "read the practice pool": lambda: p1.bank(),
        "read the graded items": lambda: p1.bank(graded=True),
        "read the table": lambda: p1.table(session),
        "save the table": lambda: p1._call("POST", f"sessions/{session}/table"),
        "start a session": lambda: p1.start_session("x"),
        "end the session": lambda: p1.end_session(session),
    }
    for what, call in refused.items():
        with pytest.raises(LiveRefused, match="Hanya pengampu") as err:
            call()
        assert err.value.status == 403, what

    state = teacher.state()
    assert [r["run_id"] for r in state["runs"]] == [run["run_id"]] and state["runs"][0]["state"] == "open"
    assert state["session"]["id"] == session
    # the instructor's page: 403 for a participant's token, by header or by ?token=
    assert httpx.get(service.url, params={"token": service.tokens["peserta01"]}).status_code == 403
    page = httpx.get(service.url, headers={"Authorization": f"token {service.tokens['peserta01']}"})
    assert page.status_code == 403 and "hanya untuk pengampu" in page.text
    # and what a participant may read carries nothing of the others, nor the key
    view = p1.current()["run"]
    assert view["my_choice"] == "a" and not {"key", "section", "correct", "counts", "answered"} & set(view)


def test_participant_cannot_answer_as_someone_else(service):
    teacher = service.client("pengampu")
    teacher.start_session("Uji nama palsu")
    run = teacher.open_item("LAT2-01")
    # peserta01 names peserta02 every way a request can carry a name
    spoofed = {"run_id": run["run_id"], "choice": "d", "participant_id": "peserta02", "user": "peserta02",
               "name": "peserta02", "participant": "peserta02", "who": "peserta02"}
    r = service.raw("POST", "answer", "peserta01", json=spoofed, params={"user": "peserta02"},
                    headers={"X-Forwarded-User": "peserta02", "X-Remote-User": "peserta02",
                             "X-JupyterHub-User": "peserta02"})
    assert r.status_code == 200, r.text
    rows = teacher.answers(run["run_id"])["answers"]
    assert [(row["participant_id"], row["choice"]) for row in rows] == [("peserta01", "d")]
    assert service.client("peserta02").current()["run"]["my_choice"] is None

    # someone else's token is not to be had: not a user name, not a guess, not a token in the query
    for token in ("peserta02", "pengampu", secrets.token_urlsafe(24), service.tokens["peserta02"][:-1]):
        r = httpx.post(service.url + "api/answer", json={"run_id": run["run_id"], "choice": "b"},
                       headers={"Authorization": f"token {token}"}, timeout=10)
        assert r.status_code == 401, token
    # a guessed instructor token in the query does not beat one's own in the header
    r = service.raw("POST", f"runs/{run['run_id']}/reveal", "peserta01", params={"token": "pengampu"})
    assert r.status_code == 403
    r = httpx.post(service.url + "api/answer", params={"token": secrets.token_urlsafe(24)},
                   json={"run_id": run["run_id"], "choice": "b"}, timeout=10)
    assert r.status_code == 401
    assert len(teacher.answers(run["run_id"])["answers"]) == 1
    assert teacher.counts(run["run_id"])["state"] == "open"  # nobody but the instructor revealed it


@pytest.fixture
def os_account():
    name = f"lpatk{secrets.token_hex(3)}"
    subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False)


def test_another_os_account_cannot_read_the_token_file(service, os_account):
    """The token file is the only place a participant could find another's token (standalone mode)."""
    assert service.token_file.stat().st_mode & 0o777 == 0o600
    read = subprocess.run(["runuser", "-u", os_account, "--", "cat", str(service.token_file)],
                          capture_output=True, text=True)
    assert read.returncode != 0 and "Permission denied" in read.stderr
    assert service.tokens["pengampu"] not in read.stdout
    listed = subprocess.run(["runuser", "-u", os_account, "--", "ls", str(service.token_file.parent)],
                            capture_output=True, text=True)
    assert listed.returncode != 0  # the folder is traversable, not listable
    # the same account, without a token, against the running service
    curl = subprocess.run(["runuser", "-u", os_account, "--", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                           service.url + "api/state"], capture_output=True, text=True)
    assert curl.stdout == "401"


def test_counts_before_the_reveal_name_no_key(service):
    teacher = service.client("pengampu")
    session = teacher.start_session("Uji kunci tersembunyi")["session_id"]
    item = service.course.item_bank.practice["LAT2-10"]
    opened = teacher.open_item(item.id)
    run_id = opened["run_id"]
    wrong = next(letter for letter in "abcd" if letter != item.key)
    service.client("peserta01").answer(run_id, item.key)
    service.client("peserta02").answer(run_id, wrong)
    service.client("peserta03").answer(run_id, item.key)

    hidden = {"key", "correct", "section"}
    before = {
        "open": opened,
        "counts": teacher.counts(run_id),
        "counts, long poll": teacher.counts(run_id, after=opened["version"], wait=1),
        "state": teacher.state()["runs"][-1],
        "close": teacher.close(run_id),
        "counts after close": teacher.counts(run_id),
    }
    for what, view in before.items():
        assert not hidden & set(view), what
    assert before["counts after close"]["answered"] == 3
    assert set(teacher.answers(run_id)["answers"][0]) == {"seq", "participant_id", "choice", "answered_at"}
    rows = teacher.table(session)["rows"]
    assert len(rows) == 3 and all(row["correct"] is None for row in rows)

    revealed = teacher.reveal(run_id)
    assert (revealed["key"], revealed["correct"], revealed["section"]) == (item.key, 2, item.section.label)
    assert teacher.state()["runs"][-1]["correct"] == 2
    assert sorted(row["correct"] for row in teacher.table(session)["rows"]) == [False, True, True]


def test_graded_item_needs_explicit_permission_and_a_collected_assignment(service):
    teacher = service.client("pengampu")
    teacher.end_session(teacher.start_session("sebelum uji soal dinilai")["session_id"])
    assert teacher.state()["session"] is None

    with pytest.raises(LiveRefused, match=f"Soal {GRADED_BAB2} adalah soal evaluasi yang dinilai") as err:
        teacher.open_item(GRADED_BAB2)
    assert err.value.status == 403
    with pytest.raises(LiveRefused, match="belum dikumpulkan") as err:
        teacher.open_item(GRADED_BAB2, allow_graded=True)
    assert err.value.status == 403
    # a truthy string is not an explicit permission either
    r = service.raw("POST", "runs", "pengampu", json={"item_id": GRADED_BAB2, "allow_graded": "ya"})
    assert r.status_code == 403 and "soal evaluasi yang dinilai" in r.json()["error"]
    assert teacher.state()["session"] is None  # a refused item leaves nothing behind, not even a session

    listed = {i["item_id"]: i for i in teacher.bank()["items"]}
    assert set(listed) == set(service.course.item_bank.practice)  # the practice pool, by default
    graded = {i["item_id"]: i for i in teacher.bank(graded=True)["items"] if i["graded"]}
    assert graded[GRADED_BAB2]["collected"] == 0

    # bab2 is handed in (the course's submitted/ folder, as `latsar import-answers` / collect writes it)
    sheet = write_sheet([("peserta01", GRADED_BAB2, "a"), ("peserta02", GRADED_BAB2, "c")],
                        service.course.root / "lembar.csv")
    import_answers(sheet, service.course)
    graded = {i["item_id"]: i for i in teacher.bank(graded=True)["items"] if i["graded"]}
    assert graded["MP1-01"]["collected"] == 2 and graded[GRADED_BAB3]["collected"] == 0

    with pytest.raises(LiveRefused, match="soal evaluasi yang dinilai"):
        teacher.open_item(GRADED_BAB2)  # collected, but not asked for explicitly
    run = teacher.open_item(GRADED_BAB2, allow_graded=True)
    assert (run["item_id"], run["kind"], run["state"]) == (GRADED_BAB2, "bank", "open")
    assert "key" not in run
    with pytest.raises(LiveRefused, match="tugas bab3_berorientasi_pelayanan belum dikumpulkan"):
        teacher.open_item(GRADED_BAB3, allow_graded=True)
    with pytest.raises(LiveRefused, match="tidak ada di bank soal") as err:
        teacher.open_item("LAT9-99")
    assert err.value.status == 404


def test_collected_counts_the_gradebook_too(graded, tmp_path):
    """Submissions autograded into the gradebook count even when submitted/ was cleaned up."""
    course = clone(graded, tmp_path / "course")
    shutil.rmtree(course.submitted)
    assert policy.collected_count(course, "bab2_konsep_pelayanan_publik") >= 5
    empty = clone(graded, tmp_path / "kosong")
    shutil.rmtree(empty.submitted)
    os.remove(empty.root / "gradebook.db")
    assert policy.collected_count(empty, "bab2_konsep_pelayanan_publik") == 0
    with pytest.raises(LiveError, match="belum dikumpulkan"):
        policy.resolve(empty, "MP1-01", allow_graded=True)
    assert policy.resolve(course, "MP1-01", allow_graded=True).id == "MP1-01"
