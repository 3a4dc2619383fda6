"""The live service on a real JupyterHub: 40 participants, permissions, closed items, a restart.

Participants post through :class:`~latsar.live.client.AsyncLiveClient`, the
same calls the notebook widget makes, with tokens scoped like a single-user
server's ``JUPYTERHUB_API_TOKEN``; the instructor watches with the long poll
the instructor's page uses.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time

import httpx
import pandas as pd
import pytest

from latsar.live.client import AsyncLiveClient, LiveClient, LiveRefused, LiveUnavailable

# One hub (the session fixture live_hub) per xdist worker; `make test` uses --dist loadfile,
# so a module's tests share their worker's hub.


def instructor(hub) -> LiveClient:
    return LiveClient(hub.service_url, hub.instructor_token)


def participant(hub, name: str) -> LiveClient:
    return LiveClient(hub.service_url, hub.participant_tokens[name])


async def _watch(client: AsyncLiveClient, run_id: int, target: int, seen: dict) -> None:
    """The instructor's view: wait for each change until ``target`` answers are counted."""
    version = -1
    while True:
        counts = await client.counts(run_id, after=version, wait=10)
        version = counts["version"]
        if counts["answered"] >= target:
            seen["at"] = time.monotonic()
            seen["counts"] = counts
            return


async def _answer_all(hub, run_id: int, choices: dict[str, str]) -> float:
    """Every participant answers at once; returns when the last answer was acknowledged."""
    async with httpx.AsyncClient(timeout=30) as http:
        async def one(name: str) -> float:
            await asyncio.sleep(random.random() * 0.5)
            client = AsyncLiveClient(hub.service_url, hub.participant_tokens[name], http=http)
            result = await client.answer(run_id, choices[name])
            assert result["received"] is True
            return time.monotonic()

        return max(await asyncio.gather(*(one(name) for name in choices)))


def test_forty_participants_are_all_counted_by_the_instructors_long_poll(live_hub):
    """Every answer reaches the instructor's waiting view; how fast is bench/live.py's job."""
    teacher = instructor(live_hub)
    teacher.start_session("Kelas A — uji 40 peserta")
    run = teacher.open_item("LAT1-04")
    rng = random.Random(7)
    choices = {name: rng.choice("abcd") for name in live_hub.participant_tokens}
    assert len(choices) == 40

    async def scenario():
        seen = {}
        async with httpx.AsyncClient(timeout=30) as http:
            watcher = asyncio.create_task(
                _watch(AsyncLiveClient(live_hub.service_url, live_hub.instructor_token, http=http),
                       run["run_id"], 40, seen))
            last_ack = await _answer_all(live_hub, run["run_id"], choices)
            await asyncio.wait_for(watcher, 120)  # a liveness bound, not a speed claim
        return last_ack, seen

    last_ack, seen = asyncio.run(scenario())
    assert seen["at"] >= last_ack - 30  # the view saw the 40th answer, not an earlier state
    expected = {letter: sum(1 for c in choices.values() if c == letter) for letter in "abcd"}
    assert seen["counts"]["counts"] == expected
    assert seen["counts"]["answered"] == 40
    rows = teacher.answers(run["run_id"])["answers"]
    assert {r["participant_id"]: r["choice"] for r in rows} == choices


def test_participant_cannot_open_items_or_read_answers(live_hub):
    teacher = instructor(live_hub)
    session = teacher.start_session("Uji hak akses")["session_id"]
    run = teacher.open_item("LAT2-03")
    p1, p2 = participant(live_hub, "peserta001"), participant(live_hub, "peserta002")
    p1.answer(run["run_id"], "a")
    p2.answer(run["run_id"], "d")

    refused = {
        "open an item": lambda: p1.open_item("LAT2-04"),
        "open a poll": lambda: p1.open_poll("Siap?", ["ya", "tidak"]),
        "read counts": lambda: p1.counts(run["run_id"]),
        "read answers": lambda: p1.answers(run["run_id"]),
        "close": lambda: p1.close(run["run_id"]),
        "reveal": lambda: p1.reveal(run["run_id"]),
        "start a session": lambda: p1.start_session("x"),
        "read the table": lambda: p1.table(session),
        "read the state": lambda: p1.state(),
        "read the bank": lambda: p1.bank(),
    }
    for what, call in refused.items():
        with pytest.raises(LiveRefused, match="Hanya pengampu") as err:
            call()
        assert err.value.status == 403, what

    view = p1.current()["run"]
    assert view["my_choice"] == "a"
    assert not {"key", "section", "correct", "counts", "answered"} & set(view)
    assert "d" not in str(view["my_choice"])

    # a hub user outside the course's groups, and a forged token
    live_hub.add_users(["orang_luar"])
    outsider = LiveClient(live_hub.service_url, live_hub.token("orang_luar", ["users:activity!user"]))
    with pytest.raises(LiveRefused) as err:
        outsider.answer(run["run_id"], "a")
    assert err.value.status == 403
    with pytest.raises(LiveRefused) as err:
        LiveClient(live_hub.service_url, "bukan-token").current()
    assert err.value.status == 401
    assert teacher.counts(run["run_id"])["answered"] == 2

    teacher.reveal(run["run_id"])
    key = teacher.counts(run["run_id"])["key"]
    revealed = p1.current()["run"]
    assert (revealed["key"], revealed["correct"]) == (key, key == "a")
    assert revealed["section"]


