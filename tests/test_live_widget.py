"""The participant widget: follows the instructor, posts clicks, and fails politely."""

from __future__ import annotations

import time

import nbformat
from nbclient import NotebookClient

from latsar.live.client import LiveClient
from latsar.live.widgets import AUTOGRADE_TEXT, LiveQuiz

from .conftest import REPO

# One hub (the session fixture live_hub) per xdist worker; `make test` uses --dist loadfile,
# so a module's tests share their worker's hub.


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_widget_shows_the_opened_item_posts_the_click_and_the_verdict(live_hub):
    teacher = LiveClient(live_hub.service_url, live_hub.instructor_token)
    teacher.start_session("Uji widget")
    quiz = LiveQuiz(LiveClient(live_hub.service_url, live_hub.participant_tokens["peserta010"]))
    quiz.start()
    try:
        wait_for(lambda: "Belum ada soal" in quiz.status.value)
        run = teacher.open_item("LAT1-06")
        wait_for(lambda: quiz.run and quiz.run["run_id"] == run["run_id"])  # appears by itself
        assert f"Soal {run['seq']}" in quiz.question.value and "LAT1-06" not in quiz.question.value  # no bank id
        assert list(quiz.buttons) == ["a", "b", "c", "d"] and not any(b.disabled for b in quiz.buttons.values())

        quiz.click("c")  # the participant clicks c
        assert "Jawaban c diterima" in quiz.status.value and quiz.buttons["c"].button_style == "info"
        assert teacher.counts(run["run_id"])["counts"]["c"] == 1
        assert {r["participant_id"] for r in teacher.answers(run["run_id"])["answers"]} == {"peserta010"}

        teacher.close(run["run_id"])
        wait_for(lambda: all(b.disabled for b in quiz.buttons.values()))
        assert "tunggu pengampu menampilkan kunci" in quiz.status.value
        assert "Kunci" not in quiz.status.value

        key = teacher.reveal(run["run_id"])["key"]
        wait_for(lambda: quiz.run["state"] == "revealed")
        section = live_hub_item_section(live_hub, "LAT1-06")
        if key == "c":
            assert "Benar" in quiz.status.value
        else:
            assert f"Anda memilih c, kuncinya {key}" in quiz.status.value
        assert section in quiz.status.value
    finally:
        quiz.stop()


def live_hub_item_section(hub, item_id: str) -> str:
    from latsar.course import Course

    return Course.at(hub.course_root).item_bank.practice[item_id].section.label


def test_widget_says_when_the_service_is_unreachable():
    quiz = LiveQuiz(LiveClient("http://127.0.0.1:9/services/latsar-live/", "token"))
    quiz.start()
    try:
        wait_for(lambda: "tidak dapat dihubungi" in quiz.status.value)
    finally:
        quiz.stop()


def _run_live_cell(monkeypatch, **env) -> list[dict]:
    """Execute the chapter notebook's live-quiz cell in a fresh kernel, as a participant would."""
    nb = nbformat.read(REPO / "source" / "bab2_konsep_pelayanan_publik" / "bab2_konsep_pelayanan_publik.ipynb", 4)
    cell = next(c for c in nb.cells if "live_quiz" in c.source)
    for name in ("LATSAR_LIVE_URL", "LATSAR_LIVE_TOKEN", "JUPYTERHUB_API_TOKEN", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    single = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell.source)])
    NotebookClient(single, timeout=60, kernel_name="python3").execute()
    return single.cells[0].outputs


def test_notebook_cell_without_service_explains_in_indonesian(monkeypatch):
    outputs = _run_live_cell(monkeypatch)
    assert [o["output_type"] for o in outputs] == ["display_data"]  # a widget, no traceback
    assert "application/vnd.jupyter.widget-view+json" in outputs[0]["data"]
    assert "Kuis langsung belum tersedia di sini" in outputs[0]["data"]["text/plain"]


def test_notebook_cell_under_autograde_prints_a_short_text(monkeypatch):
    outputs = _run_live_cell(monkeypatch, NBGRADER_EXECUTION="autograde",
                             LATSAR_LIVE_URL="http://127.0.0.1:9/", LATSAR_LIVE_TOKEN="x")
    assert [(o["output_type"], o.get("text", "").strip()) for o in outputs] == [("stream", AUTOGRADE_TEXT)]
