"""`latsar live`: the same service on one machine without a hub, with a token file."""

from __future__ import annotations

import csv
import subprocess
import time

import httpx
import pytest
from click.testing import CliRunner

from latsar.cli import main
from latsar.hub.server import free_port
from latsar.live.client import LiveClient, LiveRefused

from .conftest import BIN


def test_missing_token_file_is_a_clear_message(course):
    result = CliRunner().invoke(main, ["live", "--course", str(course.root)])
    assert result.exit_code == 1
    assert "berkas token tidak ada" in result.output and "Traceback" not in result.output


def test_single_machine_session_with_a_token_file(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("peserta_id,nama\n199001012020011001,Ayu\n199002022020012002,Budi\n", encoding="utf-8")
    made = CliRunner().invoke(main, ["live", "--course", str(course.root), "--make-tokens", str(roster)])
    assert made.exit_code == 0, made.output
    token_file = course.live_sessions / "tokens.csv"
    assert token_file.stat().st_mode & 0o077 == 0  # readable by the instructor only
    tokens = {row["user"]: row["token"] for row in csv.DictReader(token_file.open(encoding="utf-8"))}
    assert set(tokens) == {"pengampu", "199001012020011001", "199002022020012002"}

    port = free_port()
    proc = subprocess.Popen([str(BIN / "latsar"), "live", "--course", str(course.root), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/services/latsar-live/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "api/health").raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(proc.stdout.read() if proc.poll() is not None else "service did not start")
                time.sleep(0.2)
        teacher = LiveClient(url, tokens["pengampu"])
        ayu = LiveClient(url, tokens["199001012020011001"])
        run = teacher.open_poll("Sudah siap mulai?", ["ya", "belum"])
        ayu.answer(run["run_id"], "a")
        with pytest.raises(LiveRefused, match="Hanya pengampu"):
            ayu.counts(run["run_id"])
        assert teacher.counts(run["run_id"])["counts"] == {"a": 1, "b": 0}

        page = httpx.get(url, params={"token": tokens["pengampu"]})
        assert page.status_code == 200 and "Kuis langsung" in page.text and "pengampu" in page.text
        assert httpx.get(url, params={"token": tokens["199002022020012002"]}).status_code == 403
        assert httpx.get(url).status_code == 403
    finally:
        proc.terminate()
        proc.wait(10)