def test_answer_to_a_closed_item_is_refused_with_a_clear_message(live_hub):
    teacher = instructor(live_hub)
    teacher.start_session("Uji soal ditutup")
    run = teacher.open_item("LAT1-07")
    p1 = participant(live_hub, "peserta003")
    p1.answer(run["run_id"], "b")
    teacher.close(run["run_id"])
    with pytest.raises(LiveRefused) as err:
        participant(live_hub, "peserta004").answer(run["run_id"], "c")
    assert err.value.status == 409
    # the participant's message numbers the run in the session, and names no bank id
    assert str(err.value) == f"Soal nomor {run['seq']} sudah ditutup oleh pengampu; jawaban tidak diterima lagi."
    with pytest.raises(LiveRefused, match="sudah ditutup"):
        p1.answer(run["run_id"], "a")  # no change after closing either
    assert teacher.counts(run["run_id"])["counts"] == {"a": 0, "b": 1, "c": 0, "d": 0}


def test_service_restart_mid_session_loses_no_answer(live_hub):
    teacher = instructor(live_hub)
    session = teacher.start_session("Uji mulai ulang")["session_id"]
    run = teacher.open_item("LAT2-08")
    names = sorted(live_hub.participant_tokens)
    rng = random.Random(11)
    choices = {name: rng.choice("abcd") for name in names}
    before, after = names[:20], names[20:]
    asyncio.run(_answer_all(live_hub, run["run_id"], {n: choices[n] for n in before}))

    old_pid = live_hub.service_pid()
    os.kill(old_pid, signal.SIGKILL)  # harsher than a restart: no shutdown code runs
    with pytest.raises(LiveUnavailable, match="tidak dapat dihubungi"):
        participant(live_hub, after[0]).answer(run["run_id"], choices[after[0]])

    # JupyterHub notices the managed service died and starts it again (it polls every ~30 s)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pid = live_hub.service_pid()
        if pid and pid != old_pid:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the hub did not restart the service:\n{live_hub.log_text()[-2000:]}")

    assert teacher.counts(run["run_id"])["answered"] == 20
    asyncio.run(_answer_all(live_hub, run["run_id"], {n: choices[n] for n in after}))
    rows = teacher.answers(run["run_id"])["answers"]
    assert {r["participant_id"]: r["choice"] for r in rows} == choices

    saved = teacher.end_session(session)["files"]
    table = pd.read_parquet(saved["parquet"])
    assert len(table) == 40 and set(table.participant_id) == set(names)
    assert saved["csv"].startswith(str(live_hub.course_root / "live_sessions"))


def test_instructor_page_needs_the_hub_login(live_hub):
    r = httpx.get(live_hub.public_service_url, follow_redirects=False)
    assert r.status_code == 302
    assert "/hub/api/oauth2/authorize" in r.headers["location"]
    r = httpx.get(live_hub.service_url, headers={"Authorization": f"token {live_hub.participant_tokens['peserta001']}"})
    assert r.status_code == 403 and "hanya untuk pengampu" in r.text


def test_on_the_hub_answers_carry_the_token_owner_and_graded_items_stay_shut(live_hub):
    """A participant's real hub token, with another participant's name in the body and headers."""
    teacher = instructor(live_hub)
    teacher.start_session("Uji nama palsu di hub")
    with pytest.raises(LiveRefused, match="MP1-03 adalah soal evaluasi yang dinilai") as err:
        teacher.open_item("MP1-03")
    assert err.value.status == 403
    with pytest.raises(LiveRefused, match="belum dikumpulkan") as err:
        teacher.open_item("MP1-03", allow_graded=True)  # no submission of bab2 in this course
    assert err.value.status == 403
    assert all(i["item_id"].startswith("LAT") for i in teacher.bank()["items"])

    run = teacher.open_item("LAT2-06")
    for url in (live_hub.service_url, live_hub.public_service_url):  # straight, and through the hub's proxy
        r = httpx.post(url + "api/answer",
                       json={"run_id": run["run_id"], "choice": "c", "participant_id": "peserta006",
                             "user": "peserta006", "name": "peserta006"},
                       headers={"Authorization": f"token {live_hub.participant_tokens['peserta005']}",
                                "X-Forwarded-User": "peserta006", "X-JupyterHub-User": "peserta006"},
                       params={"user": "peserta006"}, timeout=10)
        assert r.status_code == 200, r.text
        counts = httpx.get(url + f"api/runs/{run['run_id']}/counts", timeout=10,
                           headers={"Authorization": f"token {live_hub.participant_tokens['peserta005']}"})
        assert counts.status_code == 403
    rows = teacher.answers(run["run_id"])["answers"]
    assert [(r["participant_id"], r["choice"]) for r in rows] == [("peserta005", "c")]
    assert participant(live_hub, "peserta006").current()["run"]["my_choice"] is None
    assert not {"key", "correct", "section"} & set(teacher.counts(run["run_id"]))
