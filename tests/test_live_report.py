"""`latsar report` includes the saved live-quiz sessions, apart from the scores."""

from __future__ import annotations

import openpyxl
import pandas as pd
from click.testing import CliRunner

from latsar.results import scores
from latsar.cli import main
from latsar.live.store import LiveStore

from .conftest import clone


def test_report_has_a_live_quiz_sheet_and_section(graded, tmp_path):
    course = clone(graded, tmp_path / "course")
    bank = course.item_bank.practice
    before = scores.mastery(course)
    store = LiveStore(course.live_sessions)
    session = store.start_session("Kelas A", "pengampu", now=100.0)
    run = store.open_item(session, bank["LAT1-02"], now=100.0)
    wrong = next(letter for letter in "abcd" if letter != bank["LAT1-02"].key)
    for n, (who, letter) in enumerate([("kunci", bank["LAT1-02"].key), ("semua-a", wrong), ("tamu", wrong)]):
        store.answer(run.id, who, letter, now=102.0 + 2 * n)
    poll = store.open_poll(session, "Sudah jelas?", {"a": "ya", "b": "belum"}, now=110.0)
    store.answer(poll.id, "kunci", "a", now=111.0)
    store.end_session(session, now=120.0)
    store.save_table(session)
    store.close()

    out = tmp_path / "laporan"
    result = CliRunner().invoke(main, ["report", "--course", str(course.root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "live_summary.csv")
    assert summary[["item_id", "n_answered", "median_seconds"]].values.tolist() == [["LAT1-02", 3, 4.0],
                                                                                      ["POLL-02", 1, 1.0]]
    assert summary.loc[0, "n_correct"] == 1 and abs(summary.loc[0, "proportion_correct"] - 1 / 3) < 1e-9
    assert pd.isna(summary.loc[1, "proportion_correct"])  # a poll without a key has no right answer
    assert len(pd.read_csv(out / "live.csv")) == 4
    sheet = openpyxl.load_workbook(out / "laporan_kohort.xlsx")["Kuis langsung"]
    assert [c.value for c in sheet[1]][:4] == ["Sesi", "Urutan", "Kode soal", "Jenis"]
    assert "<h2>Kuis langsung</h2>" in (out / "laporan_kohort.html").read_text(encoding="utf-8")
    # practice only: the gradebook scores are unchanged
    pd.testing.assert_frame_equal(scores.mastery(course), before)
