"""Mastery over several attempts (latsar.results.attempts): best, first or last, and the history."""

from __future__ import annotations

import pandas as pd
import pytest

from latsar.results.attempts import AttemptsError, first_attempts, history, verdict

ROWS = [  # peserta, MP, attempt, right of 10
    ("ani", 1, 1, 6), ("ani", 1, 2, 9), ("ani", 1, 3, 7),
    ("budi", 1, 1, 8),
    ("cici", 1, 1, 5), ("cici", 1, 2, 7),
    ("cici", 2, 1, 9), ("cici", 2, 2, 9),
]
ATTEMPTS = pd.DataFrame([dict(peserta_id=p, materi_pokok=m, attempt=a, benar=b, maks=10) for p, m, a, b in ROWS])


def used(method: str) -> dict:
    table = verdict(ATTEMPTS, method)
    return {(r.peserta_id, r.materi_pokok): (r.attempt_used, r.persen, r.tuntas) for r in table.itertuples()}


def test_best_attempt_counts_by_default_the_earliest_of_equals():
    assert used("best") == {("ani", 1): (2, 90.0, True), ("budi", 1): (1, 80.0, True),
                            ("cici", 1): (2, 70.0, False), ("cici", 2): (1, 90.0, True)}
    assert verdict(ATTEMPTS)["method"].eq("best").all()


def test_first_and_last_attempt():
    assert used("first")[("ani", 1)] == (1, 60.0, False)
    assert used("last")[("ani", 1)] == (3, 70.0, False)
    assert used("last")[("cici", 2)] == (2, 90.0, True)


def test_history_shows_every_attempt():
    wide = history(ATTEMPTS).set_index(["peserta_id", "materi_pokok"])
    assert wide.loc[("ani", 1)].tolist() == [60.0, 90.0, 70.0]
    assert wide.loc[("budi", 1), "percobaan_1"] == 80.0 and pd.isna(wide.loc[("budi", 1), "percobaan_2"])
    assert verdict(ATTEMPTS).set_index(["peserta_id", "materi_pokok"]).loc[("ani", 1), "attempts"] == 3


def test_item_statistics_take_first_attempts():
    responses = pd.DataFrame({"peserta_id": ["a", "a", "b"], "attempt": [1, 2, None]})
    assert first_attempts(responses)["peserta_id"].tolist() == ["a", "b"]
    assert first_attempts(responses.drop(columns=["attempt"])).shape[0] == 3


@pytest.mark.parametrize("broken, message", [
    (lambda t: t.drop(columns=["attempt"]), "kolom \\['attempt'\\]"),
    (lambda t: t.assign(attempt=[1, 2, 0, 1, 1, 2, 1, 2]), "baris \\[2\\]"),
    (lambda t: pd.concat([t, t.iloc[[3]]], ignore_index=True), "ganda.*\\[3, 8\\]"),
])
def test_bad_tables_are_refused_naming_the_rows(broken, message):
    with pytest.raises(AttemptsError, match=message):
        verdict(broken(ATTEMPTS))


def test_unknown_method_is_refused():
    with pytest.raises(AttemptsError, match="best, first, last"):
        verdict(ATTEMPTS, "average")
