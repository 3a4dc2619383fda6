"""The live store: durable answers, closed items refused, the session table."""

from __future__ import annotations

import pandas as pd
import pytest

from latsar.live.service import _participant_view
from latsar.live.store import TABLE_COLUMNS, LiveError, LiveStore, read_tables


@pytest.fixture
def store(tmp_path):
    s = LiveStore(tmp_path / "live_sessions")
    yield s
    s.close()


def test_answers_survive_reopening_the_database(course, store, tmp_path):
    session = store.start_session("Kelas A", "pengampu")
    run = store.open_item(session, course.item_bank.practice["LAT1-03"])
    store.answer(run.id, "p1", "a")
    store.answer(run.id, "p2", "c")
    store.answer(run.id, "p1", "b")  # changed while open: the last click counts
    store.close()  # no explicit checkpoint or flush: what was acknowledged is committed

    again = LiveStore(tmp_path / "live_sessions")
    assert again.counts(run.id)["counts"] == {"a": 0, "b": 1, "c": 1, "d": 0}
    assert again.current_run().id == run.id
    again.close()


def test_closed_item_refuses_answers_with_a_clear_message(course, store):
    session = store.start_session("", "pengampu")
    first = store.open_item(session, course.item_bank.practice["LAT1-01"])
    store.answer(first.id, "p1", "a")
    second = store.open_item(session, course.item_bank.practice["LAT1-02"])  # opening the next closes the first
    assert store.run(first.id).state == "closed"
    with pytest.raises(LiveError, match="Soal nomor 1 sudah ditutup oleh pengampu") as err:
        store.answer(first.id, "p2", "b")
    assert err.value.status == 409
    with pytest.raises(LiveError, match="Pilihan 'e' tidak ada"):
        store.answer(second.id, "p2", "e")
    assert store.counts(first.id)["answered"] == 1


def test_participant_sees_key_and_section_only_after_reveal(course, store):
    item = course.item_bank.practice["LAT2-04"]
    session = store.start_session("", "pengampu")
    run = store.open_item(session, item)
    store.answer(run.id, "p1", item.key)
    other = next(letter for letter in "abcd" if letter != item.key)
    store.answer(run.id, "p2", other)

    for state in ("open", "closed"):
        if state == "closed":
            store.close_run(run.id)
        view = _participant_view(store, "p1")["run"]
        assert "key" not in view and "section" not in view and "correct" not in view
        assert view["my_choice"] == item.key
        assert "counts" not in view and "answered" not in view  # nothing about the others

    store.reveal_run(run.id)
    mine, theirs = _participant_view(store, "p1")["run"], _participant_view(store, "p2")["run"]
    assert (mine["key"], mine["correct"], mine["section"]) == (item.key, True, item.section.label)
    assert (theirs["my_choice"], theirs["correct"]) == (other, False)


def test_poll_needs_a_question_and_ordered_options(store):
    session = store.start_session("", "pengampu")
    with pytest.raises(LiveError, match="kosong"):
        store.open_poll(session, "  ", {"a": "ya", "b": "tidak"})
    with pytest.raises(LiveError, match="berurutan"):
        store.open_poll(session, "Siap?", {"a": "ya", "c": "tidak"})
    with pytest.raises(LiveError, match="Kunci"):
        store.open_poll(session, "Siap?", {"a": "ya", "b": "tidak"}, key="c")
    poll = store.open_poll(session, "Siap?", {"a": "ya", "b": "tidak"})
    assert (poll.item_id, poll.key, poll.options) == ("POLL-01", None, {"a": "ya", "b": "tidak"})


def test_session_table_is_saved_with_one_row_per_answer(course, store):
    bank = course.item_bank.practice
    session = store.start_session("Kelas A", "pengampu", now=1_000.0)
    run = store.open_item(session, bank["LAT1-05"], now=1_000.0)
    store.answer(run.id, "p1", bank["LAT1-05"].key, now=1_004.5)
    store.answer(run.id, "p2", "a" if bank["LAT1-05"].key != "a" else "b", now=1_010.0)
    poll = store.open_poll(session, "Sudah paham?", {"a": "ya", "b": "belum"}, now=1_020.0)
    store.answer(poll.id, "p1", "b", now=1_021.0)
    store.end_session(session, now=1_030.0)
    files = store.save_table(session)

    table = pd.read_parquet(files["parquet"])
    assert list(table.columns) == TABLE_COLUMNS
    correct = [None if pd.isna(x) else bool(x) for x in table.correct]
    assert list(zip(table.item_id, table.participant_id, correct)) == [
        ("LAT1-05", "p1", True), ("LAT1-05", "p2", False), ("POLL-02", "p1", None)]
    assert list(table.seconds_to_answer) == [4.5, 10.0, 1.0]
    assert table.section.iloc[0] == bank["LAT1-05"].section.label
    assert pd.read_csv(files["csv"]).shape == table.shape
    assert len(read_tables(store.folder)) == 3
    with pytest.raises(LiveError, match="berakhir"):
        store.open_item(session, bank["LAT1-06"])


def test_counts_carry_no_key_nor_right_count_before_the_reveal(course, store):
    item = course.item_bank.practice["LAT2-07"]
    session = store.start_session("", "pengampu")
    run = store.open_item(session, item)
    assert run.kind == "latihan"
    wrong = next(letter for letter in "abcd" if letter != item.key)
    store.answer(run.id, "p1", item.key)
    store.answer(run.id, "p2", wrong)
    for state in ("open", "closed"):
        if state == "closed":
            store.close_run(run.id)
        counts = store.counts(run.id)
        assert not {"key", "section", "correct"} & set(counts), state
        assert counts["answered"] == 2
        table = store.session_table(session, revealed_only=True)
        assert table["correct"].isna().all()
    assert store.session_table(session)["correct"].notna().all()  # the saved table, for the report, keeps it

    store.reveal_run(run.id)
    counts = store.counts(run.id)
    assert (counts["key"], counts["correct"], counts["section"]) == (item.key, 1, item.section.label)
    assert store.session_table(session, revealed_only=True)["correct"].tolist() == [True, False]
